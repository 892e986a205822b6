"""The inverse of masking for a replay: `${VAR}`, `${VAR:offset:length}` and `${VAR FORM}` back to bytes.

A report holds requests with every secret as a variable reference (http/masking.py). Given
the values (from the target file or the environment, never from the report), this rebuilds
the exact text that was sent, encodings and stretches included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..contract.secret_values import KIND_VARIABLES, Secret
from .masking import forms_of

REFERENCE = re.compile(r"\$\{(DCR_[A-Z0-9_]+?)(?::(\d+)(?::(\d+))?)?(?: ([^}]+))?\}")
_KINDS = sorted(KIND_VARIABLES.items(), key=lambda kv: -len(kv[1]))


class MissingVariable(KeyError):
    """A reference to a variable whose value was not given."""


def variables_used(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in REFERENCE.finditer(text)))


def kind_of(variable: str) -> str:
    """The secret kind a variable name stands for (DCR_CLIENT_SECRET_3 -> client_secret)."""
    return next((kind for kind, base in _KINDS if variable == base or variable.startswith(base + "_")), "secret")


def _form_text(variable: str, value: str, form_name: str | None) -> str:
    if not form_name:
        return value
    for form in forms_of(Secret(value, kind_of(variable), ""), variable):
        if form.name == form_name:
            return form.value
    raise ValueError(f"${{{variable} {form_name}}}: not a form the harness masks")


def unmask(text: str, values: Mapping[str, str]) -> str:
    """text with every reference replaced by the stretch of its variable's value (or encoded form) it stands for."""

    def replace(m: re.Match[str]) -> str:
        variable, start, length, form_name = m.groups()
        if variable not in values:
            raise MissingVariable(variable)
        form = _form_text(variable, values[variable], form_name)
        a = int(start or 0)
        return form[a : a + int(length)] if length is not None else form[a:]

    return REFERENCE.sub(replace, text)
