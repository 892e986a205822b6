"""The target file (docs/target-file.md): loading, validation, defaults."""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from ..errors import TargetError
from ..paths import SCHEMA_DIR
from .secret_values import Secret

ENV_VAR = "DCR_TARGET"


@dataclass(frozen=True)
class Statements:
    valid: str
    revoked: str | None = None
    foreign_signed: str | None = None
    valid_no_redirect: str | None = None
    revocable: str | None = None


@dataclass(frozen=True)
class ThrottleProfile:
    rate_per_s: float = 1.0
    burst: int = 10
    device_header: str = "X-Forwarded-For"


@dataclass(frozen=True)
class ProtectedApi:
    method: str
    path: str


@dataclass(frozen=True)
class Admin:
    revoke_url: str
    token: str


@dataclass(frozen=True)
class Tls:
    verify: bool = True
    ca_bundle: str | None = None

    def httpx_verify(self) -> bool | str:
        return self.ca_bundle if (self.verify and self.ca_bundle) else self.verify


@dataclass(frozen=True)
class LoadSafety:
    allow_remote: bool = False
    max_duration_s: float = 600.0
    max_requests: int = 200_000


@dataclass(frozen=True)
class FrontDoor:
    """What sits before the service, where the target file declares it (the contract's section 0): its name
    and limits. Absent limits are probed and reported; declared ones make a refusal within them a finding."""

    name: str | None = None
    max_body_bytes: int | None = None
    max_header_bytes: int | None = None  # the largest header line (name, colon and value)
    repeated_header: str | None = None  # "refused" or "one value": how it handles a repeated singleton field


@dataclass(frozen=True)
class Target:
    base_url: str
    statements: Statements
    name: str = ""
    register_path: str = "/o/client/register"
    token_path: str = "/o/client/token"
    protected_api: ProtectedApi | None = None
    allowed_redirect_uri: str | None = None
    token_ttl_seconds: float | None = None
    throttle: ThrottleProfile = field(default_factory=ThrottleProfile)
    admin: Admin | None = None
    tls: Tls = field(default_factory=Tls)
    max_requests: int | None = None
    load: LoadSafety = field(default_factory=LoadSafety)
    front_door: FrontDoor = field(default_factory=FrontDoor)
    source: str | None = None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def is_loopback(self) -> bool:
        host = self.host
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def masked(self) -> dict[str, Any]:
        """The target as reports may show it: statements and the admin token masked."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "register_path": self.register_path,
            "token_path": self.token_path,
            "protected_api": vars(self.protected_api) if self.protected_api else None,
            "statements": {k: ("<provided>" if v else None) for k, v in vars(self.statements).items()},
            "allowed_redirect_uri": self.allowed_redirect_uri,
            "token_ttl_seconds": self.token_ttl_seconds,
            "throttle": vars(self.throttle),
            "admin": {"revoke_url": self.admin.revoke_url, "token": "<masked>"} if self.admin else None,
            "tls": vars(self.tls),
            "budget": {"max_requests": self.max_requests},
            "front_door": vars(self.front_door),
            "source": self.source,
        }


def _validator() -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "target.schema.json").read_text())
    return Draft202012Validator(schema)


def _key_path(error: Any) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        parts.append(missing)
    return ".".join(parts) or "<top level>"


def _problem(error: Any) -> str:
    # A regular expression means nothing to a reader; the schema's description says what is wanted.
    if error.validator == "pattern" and error.schema.get("description"):
        return f"{error.instance!r} is not valid: expected {error.schema['description']}"
    return error.message


def _resolve_value(value: str, key: str, base_dir: Path) -> str:
    if not value.startswith("@"):
        return value.strip()
    path = (base_dir / value[1:]).expanduser()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise TargetError(f"{key}: cannot read statement file {path}: {exc.strerror or exc}") from None
    if not text:
        raise TargetError(f"{key}: statement file {path} is empty")
    return text


def target_from_dict(data: Any, base_dir: Path | None = None, source: str | None = None) -> Target:
    """Validate a parsed target document and build a Target; raises TargetError."""
    base_dir = base_dir or Path.cwd()
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{_key_path(e)}: {_problem(e)}" for e in errors[:5]]
        raise TargetError("invalid target file:\n  " + "\n  ".join(lines))
    stmts = {  # carried as Secrets: their reprs never show the value
        k: Secret(_resolve_value(v, f"statements.{k}", base_dir), "software_statement", f"statements.{k}")
        for k, v in data["statements"].items()
    }
    base_url = data["base_url"].rstrip("/")
    throttle = data.get("throttle", {})
    return Target(
        name=data.get("name") or (urlsplit(base_url).hostname or base_url),
        base_url=base_url,
        register_path=data.get("register_path", "/o/client/register"),
        token_path=data.get("token_path", "/o/client/token"),
        protected_api=ProtectedApi(**data["protected_api"]) if "protected_api" in data else None,
        statements=Statements(**stmts),
        allowed_redirect_uri=data.get("allowed_redirect_uri"),
        token_ttl_seconds=data.get("token_ttl_seconds"),
        throttle=ThrottleProfile(**throttle),
        admin=Admin(data["admin"]["revoke_url"], Secret(data["admin"]["token"], "admin_token", "admin.token"))
        if "admin" in data
        else None,
        tls=Tls(**data.get("tls", {})),
        max_requests=data.get("budget", {}).get("max_requests"),
        load=LoadSafety(**data.get("load", {})),
        front_door=FrontDoor(**data.get("front_door", {})),
        source=source,
    )


def parse_target_text(text: str, suffix: str) -> Any:
    """TOML or JSON, by suffix; an unknown suffix tries JSON, then TOML."""
    suffix = suffix.lower()
    try:
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return tomllib.loads(text)
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise TargetError(f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"not valid TOML: {exc}") from None


def load_target(path: str | os.PathLike[str]) -> Target:
    """Read a target file (TOML or JSON) by path; raises TargetError with a readable message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetError(f"target file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"cannot read target file {path}: {exc}") from None
    try:
        data = parse_target_text(text, path.suffix)
        return target_from_dict(data, base_dir=path.parent, source=str(path))
    except TargetError as exc:
        raise TargetError(f"{path}: {exc}") from None


def target_path_from_env(explicit: str | None) -> str | None:
    """--target wins over DCR_TARGET; neither means the embedded reference server."""
    return explicit or os.environ.get(ENV_VAR) or None
