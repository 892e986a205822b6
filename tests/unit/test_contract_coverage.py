"""Every requirement ID the project cites is in the shipped contract, and every contract
requirement has a check or is listed under "Out of scope" in docs/contract.md."""

from __future__ import annotations

import re
from pathlib import Path

from dcr_harness import paths
from dcr_harness.contract import requirements
from dcr_harness.refserver.faults import FAULTS

ID = re.compile(r"\b(?:FLOW|REG|TOK|API|THR|DEV|CLI)-(?:[A-Z]+-)?\d+\b")
# Where checks live: the suites, and the tables and check functions they are driven by.
CHECK_SOURCES = [
    *paths.CONFORMANCE_DIR.glob("*.py"),
    paths.PACKAGE_DIR / "checks" / "provocations.py",
    *(paths.PACKAGE_DIR / "checks").glob("*.py"),
    *(paths.PACKAGE_DIR / "strategies").glob("*.py"),
]
# How a check claims a requirement: @pytest.mark.req("ID", ...) on a suite's check, the first
# field of a provocation table row P("ID ID", ...) (test_register/test_token mark those), or
# the IDs that open a client-certification judge's docstring ("""CLI-1, DEV-1: ...).
CLAIMS = [
    (sorted(paths.CONFORMANCE_DIR.glob("*.py")), re.compile(r"mark\.req\(([^)]*)\)")),
    ([paths.PACKAGE_DIR / "checks" / "provocations.py"], re.compile(r"\bP\(\s*\"([^\"]+)\"")),
    ([paths.PACKAGE_DIR / "clientcert" / "judges.py"], re.compile(r'^\s*"""([A-Z][A-Z0-9, -]*):', re.M)),
]
# Everything else that cites IDs: schemas, load profiles and the thresholds gate.
OTHER_SOURCES = [*paths.SCHEMA_DIR.glob("*.schema.json"), *paths.LOAD_DIR.glob("*.py"), *paths.LOAD_DIR.glob("*.toml")]


def cited_in(files: list[Path]) -> dict[str, set[str]]:
    """ID -> the files citing it."""
    found: dict[str, set[str]] = {}
    for path in files:
        for req_id in ID.findall(path.read_text(encoding="utf-8")):
            found.setdefault(req_id, set()).add(path.name)
    return found


def test_the_scan_sees_the_sources() -> None:
    assert len(CHECK_SOURCES) > 5 and len(OTHER_SOURCES) > 5
    assert "REG-OK-1" in cited_in(CHECK_SOURCES)


def test_every_cited_id_is_in_the_contract() -> None:
    cited = cited_in(CHECK_SOURCES + OTHER_SOURCES)
    for name, fault in FAULTS.items():
        for req_id in fault.requirements:
            cited.setdefault(req_id, set()).add(f"fault {name}")
    unknown = {i: sorted(where) for i, where in cited.items() if not requirements.is_known(i)}
    assert not unknown, f"cited but not in {paths.CONTRACT_PATH.name}: {unknown}"


def claimed_by_checks() -> set[str]:
    return {
        req_id
        for files, claim in CLAIMS
        for path in files
        for args in claim.findall(path.read_text(encoding="utf-8"))
        for req_id in ID.findall(args)
    }


def test_every_requirement_is_checked_or_declared_out_of_scope() -> None:
    checked = claimed_by_checks()
    assert {"REG-ERR-3", "THR-6", "CLI-5"} <= checked  # the scan sees every kind of claim
    out = set(requirements.out_of_scope())
    missing = [r.id for r in requirements.all_requirements() if r.id not in checked | out]
    assert not missing, f"no check and not listed under 'Out of scope' in {paths.CONTRACT_PATH.name}: {missing}"
    assert not checked & out, f"listed as out of scope but a check cites it: {sorted(checked & out)}"
