"""X-Device-Info values (DEV-1, DEV-2): Base64 of a JSON object with documented keys.

The documentation's own samples are invalid (DEV-3), so the harness builds its own.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import DeviceInfoError

DEFAULT_DEVICE: dict[str, Any] = {
    "primaryHardwareType": "SetTopBox",
    "model": "TV 5th Gen",
    "version": "5.3",
    "manufacturer": "Apple",
    "vendor": "Apple",
    "osName": "tvOS",
    "osFamily": "tvOS",
    "osVendor": "Apple",
    "osVersion": "11.0",
    "connectionType": "WiFi",
    "connectionSecure": True,
    "applicationId": "dcr-harness",
}

# The register and token samples of the documentation, verbatim (DEV-3: not valid JSON).
DOCUMENTATION_SAMPLE = (
    "ewoJInByaW1hcnlIYXJkd2FyZVR5cGUiOiAiU2V0VG9wQm94IiwKCSJtb2RlbCI6ICJUViA1dGggR2VuIiwKCSJt"
    "YW51ZmFjdHVyZXIiOiAiQXBwbGUiLAoJIm9zTmFtZSI6ICJ0dk9TIgoJIm9zVmVuZG9yIjogIkFwcGxlIiwKCSJv"
    "c1ZlcnNpb24iOiAiMTEuMCIKfQ=="
)


def build(**overrides: Any) -> dict[str, Any]:
    """A valid device description; keys set to None are removed."""
    device = {**DEFAULT_DEVICE, **overrides}
    return {k: v for k, v in device.items() if v is not None}


def encode(device: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(device, separators=(",", ":")).encode()).decode()


def header_value(**overrides: Any) -> str:
    return encode(build(**overrides))


def decode(value: str) -> Any:
    """Decode a header value to JSON; raises DeviceInfoError when it is not Base64 JSON."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DeviceInfoError(f"not Base64: {exc}") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeviceInfoError(f"not JSON: {exc}") from None
