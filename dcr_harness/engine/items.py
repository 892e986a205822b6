"""What the engine reads off a collected check: the requirement IDs it cites and its title."""

from __future__ import annotations

import pytest


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("req"):
        ids.extend(a for a in mark.args if a not in ids)
    return ids


def check_title(item: pytest.Item) -> str:
    """The check's docstring first line, else its name made readable."""
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    name = item.originalname if isinstance(item, pytest.Function) else item.name
    base = doc.strip().splitlines()[0] if doc else name.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    return f"{base} [{callspec.id}]" if callspec else base
