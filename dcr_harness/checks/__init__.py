"""Small named checks over exchanges; each cites the requirement IDs it enforces.

A check returns what it validated (a parsed body) or raises CheckFailed, whose message
names the requirement and the exchange behind the verdict.
"""

from .base import CheckFailed, Finding, collect_findings_into, fail, warn
from .responses import (
    api_accepted,
    api_rejected,
    error_code_in,
    json_media_type,
    matches_schema,
    no_server_error,
    oauth_error,
    register_success,
    status_in,
    token_success,
)

__all__ = [
    "CheckFailed", "Finding", "collect_findings_into", "warn", "api_accepted", "api_rejected", "error_code_in", "fail", "json_media_type",
    "matches_schema", "no_server_error", "oauth_error", "register_success", "status_in", "token_success",
]
