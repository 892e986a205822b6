"""Replay rebuilds the exact bytes from the masked text: unmask(mask(text)) == text, whatever form the secret took."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dcr_harness.http import Masker
from dcr_harness.http.unmask import MissingVariable, kind_of, unmask, variables_used

STATEMENT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS1zdGF0ZW1lbnQtMDEyMzQ1Njc4OQ"
SECRET = "s3cr3t-Client-Secret_0123456789abcdef"


def masker() -> tuple[Masker, dict[str, str]]:
    m = Masker()
    m.add(STATEMENT, "software_statement", "statements.valid")
    m.add(SECRET, "client_secret")
    return m, {"DCR_SOFTWARE_STATEMENT": STATEMENT, "DCR_CLIENT_SECRET": SECRET}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"software_statement": STATEMENT}),
        f"client_id=abc&client_secret={quote_plus(SECRET)}&grant_type=client_credentials",
        "Basic " + base64.b64encode(f"abc:{SECRET}".encode()).decode(),
        f"/path?client_secret={quote(SECRET, safe='')}",
        json.dumps({"software_statement": STATEMENT[:-10] + "AAAA" + STATEMENT[-6:]}),  # spliced: two stretches
        SECRET.upper() + " " + SECRET[::-1],
    ],
    ids=["json", "form", "basic", "percent", "spliced", "case-and-reversed"],
)
def test_unmask_rebuilds_what_was_masked(text):
    m, values = masker()
    masked = m.mask(text)
    assert SECRET not in masked and STATEMENT.rsplit(".", 1)[1] not in masked
    assert unmask(masked, values) == text


@given(st.integers(0, len(SECRET)), st.integers(0, len(SECRET)), st.text(max_size=20))
def test_any_stretch_of_a_secret_comes_back(a, b, around):
    m, values = masker()
    text = around + SECRET[min(a, b) : max(a, b)] + around
    assert unmask(m.mask(text), values) == text


def test_a_missing_value_is_named():
    m, _ = masker()
    masked = m.mask(f"client_secret={SECRET}")
    assert variables_used(masked) == ["DCR_CLIENT_SECRET"]
    with pytest.raises(MissingVariable, match="DCR_CLIENT_SECRET"):
        unmask(masked, {})


def test_variable_names_map_to_their_kinds():
    assert kind_of("DCR_CLIENT_SECRET_12") == "client_secret"
    assert kind_of("DCR_SOFTWARE_STATEMENT") == "software_statement"
    assert kind_of("DCR_ACCESS_TOKEN_3") == "access_token"
