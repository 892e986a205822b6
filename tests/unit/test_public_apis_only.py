"""Public APIs only: the shipped source uses no private name of another package.

A private name (a leading underscore, a module under `_pytest` or `internal`) breaks on some
release, and users install today's releases. Every remaining exception is in ALLOWED with the
documentation that makes it safe, and the code that relies on it feature-detects it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from .private_names import scan, source_files

ROOT = Path(__file__).resolve().parents[2]

# (file, name) -> why it is safe.
ALLOWED: dict[tuple[str, str], str] = {
    ("dcr_harness/engine/shrink_budget.py", "hypothesis.internal.conjecture.engine"): (
        "MAX_SHRINKING_SECONDS: Hypothesis' engine source documents the constant as the knob to patch "
        "('make it monkeypatchable, for the rare users who need to keep on shrinking'); shrink_budget.py "
        "feature-detects it and warns in one line when it is gone; verdicts never depend on it"
    ),
}


def test_the_shipped_source_uses_no_private_name_of_another_package():
    found = [u for u in scan(source_files(ROOT), ROOT) if (u.path, u.name) not in ALLOWED]
    assert not found, (
        "private names of other packages (use the public API, or allow with its documentation):\n"
        + "\n".join(map(str, found))
    )


def test_every_allowed_exception_is_still_needed():
    used = {(u.path, u.name) for u in scan(source_files(ROOT), ROOT)}
    assert set(ALLOWED) <= used, f"stale entries: {set(ALLOWED) - used}"


# Each shape of reach the harness once had (as of 003ab4f), and the public forms that replaced them.
REACHES = {
    "wraps a private method": "from hypothesis.internal.conjecture import engine\n"
    "engine.ConjectureRunner.shrink_interesting_examples = wrapped\n",
    "reads a private class attribute": "from hypothesis import settings\nname = getattr(settings, '_current_profile', None)\n",
    "keeps a private name in a constant": "ATTR = '_hypothesis_internal_use_settings'\ndef f(t):\n    return getattr(t, ATTR)\n",
    "calls a private method": "import pytest\ndef f(report):\n    return report._to_json()\n",
    "swaps a private file": "def f(reporter, s):\n    reporter._tw._file = s\n",
    "overrides a private method": "from xdist.scheduler import LoadScopeScheduling\n"
    "class S(LoadScopeScheduling):\n    def _split_scope(self, nodeid):\n        return nodeid\n",
    "reads private argparse state": "def f(parser):\n    return parser._subparsers._group_actions\n",
    "patches another package's class": "import argparse\nargparse.ArgumentParser.error = lambda self, m: None\n",
    "imports pytest's private package": "from _pytest.reports import TestReport\n",
}
PUBLIC = {
    "public profile name": "from hypothesis import settings\nname = settings.get_current_profile_name()\n",
    "public subclass": "import argparse\nclass P(argparse.ArgumentParser):\n    def error(self, message):\n        raise SystemExit(2)\n",
    "own private helper": "class C:\n    def _helper(self):\n        return self._cache\n",
    "public hook": "import pytest\ndef f(config, report):\n    return config.hook.pytest_report_to_serializable(config=config, report=report)\n",
}


def _scan_snippet(tmp_path: Path, source: str) -> list[str]:
    path = tmp_path / "snippet.py"
    path.write_text(textwrap.dedent(source))
    return [str(u) for u in scan([path], tmp_path)]


def test_each_old_reach_is_found(tmp_path):
    for what, source in REACHES.items():
        assert _scan_snippet(tmp_path, source), f"not found: {what}"


def test_public_uses_are_not_flagged(tmp_path):
    for what, source in PUBLIC.items():
        assert not _scan_snippet(tmp_path, source), f"flagged: {what}"
