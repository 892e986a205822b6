"""A case's or probe's send function for tests that judge an answer without sending anything."""

from __future__ import annotations

from typing import NoReturn


def unsent(_: object) -> NoReturn:
    raise AssertionError("this test sends nothing: the case is judged on a made-up answer")
