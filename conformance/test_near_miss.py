"""The near-miss phase (issue 27): every credential and identifier, nearly right, once each.

Each value the contract checks is derived from the run's own valid value into its near misses
(dcr_harness/strategies/near_miss.py: case, one character, truncation, white space, trailing text,
percent-encoding, lookalikes, the wrong pairing of two clients' credentials). Deterministic and the
same in every profile; one check per credential, side by side on the workers, each case judged by
the oracle of the coverage phase (every breach recorded, the check failing at its end).
"""

import pytest

from dcr_harness.http import DcrClient
from dcr_harness.strategies import near_miss
from dcr_harness.strategies.runner import NEAR_MISS, cover


@pytest.fixture(scope="module")
def two_clients(http_session):
    """Two registrations of the valid statement: the near misses' valid values and the wrong pairings' other half."""
    dcr = DcrClient(http_session)
    return dcr.register_ok(), dcr.register_ok()


GROUPS = [pytest.param(group, id=group, marks=pytest.mark.req(*near_miss.requirements(group))) for group in near_miss.GROUPS]


@pytest.mark.parametrize("group", GROUPS)
def test_near_miss_phase(http_session, target, two_clients, needs, group):
    """Every near miss of one credential is refused as the contract says, and every equivalent form served"""
    creds, other = two_clients
    token = ""
    if group.startswith("api-"):
        needs("protected_api")
        token = DcrClient(http_session).token_ok(creds)[0]  # fresh: the embedded reference's tokens are short-lived
    if group == "register-redirect_uri":
        needs("allowed_redirect_uri")
    cover(http_session, near_miss.cases(group, near_miss.Inputs(target, creds, other, token)), creds, NEAR_MISS)
