"""The requirement IDs parsed from the shipped contract (docs/contract.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcr_harness import paths
from dcr_harness.contract import requirements
from tests.upstream import UPSTREAM_CONTRACT, needs_upstream_contract

EXPECTED_IDS = (
    [f"FLOW-{i}" for i in range(1, 5)]
    + [f"REG-REQ-{i}" for i in range(1, 6)]
    + [f"REG-OK-{i}" for i in range(1, 5)]
    + [f"REG-ERR-{i}" for i in range(1, 6)]
    + [f"TOK-REQ-{i}" for i in range(1, 4)]
    + [f"TOK-OK-{i}" for i in range(1, 5)]
    + [f"TOK-ERR-{i}" for i in range(1, 6)]
    + [f"API-{i}" for i in range(1, 5)]
    + [f"THR-{i}" for i in range(1, 7)]
    + [f"DEV-{i}" for i in range(1, 4)]
    + [f"CLI-{i}" for i in range(1, 6)]
)


def test_every_known_id_is_parsed_in_contract_order() -> None:
    ids = [r.id for r in requirements.all_requirements()]
    assert ids == EXPECTED_IDS
    assert all(requirements.is_known(i) for i in EXPECTED_IDS)
    assert not requirements.is_known("REG-OK-5")
    assert not requirements.is_known("reg-ok-1")


def test_levels_and_profile_flags() -> None:
    levels = {r.id: r.level for r in requirements.all_requirements()}
    assert levels["TOK-OK-4"] == "SHOULD"
    assert levels["THR-2"] == "PROFILE"
    assert {i for i, lvl in levels.items() if lvl != "MUST"} == {"TOK-OK-4", "THR-2"}
    for req_id in ("API-1", "API-4", "DEV-3"):
        req = requirements.get(req_id)
        assert (req.level, req.profile) == ("MUST", True), req_id
    assert not requirements.get("REG-OK-2").profile
    assert all(r.level in requirements.LEVELS for r in requirements.all_requirements())


def test_sections_areas_and_anchors() -> None:
    reg = requirements.get("REG-OK-2")
    assert reg.section_number == 2
    assert reg.section == "2. Register: `POST /o/client/register`"
    assert reg.area == "register"
    assert requirements.section_anchor("REG-OK-2") == "2-register-post-oclientregister"
    assert requirements.section_anchor("DEV-1") == "6-x-device-info"
    assert requirements.section_anchor("FLOW-4") == "1-actors-and-flow"
    assert requirements.section_anchor("CLI-1") == "7-client-obligations-for-certifying-a-partners-client-integration"
    areas = requirements.by_area()
    assert list(areas) == ["flow", "register", "token", "protected-api", "throttling", "device-info", "client"]
    assert [r.id for r in areas["throttling"]] == [f"THR-{i}" for i in range(1, 7)]
    for req in requirements.all_requirements():
        assert req.area == requirements.AREAS[req.id.split("-")[0]]


def test_text_is_the_folded_bullet() -> None:
    assert requirements.get("REG-REQ-1").text == "The request must carry `Content-Type: application/json`. [register]"
    flow4 = requirements.get("FLOW-4").text
    assert flow4.startswith(
        "Shortly before the token expires it asks the token endpoint again, with the *same* credentials;"
    )
    assert flow4.endswith("a new registration loses the user's authenticated profiles. [flow] [faq]")
    dev2 = requirements.get("DEV-2").text
    assert "list: required: `model`, `version`, `osName` (restricted), `osVersion`, `connectionType`; optional:" in dev2
    assert dev2.endswith("Samsung, Sony Ericsson. [device]")
    assert all("  " not in r.text and "\n" not in r.text for r in requirements.all_requirements())


def test_unknown_id_raises_a_helpful_key_error() -> None:
    with pytest.raises(KeyError, match="REG-OK-4"):
        requirements.get("REG-OK-9")
    with pytest.raises(KeyError, match="known prefixes"):
        requirements.get("XYZ-1")
    with pytest.raises(KeyError):
        requirements.section_anchor("API-9")


def test_the_contract_is_the_shipped_document() -> None:
    assert Path(paths.CONTRACT_PATH) == paths.DOCS_DIR / "contract.md"
    assert requirements.source() == str(paths.CONTRACT_PATH)
    assert not (paths.PACKAGE_DIR / "requirements_data.json").exists(), "one source: no parsed copy beside the package"


def test_every_requirement_names_its_sources() -> None:
    keys = {
        "[overview]",
        "[faq]",
        "[flow]",
        "[register]",
        "[token]",
        "[throttle]",
        "[device]",
        "[errors]",
        "[openapi]",
        "[RFC 7591]",
        "[RFC 6749]",
        "[RFC 6750]",
    }
    for req in requirements.all_requirements():
        assert any(req.text.rstrip(".").endswith(k) or f"{k} [" in req.text for k in keys), req.id


def test_out_of_scope_lists_known_ids_only() -> None:
    out = requirements.out_of_scope()
    assert out == []  # client obligations are certified by certify-client
    assert all(requirements.is_known(i) for i in out)
    assert requirements.parse_out_of_scope("## Out of scope\n\n- `CLI-9`: why\n## Next\n- `CLI-8`: not this\n") == [
        "CLI-9"
    ]


@needs_upstream_contract
def test_contract_stays_in_step_with_the_upstream_contract() -> None:
    """docs/contract.md restates the upstream contract: same IDs, levels, profile flags and sections."""
    upstream = requirements.parse_contract(UPSTREAM_CONTRACT.read_text(encoding="utf-8"))

    def shape(reqs):
        return [(r.id, r.level, r.profile, r.section, r.anchor) for r in reqs]

    assert shape(requirements.all_requirements()) == shape(upstream)


SYNTHETIC = """\
# Title

## 1. First part

- An unnumbered bullet
  with a continuation.
- FLOW-1 The first
  requirement, folded.
- FLOW-2 SHOULD: a recommendation.

Plain paragraph.
- REG-OK-1 Lists:
  - one: `a`, `b`
    continued
  - two
- API-7 PROFILE: a value (for example).

## 1. First part

```
- CLI-9 inside a code fence is not a requirement
```
- THR-1 Uses PROFILE values.
"""


def test_parse_contract_on_synthetic_markdown() -> None:
    parsed = {r.id: r for r in requirements.parse_contract(SYNTHETIC)}
    assert list(parsed) == ["FLOW-1", "FLOW-2", "REG-OK-1", "API-7", "THR-1"]
    assert parsed["FLOW-1"].text == "The first requirement, folded."
    assert parsed["FLOW-2"].level == "SHOULD"
    assert parsed["REG-OK-1"].text == "Lists: one: `a`, `b` continued; two"
    assert (parsed["API-7"].level, parsed["API-7"].profile) == ("PROFILE", True)
    assert (parsed["THR-1"].level, parsed["THR-1"].profile) == ("MUST", True)
    assert parsed["FLOW-1"].anchor == "1-first-part"
    assert parsed["THR-1"].anchor == "1-first-part-1"
    assert parsed["THR-1"].section_number == 1


def test_parse_contract_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="FLOW-1"):
        requirements.parse_contract("## 1. A\n\n- FLOW-1 one\n- FLOW-1 two\n")


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("2. Register: `POST /o/client/register`", "2-register-post-oclientregister"),
        ("6. X-Device-Info", "6-x-device-info"),
        ("The DCR contract, as documented", "the-dcr-contract-as-documented"),
        ("snake_case and *emphasis*", "snake_case-and-emphasis"),
    ],
)
def test_github_anchor(heading: str, anchor: str) -> None:
    assert requirements.github_anchor(heading) == anchor
