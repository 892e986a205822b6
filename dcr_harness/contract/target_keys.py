"""Every key of the target file: an example value and what it enables.

One table for three readers: `dcr-harness init` (the commented template), the "not
covered" reasons of checks (``line_to_add``: the exact line a user adds), and the test that
keeps docs/target-file.md and schemas/target.schema.json in step with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    path: str  # dotted, as in the target file: "statements.revoked"
    example: str  # a TOML value
    enables: str  # what giving it enables (or its default when absent)
    required: bool = False

    @property
    def table(self) -> str:
        return self.path.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def line(self) -> str:
        return f"{self.name} = {self.example}"


KEYS: tuple[Key, ...] = (
    Key("name", '"staging"', "the label in reports (default: the host of base_url)"),
    Key(
        "base_url", '"https://dcr.staging.example.com"', "the deployment: scheme, host and port, no path", required=True
    ),
    Key("register_path", '"/o/client/register"', "a register endpoint elsewhere (default /o/client/register)"),
    Key("token_path", '"/o/client/token"', "a token endpoint elsewhere (default /o/client/token)"),
    Key(
        "allowed_redirect_uri",
        '"https://app.example.com/callback"',
        "the redirect_uri checks (REG-REQ-5, REG-ERR-2): a URI the valid statement's application allows",
    ),
    Key(
        "token_ttl_seconds",
        "30",
        "the token lifetime the deployment uses; expiry (API-4) is checked live when it is at most 30 s",
    ),
    Key("protected_api.method", '"GET"', "the protected API checks (API-1 to API-4, FLOW-3)"),
    Key("protected_api.path", '"/api/v2/REF30/configuration"', "the protected API checks (API-1 to API-4, FLOW-3)"),
    Key(
        "statements.valid",
        '"@secrets/valid.jwt"',
        "a statement the deployment approves, granting client_credentials (@file: read from a file)",
        required=True,
    ),
    Key("statements.revoked", '"@secrets/revoked.jwt"', "REG-ERR-4: a well-formed statement of a revoked application"),
    Key(
        "statements.foreign_signed",
        '"@secrets/foreign.jwt"',
        "REG-ERR-3 with a key the deployment does not trust (absent: the harness forges its own)",
    ),
    Key(
        "statements.valid_no_redirect",
        '"@secrets/no-redirect.jwt"',
        "REG-ERR-2 for an application without redirect URIs",
    ),
    Key(
        "statements.revocable",
        '"@secrets/revocable.jwt"',
        "mid-run revocation checks (API-2, TOK-ERR-2, REG-ERR-4) with the admin hook; a run uses it up",
    ),
    Key("throttle.rate_per_s", "1", "the throttle profile (THR-2; default 1 request per second)"),
    Key("throttle.burst", "10", "the throttle profile (THR-2; default burst of 10)"),
    Key("throttle.device_header", '"X-Forwarded-For"', "the header that identifies a device (THR-1)"),
    Key(
        "admin.revoke_url",
        '"https://dcr.staging.example.com/admin/revoke"',
        "a test-only hook that revokes an application mid-run (with statements.revocable)",
    ),
    Key("admin.token", '"change-me"', "the bearer token of the admin hook"),
    Key("tls.verify", "true", "certificate checking (default on)"),
    Key("tls.ca_bundle", '"/etc/ssl/certs/internal-ca.pem"', "a CA bundle instead of the system store"),
    Key("front_door.name", '"nginx"', "what sits before the service, named in the report's deployment section"),
    Key(
        "front_door.max_body_bytes",
        "1048576",
        "the front door's largest body: a refusal of a smaller one is judged as the API's (absent: probed)",
    ),
    Key(
        "front_door.max_header_bytes",
        "8192",
        "the front door's largest header line: a refusal of a shorter one is judged as the API's (absent: probed)",
    ),
    Key(
        "front_door.repeated_header",
        '"refused"',
        'how the front door handles a repeated singleton header: "refused" or "one value" (absent: either)',
    ),
    Key("budget.max_requests", "5000", "a hard cap on the requests a run sends (default none)"),
    Key("load.allow_remote", "true", "load runs against an address off loopback (default false: refused)"),
    Key("load.max_duration_s", "600", "the longest load run allowed against this target (default 600 s)"),
    Key("load.max_requests", "200000", "the most requests a load run may send (default 200000)"),
)
BY_PATH = {k.path: k for k in KEYS}
# Tables whose keys the schema requires together: a missing one is added whole.
TOGETHER = ("protected_api", "admin")


def line_to_add(key: str) -> str:
    """The exact TOML a target file lacks for ``key`` (a leaf such as "statements.revoked",
    or a table such as "admin"), as one line: lines of a table are separated by " / "."""
    if key in BY_PATH and BY_PATH[key].table not in TOGETHER:
        k = BY_PATH[key]
        where = f"under [{k.table}]" if k.table else "before the first [table]"
        return f"add {where}: {k.line}"
    key = key.partition(".")[0] if key.partition(".")[0] in TOGETHER else key
    members = [k for k in KEYS if k.table == key]
    if not members:
        raise KeyError(f"not a target file key: {key!r}")
    return f"add: [{key}] / " + " / ".join(k.line for k in members)


def not_covered(key: str) -> str:
    """The skip reason of a check that needs ``key``."""
    return f"not covered: the target file has no `{key}`; {line_to_add(key)}"
