"""The near-miss catalogue: each kind derived, deterministically, refused or served as the contract says."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qsl

from dcr_harness.checks.provocations import BAD_REDIRECT, BAD_STATEMENT, STATEMENT_OR_REQUEST, SUCCESS
from dcr_harness.http.masking import Masker
from dcr_harness.strategies import near_miss

TOKENISH = "HycI_g_cJMebuMoDjVb0J8UlTWBpNlnweqyDMrujmd8"  # the shape of a token_urlsafe(32) secret or token
KINDS = (
    "one letter's case changed",
    "upper-cased",
    "lower-cased",
    "replaced",
    "removed",
    "truncated by one",
    "one character appended",
    "surrounded by spaces",
    "followed by a space and text",
    "a Unicode lookalike",
    "compatibility form",
)


def _labels(value: str) -> list[str]:
    return [m.label for m in near_miss.derive(value)]


def test_every_kind_is_derived_and_each_differs_from_the_valid_value():
    misses = near_miss.derive(TOKENISH)
    assert all(any(kind in m.label for m in misses) for kind in KINDS), _labels(TOKENISH)
    assert all(m.value != TOKENISH for m in misses) and not any("normal form" in m.label for m in misses)
    changed = next(m for m in misses if m.label.startswith("one letter's case"))
    assert (
        changed.value.lower() == TOKENISH.lower()
        and sum(a != b for a, b in zip(changed.value, TOKENISH, strict=True)) == 1
    )


def test_derivations_are_deterministic_and_choose_the_last_letter():
    assert near_miss.derive(TOKENISH) == near_miss.derive(TOKENISH)
    assert "one letter's case changed (character 41)" in _labels(TOKENISH)  # the final "8" is no letter


def test_a_value_with_a_composed_character_gets_its_other_normal_form():
    (nfd,) = [m for m in near_miss.derive("caf\u00e9") if "normal form" in m.label]
    assert nfd.label == "another normal form (NFD)" and nfd.value == "cafe\u0301"


def test_a_value_without_letters_or_characters_gets_the_kinds_it_can_have():
    digits = _labels("0123-4567")
    assert not any("case" in label for label in digits) and "truncated by one" in digits
    assert _labels("") == ["one character appended", "surrounded by spaces", "followed by a space and text"]


def test_a_secret_near_miss_is_shown_as_its_derivation_and_masked_in_the_request():
    masker = Masker()
    secret = masker.add(TOKENISH, "client_secret")
    assert secret is not None
    for miss in near_miss.derive(secret):
        assert TOKENISH not in repr(miss.value) and "${DCR_CLIENT_SECRET}" in repr(miss.value)
        masked = masker.mask(f"client_secret={miss.value}&grant_type=client_credentials")
        assert "${DCR_CLIENT_SECRET" in masked and TOKENISH[:20] not in masked


def test_percent_encodings_escape_the_last_character_once_or_twice():
    assert parse_qsl("v=" + near_miss.singly_escaped(TOKENISH))[0][1] == TOKENISH
    assert parse_qsl("v=" + near_miss.doubly_escaped(TOKENISH))[0][1] == TOKENISH[:-1] + "%38"


def _inputs(redirect: str | None = "https://app.example.com/callback") -> near_miss.Inputs:
    base = near_miss.sample()
    return replace(base, target=replace(base.target, allowed_redirect_uri=redirect))


def test_token_cases_refuse_every_near_miss_as_invalid_client_and_serve_the_equivalent_encoding():
    for group in ("token-client_id", "token-client_secret"):
        cases = near_miss.cases(group, _inputs())
        served = [c for c in cases if SUCCESS in c.permitted]
        assert [c.permitted for c in served] == [frozenset({SUCCESS})] and served[0].requirements == ("TOK-REQ-1",)
        refused = [c for c in cases if c not in served]
        assert all(c.requirements == ("TOK-ERR-2",) and "invalid_client" in c.permitted for c in refused)
        assert {"invalid_client"} < next(
            c.permitted for c in refused if "lookalike" in c.name
        )  # non-ASCII: malformed too
    pairings = [c for c in near_miss.cases("token-client_secret", _inputs()) if c.name.startswith("wrong pairing")]
    assert len(pairings) == 2 and all(c.permitted == {"invalid_client"} for c in pairings)


def test_api_cases_cite_api_2_first_and_serve_only_the_lower_case_scheme():
    cases = near_miss.cases("api-access-token", _inputs())
    assert all(
        c.requirements == ("API-2", "API-3") and c.permitted == {"401"} for c in cases if SUCCESS not in c.permitted
    )
    assert [c.name for c in cases if SUCCESS in c.permitted] == ["Authorization equivalent: scheme in lower case"]
    assert any("first" in c.name or "second token" in c.name for c in cases)


def test_statement_cases_are_refused_under_reg_err_3():
    cases = near_miss.cases("register-statement", _inputs())
    assert any("signature" in c.name for c in cases) and any("kid" in c.name for c in cases)
    assert all(c.requirements == ("REG-ERR-3",) and c.permitted <= STATEMENT_OR_REQUEST for c in cases)
    assert next(c for c in cases if "signature" in c.name and "case changed" in c.name).permitted == {BAD_STATEMENT}


def test_redirect_cases_refuse_path_near_misses_and_never_demand_refusing_an_rfc_3986_equivalent():
    cases = {c.name.split(": ")[1]: c for c in near_miss.cases("register-redirect_uri", _inputs())}
    assert cases["path one letter's case changed (character 7)"].permitted == {BAD_REDIRECT}
    assert cases["path doubly percent-encoded"].permitted == {BAD_REDIRECT}
    for equivalent in (
        "scheme in upper case (RFC 3986 6.2.2.1)",
        "host in upper case (RFC 3986 6.2.2.1)",
        "the default port written out (RFC 3986 6.2.3)",
        "path with a letter percent-encoded (RFC 3986 6.2.2.2)",
    ):
        assert cases[equivalent].permitted == {SUCCESS, BAD_REDIRECT}, equivalent
    assert all(c.requirements == ("REG-ERR-2",) for c in cases.values())
    assert near_miss.cases("register-redirect_uri", _inputs(None)) == []  # no valid value to derive from


def test_each_group_cites_what_its_cases_judge():
    assert near_miss.requirements("token-client_id")[:2] == ["TOK-ERR-2", "TOK-ERR-5"]
    assert set(near_miss.requirements("api-access-token")) == {"API-1", "API-2", "API-3"}
    assert set(near_miss.requirements("register-statement")) == {"REG-ERR-3", "REG-ERR-5"}


def test_no_pairing_without_a_second_client():
    inputs = _inputs()
    same = near_miss.Inputs(inputs.target, inputs.creds, inputs.creds, inputs.token)
    assert not [c for c in near_miss.cases("token-client_secret", same) if c.name.startswith("wrong pairing")]


def test_the_phase_draws_nothing_from_hypothesis_so_every_profile_sends_the_same_cases():
    """Why the e2e proof runs every fault in one profile only: no Hypothesis profile can change these cases."""
    from dcr_harness.paths import CONFORMANCE_DIR

    for source in (CONFORMANCE_DIR / "test_near_miss.py", Path(near_miss.__file__)):
        assert "hypothesis" not in source.read_text().lower(), source
    first = [(c.id, sorted(c.permitted)) for g in near_miss.GROUPS for c in near_miss.cases(g, near_miss.sample())]
    again = [(c.id, sorted(c.permitted)) for g in near_miss.GROUPS for c in near_miss.cases(g, near_miss.sample())]
    assert first == again and len(first) >= 60
