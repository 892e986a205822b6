"""What every endpoint needs, bundled once per app (create_app builds it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import ServerConfig
from .device import DeviceInfoCheck
from .keys import Keys
from .store import Store
from .throttle import Throttle


@dataclass
class Context:
    config: ServerConfig
    store: Store
    keys: Keys
    throttle: Throttle
    device_info: DeviceInfoCheck
    # reg-reuse-credentials fault only: the one pair handed out per software_id.
    reused_credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
