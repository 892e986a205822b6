"""The coverage phase: every catalogued boundary and malformed value of every input, once each.

Deterministic and the same in every Hypothesis profile: the rare inputs that random generation
reaches only by luck (an empty credential, a broken percent-escape, a body nested 1000 deep, a
forwarding header that is no address) are always tried. One check per input group
(dcr_harness/strategies/catalogue.py), so the workers run them side by side; each value is one
request from a fresh device, paced like every check, judged by the oracle of every generated case.
Every breach is recorded, not the first: the check fails at its end naming each one.
This module sorts before test_properties.py, so the coverage phase is collected before the random search.
"""

import pytest

from dcr_harness.http import DcrClient
from dcr_harness.strategies import catalogue
from dcr_harness.strategies.runner import cover


@pytest.fixture(scope="module")
def shared_credentials(http_session):
    """Registered once for the module: credentials keep working indefinitely (TOK-OK-3)."""
    return DcrClient(http_session).register_ok()


GROUPS = [
    pytest.param(group, id=group, marks=pytest.mark.req(*catalogue.requirements(group))) for group in catalogue.GROUPS
]


@pytest.mark.parametrize("group", GROUPS)
def test_coverage_phase(http_session, target, shared_credentials, needs, group):
    """Every catalogued boundary and malformed value of one input group gets a permitted answer, never a 5xx"""
    if group.startswith("api-"):
        needs("protected_api")
    cover(http_session, catalogue.cases(group, catalogue.Inputs(target, shared_credentials)), shared_credentials)
