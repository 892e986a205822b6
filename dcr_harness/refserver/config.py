"""The reference server's settings (CLI options map one to one onto these fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .faults import FAULTS, unknown

DEVICE_INFO_POLICIES = ("reject", "fallback")


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, reported in the target file
    data_dir: Path = Path("refserver-data")
    token_ttl: int = 3600  # seconds; the embedded harness uses a short one to check API-4 live
    rate_per_s: float = 1.0
    burst: int = 10
    device_header: str = "X-Forwarded-For"
    device_info_policy: str = "reject"  # DEV-3 is a profile choice: reject with 400 or ignore
    faults: frozenset[str] = field(default_factory=frozenset)
    admin_token: str | None = None  # None: a random one per start, written to the target file
    service_provider: str = "REF30"
    max_body_bytes: int = 1 << 20  # larger bodies are malformed requests (400), never a 5xx
    max_devices: int = 100_000  # bound on the throttle's device map

    def __post_init__(self) -> None:
        bad = unknown(self.faults)
        if bad:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(bad))}")
        if self.device_info_policy not in DEVICE_INFO_POLICIES:
            raise ValueError(f"device_info_policy must be one of {DEVICE_INFO_POLICIES}")

    def fault(self, name: str) -> bool:
        """Whether fault `name` is on; a misspelt name in server code fails loudly."""
        if name not in FAULTS:
            raise KeyError(f"no such fault: {name}")
        return name in self.faults
