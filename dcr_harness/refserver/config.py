"""The reference server's settings (CLI options map one to one onto these fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import choices as permitted
from .faults import FAULTS, unknown

DEVICE_INFO_POLICIES = ("reject", "fallback")
# The example under `--help` (also `dcr-harness serve --help`: the harness CLI reads it from here).
SERVE_EXAMPLE = "dcr-harness serve --port 8080 --target-out ref.json"


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
    choices: tuple[tuple[str, str], ...] = ()  # (name, value) of permitted choices (choices.py) other than defaults
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
        problems = permitted.validate(dict(self.choices))
        if problems:
            raise ValueError(problems[0])

    def choice(self, name: str) -> str:
        """The value taken for permitted choice `name` (its default unless chosen); a misspelt name fails loudly."""
        if name == "device-info":
            return dict(self.choices).get(name, self.device_info_policy)
        return dict(self.choices).get(name, permitted.CHOICES[name].default)

    def fault(self, name: str) -> bool:
        """Whether fault `name` is on; a misspelt name in server code fails loudly."""
        if name not in FAULTS:
            raise KeyError(f"no such fault: {name}")
        return name in self.faults
