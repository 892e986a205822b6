"""Small named checks over exchanges; each cites the requirement IDs it enforces.

A check records evidence per requirement (`held`, `breach`, `not_verified`, `warn`) and
judges every property of an answer; `fail` records a breach and stops the check. The
recorder turns the evidence into verdicts (dcr_harness.contract.verdicts).
"""

from ..errors import CheckBlocked
from . import controls, envelope
from .base import (
    Breach,
    BreachKind,
    CheckFailed,
    Evidence,
    Finding,
    at_the_envelope,
    breach,
    collect_evidence_into,
    current_evidence,
    expect,
    fail,
    held,
    judged_apart,
    not_verified,
    raise_if_breached,
    soft,
    warn,
)
from .responses import (
    answer,
    api_accepted,
    api_error_body,
    api_rejected,
    cache_headers,
    error_code_in,
    json_media_type,
    matches_schema,
    no_server_error,
    oauth_error,
    register_success,
    status_in,
    token_stopped_working,
    token_success,
)

__all__ = [
    "Breach",
    "BreachKind",
    "CheckBlocked",
    "CheckFailed",
    "Evidence",
    "Finding",
    "answer",
    "api_accepted",
    "api_error_body",
    "api_rejected",
    "at_the_envelope",
    "breach",
    "controls",
    "envelope",
    "cache_headers",
    "collect_evidence_into",
    "current_evidence",
    "error_code_in",
    "expect",
    "fail",
    "held",
    "json_media_type",
    "judged_apart",
    "matches_schema",
    "no_server_error",
    "not_verified",
    "oauth_error",
    "raise_if_breached",
    "register_success",
    "soft",
    "status_in",
    "token_stopped_working",
    "token_success",
    "warn",
]
