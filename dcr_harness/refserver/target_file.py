"""The target file the server writes for itself (docs/target-file.md), atomically, so a
harness polling for it never reads half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..contract.target import target_from_dict
from .app import ADMIN_REVOKE_PATH, REGISTER_PATH, TOKEN_PATH
from .config import ServerConfig
from .seed import ALLOWED_REDIRECT_URI


def base_url(host: str, port: int) -> str:
    """Where a client on this machine reaches a server bound to (host, port)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def target_document(config: ServerConfig, url: str, statements: dict[str, str]) -> dict[str, Any]:
    doc = {
        "name": "reference",
        "base_url": url,
        "register_path": REGISTER_PATH,
        "token_path": TOKEN_PATH,
        "protected_api": {"method": "GET", "path": f"/api/v2/{config.service_provider}/configuration"},
        "statements": dict(statements),
        "allowed_redirect_uri": ALLOWED_REDIRECT_URI,
        "token_ttl_seconds": config.token_ttl,
        "throttle": {"rate_per_s": config.rate_per_s, "burst": config.burst, "device_header": config.device_header},
    }
    if config.admin_token:
        doc["admin"] = {"revoke_url": url + ADMIN_REVOKE_PATH, "token": config.admin_token}
    target_from_dict(doc)  # the harness must be able to load what we write; TargetError otherwise
    return doc


def write_atomically(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # The file holds the admin token: owner-only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=2)
        out.write("\n")
    os.replace(tmp, path)
