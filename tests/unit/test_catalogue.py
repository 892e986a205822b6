"""The coverage phase's catalogue: every input, every kind of value, each with an oracle."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from dcr_harness.checks import Breach, BreachKind, Evidence
from dcr_harness.checks.base import BREACHES_KEPT
from dcr_harness.checks.provocations import MARKERS, SUCCESS
from dcr_harness.refserver.rare import json_depth
from dcr_harness.report.certification import cases_per_phase
from dcr_harness.strategies import catalogue

INPUTS = catalogue.sample_inputs()
ALL = {group: catalogue.cases(group, INPUTS) for group in catalogue.GROUPS}

# Every input the issue names, by the group that covers it.
INPUT_GROUPS = {
    "software_statement",
    "redirect_uri",
    "register-body",
    "statement-header",
    "statement-claims",
    "client_id",
    "client_secret",
    "grant_type",
    "token-body",
    "content-type",
    "accept",
    "x-device-info",
    "x-forwarded-for",
    "user-agent",
    "token-authorization",
    "api-authorization",
}
# Every kind of value the issue names, as words of the case names.
KINDS = [
    "missing",
    "empty",
    "white space",
    "65536 characters",
    "non-ASCII",
    "control characters",
    "invalid percent-encoding",
    "invalid UTF-8",
    "beyond 64 bits",
    "beyond double range",
    "null",
    "array",
    "object",
    "nested 1000 deep",
    "repeated",
    "sent twice",
    "not an address",
    "IPv6",
    "with a port",
    "a list",
]


def test_every_input_the_contract_names_has_a_group_on_each_endpoint():
    for name in INPUT_GROUPS:
        assert any(group.endswith(name) or group == name for group in catalogue.GROUPS), name
    for header in ("content-type", "accept", "user-agent", "x-forwarded-for", "x-device-info"):
        assert {f"register-{header}", f"token-{header}"} <= set(catalogue.GROUPS), header


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_value_is_tried(kind):
    assert any(kind in case.name for cases in ALL.values() for case in cases), kind


@pytest.mark.parametrize("group", catalogue.GROUPS)
def test_every_case_has_an_oracle_and_a_unique_name(group):
    cases = ALL[group]
    assert len(cases) >= 8
    assert len({c.name for c in cases}) == len(cases), "duplicate case names"
    for case in cases:
        assert case.requirements and case.permitted, case
        assert case.permitted - MARKERS or SUCCESS in case.permitted, case  # a code, or service
        assert set(case.requirements) <= set(catalogue.requirements(group))


def test_each_device_info_key_gets_its_own_values():
    names = " ".join(c.name for c in ALL["register-x-device-info"])
    assert all(f"X-Device-Info: {key} " in names for key in catalogue.DEVICE_KEYS)


def test_the_catalogue_is_deterministic():
    again = {group: [c.name for c in catalogue.cases(group, catalogue.sample_inputs())] for group in catalogue.GROUPS}
    assert again == {group: [c.name for c in cases] for group, cases in ALL.items()}


def test_json_depth_skips_strings():
    assert json_depth(b'{"a": [[1]], "b": "[[[[[[", "c": "\\"[["}') == 3
    assert json_depth(b"[" * 1000) == 1000


def test_cases_per_phase_are_merged_and_totalled():
    outer, inner = Evidence(), Evidence()
    inner.cases["coverage"] = 3
    outer.merge(inner)
    outer.merge(inner)
    assert outer.cases == {"coverage": 6}
    checks: list[Mapping[str, Any]] = [
        {"cases": {"generate": 25, "shrink": 4}},
        {"cases": {"coverage": 40}},
        {"cases": {}},
        {},
    ]
    assert cases_per_phase(checks) == {
        "coverage": {"cases": 40, "checks": 1},
        "generate": {"cases": 25, "checks": 1},
        "shrink": {"cases": 4, "checks": 1},
    }


def test_a_crash_is_kept_after_many_breaches_of_another_kind():
    evidence = Evidence()
    for i in range(BREACHES_KEPT + 5):
        evidence.breach(Breach(("REG-ERR-1",), f"expected error invalid_request, got 'other' (case {i})"))
    evidence.breach(Breach(("REG-ERR-5",), "server error 500 for client input", kind=BreachKind.SERVER_CRASH))
    evidence.breach(Breach(("REG-ERR-1",), "server error 500 for client input", kind=BreachKind.SERVER_CRASH))
    slots = {b.slot for b in evidence.breaches}
    assert (("REG-ERR-5",), BreachKind.SERVER_CRASH) in slots and (("REG-ERR-1",), BreachKind.SERVER_CRASH) in slots
    assert evidence.breaches_dropped == 5
