"""Real client libraries certified: example apps on requests-oauthlib and Authlib's httpx
client, configured as their documentation shows, get the verdict docs/client-certification.md gives:
PASS when configured for the contract, a FAIL of exactly the requirement a misconfiguration breaks.
Once each here; bench/clientcert_determinism.py repeats each ten times."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..clientcert_libraries import CASES, Case

pytestmark = [pytest.mark.slow, pytest.mark.timing]  # apps paced in real time against short token lifetimes


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_library_configuration_gets_its_documented_verdict(tmp_path: Path, case: Case) -> None:
    if not case.available():
        pytest.skip(f"needs {', '.join(case.needs)} (the test extra)")
    cert = case.certify(tmp_path)
    assert case.verdict(cert) == case.expected, {r: v for r, v in cert.verdicts().items() if v != "not_applicable"}
    doc = cert.document()
    # The restart was signalled and judged, and every 4xx the app got is explained.
    assert next(c for c in doc["checks"] if c["nodeid"].endswith("::restart"))["verified"], doc["checks"]
    assert all(r["explanation"] for r in doc["client"]["refusals"])
    assert (cert.code == 0) is (not case.fails)
