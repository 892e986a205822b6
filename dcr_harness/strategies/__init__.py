"""Hypothesis strategies for property-based negative testing.

Every strategy yields `Provocation`s (dcr_harness.checks.provocations): one request with its
oracle attached, i.e. the requirement IDs it tests and the set of permitted answers
(error codes, and SUCCESS where the contract says the input must or may be served).
Strategies that need the target's inputs take them as arguments; a variant whose input
is unavailable is left out, and `unavailable` names the target key it lacked.

Modules: text (nasty strings), negotiation (media types, Accept), register, token,
forgeries (software statements), device (X-Device-Info), api (Authorization), oracle.
"""

from . import api, device, forgeries, negotiation, oracle, register, text, token
from .oracle import judge_case

__all__ = ["api", "device", "forgeries", "judge_case", "negotiation", "oracle", "register", "text", "token"]
