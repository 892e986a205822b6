"""The near-miss phase: every credential and identifier, nearly right, once each.

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

GROUPS = [
    pytest.param(group, id=group, marks=pytest.mark.req(*near_miss.requirements(group))) for group in near_miss.GROUPS
]


@pytest.mark.parametrize("group", GROUPS)
def test_near_miss_phase(http_session, target, needs, group):
    """Every near miss of one credential is refused as the contract says, and every equivalent form served"""
    if group.startswith("api-"):
        needs("protected_api")
    if group == "register-redirect_uri":
        needs("allowed_redirect_uri")
    dcr = DcrClient(http_session)
    # Credentials of this check alone: its one served token request is their first (a server that refuses a
    # second one fails TOK-OK-3 elsewhere, not this check). The other client is the wrong pairings' other half.
    creds = dcr.register_ok()
    other = dcr.register_ok() if group == "token-client_secret" else creds
    token = dcr.token_ok(creds)[0] if group.startswith("api-") else ""  # fresh: the embedded tokens are short-lived
    cover(http_session, near_miss.cases(group, near_miss.Inputs(target, creds, other, token)), creds, NEAR_MISS)
