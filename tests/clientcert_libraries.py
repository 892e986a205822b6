"""Example apps on real client libraries (examples/clients/), each configuration with the verdict it
must get every time: shared by tests/e2e/test_client_libraries.py and bench/clientcert_determinism.py."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .clientcert_runs import Certification, certify

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "clients"
# Every default scenario and the restart: the library's whole life as the contract sees it.
SCENARIOS = ["short-token-ttl", "throttling", "revoked-credentials", "restart"]
# The app's first run outlives two 6 s tokens; its second run is the restart.
FIRST_RUN, RESTARTED_RUN = ["--calls", "12", "--interval", "0.5"], ["--calls", "2", "--interval", "0.2"]


@dataclass(frozen=True)
class Case:
    name: str
    script: str
    needs: tuple[str, ...]  # modules the example imports
    args: tuple[str, ...]
    fails: frozenset[str]  # exactly the requirements it must fail; empty: PASS

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.needs)

    def certify(self, tmp: Path) -> Certification:
        state = ["--state", str(tmp / "credentials.json")]
        return certify(
            tmp,
            SCENARIOS,
            [[*state, *FIRST_RUN, *self.args], [*state, *RESTARTED_RUN, *self.args]],
            client=EXAMPLES / self.script,
        )

    def verdict(self, cert: Certification) -> tuple[str, frozenset[str]]:
        return cert.document()["overall"]["verdict"], frozenset(cert.failed())

    @property
    def expected(self) -> tuple[str, frozenset[str]]:
        return ("FAIL" if self.fails else "PASS"), self.fails


ROL, AUTHLIB, AUTHLIB_REQUESTS = (
    ("requests_oauthlib", "oauthlib", "requests"),
    ("authlib", "httpx"),
    ("authlib", "requests"),
)
CASES = [
    Case(
        "requests-oauthlib, credentials in the body, 2 s margin",
        "requests_oauthlib_client.py",
        ROL,
        ("--auth", "body", "--margin", "2"),
        frozenset(),
    ),
    Case(
        "requests-oauthlib, its default HTTP Basic, 2 s margin",
        "requests_oauthlib_client.py",
        ROL,
        ("--auth", "basic", "--margin", "2"),
        frozenset({"TOK-REQ-2"}),
    ),
    Case(
        "Authlib httpx OAuth2Client, client_secret_post, leeway 2",
        "authlib_httpx_client.py",
        AUTHLIB,
        ("--auth-method", "client_secret_post", "--leeway", "2"),
        frozenset(),
    ),
    Case(
        "Authlib httpx OAuth2Client, its default leeway 60, client_secret_post",
        "authlib_httpx_client.py",
        AUTHLIB,
        ("--auth-method", "client_secret_post"),
        frozenset({"CLI-3"}),
    ),
    Case(
        "Authlib httpx OAuth2Client, its default client_secret_basic, leeway 2",
        "authlib_httpx_client.py",
        AUTHLIB,
        ("--leeway", "2"),
        frozenset({"TOK-REQ-2"}),
    ),
    # The repository's first documented example (examples/certify_authlib.sh): Authlib's requests integration.
    Case(
        "Authlib requests OAuth2Session, client_secret_post, leeway 2, urllib3 Retry on 429",
        "authlib_client.py",
        AUTHLIB_REQUESTS,
        ("--auth-method", "client_secret_post", "--leeway", "2", "--retry-429"),
        frozenset(),
    ),
]
