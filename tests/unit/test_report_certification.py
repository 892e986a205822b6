"""certification.json: verdicts, waivers (waived is never passed; expiry), schema, regeneration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dcr_harness.cli.commands import main
from dcr_harness.contract import requirements, schemas
from dcr_harness.report.certification import build
from dcr_harness.report.samples import FAILING
from dcr_harness.report.waivers import WaiverError, parse_waivers

WAIVE_REG_OK_1 = """version = 1
[[waiver]]
requirement = "REG-OK-1"
reason = "known defect DCR-12, fix in 7.2"
expires = {expires}
owner = "qa@example.com"
"""


def verdict_of(doc: dict, req_id: str) -> str:
    return next(r["verdict"] for r in doc["requirements"] if r["id"] == req_id)


def test_every_requirement_of_the_contract_has_a_verdict_and_the_document_matches_its_schema() -> None:
    doc = build(FAILING)
    assert {r.id for r in requirements.all_requirements()} <= {r["id"] for r in doc["requirements"]}
    assert schemas.validate("certification", doc) == []
    assert doc["overall"]["verdict"] == "FAIL"
    assert verdict_of(doc, "REG-OK-1") == "fail" and verdict_of(doc, "TOK-OK-4") == "warn"
    assert verdict_of(doc, "TOK-OK-1") == "pass" and verdict_of(doc, "THR-1") == "not_covered"
    assert "THR-1" in doc["coverage"]["not_covered"]
    assert next(r for r in doc["requirements"] if r["id"] == "THR-1")["reasons"]


def test_a_waived_failure_is_waived_never_passed() -> None:
    doc = build(FAILING, parse_waivers(WAIVE_REG_OK_1.format(expires="2026-12-31")))
    assert verdict_of(doc, "REG-OK-1") == "waived"
    assert doc["overall"]["verdict"] == "PASS with waivers"
    assert doc["overall"]["counts"]["waived"] == 1
    failed_check = next(c for c in doc["checks"] if c["nodeid"].endswith("test_register_ok"))
    assert failed_check["outcome"] == "waived" and failed_check["waiver"]["reason"].startswith("known defect")
    assert doc["waivers"]["applied"] and not doc["waivers"]["expired"]
    assert schemas.validate("certification", doc) == []


def test_an_expired_waiver_does_not_apply_and_is_listed() -> None:
    doc = build(FAILING, parse_waivers(WAIVE_REG_OK_1.format(expires="2026-05-31")))  # the run is on 2026-06-01
    assert verdict_of(doc, "REG-OK-1") == "fail"
    assert doc["overall"]["verdict"] == "FAIL"
    assert doc["waivers"]["expired"][0]["would_waive"] == ["conformance/test_register.py::test_register_ok"]


def test_a_check_waiver_matches_a_nodeid_pattern() -> None:
    text = (
        'version = 1\n[[waiver]]\ncheck = "test_register.py::test_register_*"\nreason = "r"\nexpires = "2030-01-01"\n'
    )
    assert verdict_of(build(FAILING, parse_waivers(text)), "REG-OK-1") == "waived"


def test_a_waived_check_stops_failing_the_requirements_it_breaks_without_citing_them() -> None:
    from dcr_harness.report.samples import check, results

    run = results(
        [
            check(
                "conformance/test_register.py::test_fresh",
                ["REG-OK-3"],
                "failed",
                ["REG-OK-1"],
                "[REG-OK-1] got 200",
                verified=["REG-OK-3"],
            )
        ]
    )
    text = 'version = 1\n[[waiver]]\ncheck = "conformance/test_register.py::*"\nreason = "r"\nexpires = "2030-01-01"\n'
    doc = build(run, parse_waivers(text))
    assert verdict_of(doc, "REG-OK-1") == "waived" and doc["overall"]["verdict"] == "PASS with waivers"


@pytest.mark.parametrize(
    "text, message",
    [
        ("version = 2", "version = 1"),
        ("version = 1\n[[waiver]]\nrequirement = 'X'\nexpires = 2030-01-01", "reason"),
        ("version = 1\n[[waiver]]\nrequirement = 'X'\nreason = 'r'", "expires"),
        ("version = 1\n[[waiver]]\nrequirement = 'X'\nreason = 'r'\nexpires = 'soon'", "ISO date"),
        ("version = 1\n[[waiver]]\nreason = 'r'\nexpires = 2030-01-01", "exactly one"),
        ("version = 1\n[[waiver]]\nrequirement = 'X'\nreason = 'r'\nexpires = 2030-01-01\nuntil = 1", "unknown key"),
        ("version = [", "not valid TOML"),
    ],
)
def test_malformed_waiver_files_are_rejected_with_a_message(text: str, message: str) -> None:
    with pytest.raises(WaiverError, match=message):
        parse_waivers(text)


def test_the_example_waiver_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "waivers.toml"
    assert parse_waivers(example.read_text()).waivers == ()


def test_report_command_regenerates_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(FAILING))
    waivers = tmp_path / "w.toml"
    waivers.write_text(WAIVE_REG_OK_1.format(expires="2030-01-01"))
    assert main(["report", str(results), "--waivers", str(waivers)]) == 0
    doc = json.loads((tmp_path / "certification.json").read_text())
    assert doc["overall"]["verdict"] == "PASS with waivers"
    html = (tmp_path / "certification.html").read_text()
    assert 'data-verdict="PASS with waivers"' in html and "<script src" not in html and "<link" not in html
    waivers.write_text("version = 1\n[[waiver]]\n")
    assert main(["report", str(results), "--waivers", str(waivers)]) == 2
    assert "waiver file error" in capsys.readouterr().err
