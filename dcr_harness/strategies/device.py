"""X-Device-Info mutations (DEV-1..DEV-3): rejected with invalid_request or ignored, never a 5xx."""

from __future__ import annotations

import base64
import json

from hypothesis import strategies as st

from ..checks.provocations import INVALID_REQUEST, SUCCESS, P, Provocation
from ..contract import device_info, schemas
from .text import short

REQUIRED_KEYS = ("model", "version", "osName", "osVersion", "connectionType")
RESTRICTED_KEYS = ("osName", "primaryHardwareType", "osFamily", "osVendor", "browserName", "browserVendor")
PERMITTED = {SUCCESS, INVALID_REQUEST}  # DEV-3: a PROFILE choice between rejecting and ignoring


def _is_valid(value: str) -> bool:
    try:
        return not schemas.validate("device-info", device_info.decode(value))
    except (ValueError, RecursionError):
        return False


def _values() -> st.SearchStrategy[tuple[str, str]]:
    """(description, header value) of invalid device info."""
    not_json = st.binary(max_size=40).filter(lambda b: not _parses_as_object(b))
    return st.one_of(
        # Header values cannot carry surrounding white space (RFC 9110 5.5): httpx refuses to send it.
        st.from_regex(r"\A[ -~]{1,40}\Z")
        .filter(lambda v: v == v.strip() and not _is_valid(v))
        .map(lambda v: (f"not Base64 {short(v)}", v)),
        not_json.map(lambda b: (f"Base64 of non-JSON {short(b)}", base64.b64encode(b).decode())),
        st.sets(st.sampled_from(REQUIRED_KEYS), min_size=1).map(
            lambda keys: (f"lacks {sorted(keys)}", device_info.header_value(**dict.fromkeys(keys)))
        ),
        st.tuples(st.sampled_from(RESTRICTED_KEYS), st.text(max_size=20))
        .filter(lambda kv: _outside(*kv))
        .map(lambda kv: (f"{kv[0]}={short(kv[1])} outside its list", device_info.header_value(**{kv[0]: kv[1]}))),
    )


def _parses_as_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:
        return False


def _outside(key: str, value: str) -> bool:
    return not _is_valid(device_info.header_value(**{key: value}))


def device_cases() -> st.SearchStrategy[Provocation]:
    """Invalid X-Device-Info on register and on token (token cases use the context's credentials)."""

    def build(endpoint: str, described: tuple[str, str]) -> Provocation:
        name, value = described
        headers = {"X-Device-Info": value}
        if endpoint == "register":
            return P(
                "DEV-3 DEV-1 DEV-2 REG-REQ-2", name, endpoint, PERMITTED, lambda c: c.dcr.register(headers=headers)
            )
        return P(
            "DEV-3 DEV-1 DEV-2 TOK-REQ-3",
            name,
            endpoint,
            PERMITTED,
            lambda c: c.token_form(*c.good_form(), headers=headers),
        )

    return st.builds(build, st.sampled_from(["register", "token"]), _values())
