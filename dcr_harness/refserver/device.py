"""X-Device-Info handling on register and token (REG-REQ-2, DEV-1..DEV-3).

Absent: fine (the server falls back to implicit extraction). Present and invalid (not
Base64 of a JSON object, or not valid against schemas/device-info.schema.json, which
holds the DEV-2 keys and value lists): the policy decides, 400 invalid_request
("reject") or ignore it ("fallback").
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from ..contract import schemas
from ..contract.device_info import decode
from . import rare
from .errors import InjectedFailure, invalid_request

log = logging.getLogger(__name__)

HEADER = "x-device-info"
SCHEMA = "device-info"


def problems(value: str) -> list[str]:
    """Why a header value is not valid device info; empty when it is."""
    try:
        return schemas.validate(SCHEMA, decode(value))
    except (ValueError, RecursionError) as exc:  # DeviceInfoError, and what json.loads raises on deep or huge input
        return [str(exc) or type(exc).__name__]


def _decoded(value: str) -> object:
    try:
        return decode(value)
    except (ValueError, RecursionError):
        return None


class DeviceInfoCheck:
    def __init__(self, policy: str, fail_500: bool = False, fail_500_on_control_key: bool = False) -> None:
        self.policy = policy
        self.fail_500 = fail_500  # dev-500-bad-device-info
        self.fail_500_on_control_key = fail_500_on_control_key  # rare-500-device-key-control
        schemas.validator(SCHEMA)  # a missing schema is a startup error, not a per-request one

    def __call__(self, request: Request) -> None:
        values = request.headers.getlist(HEADER)
        if not values:
            return
        if self.fail_500_on_control_key and any(rare.device_keys(_decoded(v)) for v in values):
            raise InjectedFailure()
        found = ["sent more than once"] if len(values) > 1 else problems(values[0])
        if not found:
            return
        if self.fail_500:
            raise InjectedFailure()
        if self.policy == "reject":
            raise invalid_request("X-Device-Info: " + "; ".join(found[:3]))
        log.debug("ignoring invalid X-Device-Info: %s", found)
