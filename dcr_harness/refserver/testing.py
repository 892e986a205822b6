"""The reference server in-process, for fast tests (starlette TestClient, no socket).

Tests that need the real thing (uvicorn, restarts, signals) start it in a subprocess
instead; this is for table-driven checks of faults and edge cases.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx is what this project ships.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from starlette.testclient import TestClient

from .app import REGISTER_PATH, TOKEN_PATH, create_app
from .config import ServerConfig
from .keys import FOREIGN_KEY_FILE, SIGNING_KEY_FILE, Keys
from .seed import seed
from .store import Store
from .throttle import Throttle

API_PATH = "/api/v2/REF30/configuration"
ADMIN_TOKEN = "test-admin-token"


class FakeClock:
    """A monotonic clock that tests set by hand (throttle schedules without sleeping)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class InProcess:
    client: TestClient
    config: ServerConfig
    store: Store
    keys: Keys
    statements: dict[str, str]
    clock: Callable[[], float] | None = None  # the throttle's clock, when one was injected

    def register(self, statement: str | None = None, **kw: Any) -> httpx.Response:
        body = kw.pop("json", {"software_statement": statement or self.statements["valid"]})
        return self.client.post(REGISTER_PATH, json=body, **kw)

    def credentials(self, statement: str | None = None) -> tuple[str, str]:
        answer = self.register(statement)
        assert answer.status_code == 201, answer.text
        return answer.json()["client_id"], answer.json()["client_secret"]

    def token(self, client_id: str, secret: str, grant_type: str = "client_credentials", **kw: Any) -> httpx.Response:
        form = {"client_id": client_id, "client_secret": secret, "grant_type": grant_type}
        return self.client.post(TOKEN_PATH, data=form, **kw)

    def access_token(self, statement: str | None = None) -> str:
        answer = self.token(*self.credentials(statement))
        assert answer.status_code == 201, answer.text
        return answer.json()["access_token"]

    def api(self, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.get(API_PATH, headers=headers, **kw)


def copy_keys(source_dir: Path, data_dir: Path) -> None:
    """Reuse generated keys (RSA generation dominates an in-process server's start-up)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (SIGNING_KEY_FILE, FOREIGN_KEY_FILE):
        shutil.copy(source_dir / name, data_dir / name)


@contextmanager
def in_process(data_dir: Path, clock: Callable[[], float] | None = None, **config: Any) -> Iterator[InProcess]:
    """A seeded server on `data_dir`; keyword arguments are ServerConfig fields."""
    config.setdefault("admin_token", ADMIN_TOKEN)
    cfg = ServerConfig(data_dir=data_dir, **config)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "dcr.sqlite3")
    try:
        keys = Keys.load_or_create(data_dir)
        statements = seed(store, keys)
        throttle = Throttle(cfg, clock) if clock else None
        with TestClient(create_app(cfg, store, keys, throttle), raise_server_exceptions=False) as client:
            yield InProcess(client, cfg, store, keys, statements, clock)
    finally:
        store.close()
