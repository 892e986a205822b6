"""Hypothesis for every pytest session: profiles, where it stores files, the example database, the seed.

Imported by the pytest plugin (dcr_harness.engine.plugin), so the profiles exist wherever
`dcr-harness run` or `pytest` runs from, not only when the repository's conftest is loaded.

- ci: derandomized and bounded, no example database (CI runs are reproducible on their own);
- dev: the default at a terminal; thorough: for nightly runs (`HYPOTHESIS_PROFILE=thorough`).
Select with HYPOTHESIS_PROFILE or --hypothesis-profile.

Hypothesis writes nothing into the working directory: its home (`.hypothesis/`) is moved to
the per-user cache, and a conformance run's example database is keyed by target there
(`$XDG_CACHE_HOME/dcr-harness/hypothesis/<sha256 of the target key>`), so that failures found
against one target replay against that target only.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import TypedDict

import hypothesis
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import InvalidArgument

SEED_BITS = 32
_slow_target = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


class _Common(TypedDict):
    """The settings every profile shares (typed, so that each reaches register_profile as its own keyword)."""

    deadline: None
    suppress_health_check: list[HealthCheck]
    print_blob: bool


_common = _Common(deadline=None, suppress_health_check=_slow_target, print_blob=True)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dcr-harness"


def example_db_dir(target_key: str) -> Path:
    return cache_root() / "hypothesis" / hashlib.sha256(target_key.encode()).hexdigest()[:32]


# report_multiple_bugs=False: once a property fails, stop searching and shrink that one failure.
settings.register_profile("ci", derandomize=True, max_examples=25, database=None, report_multiple_bugs=False, **_common)
# derandomize stated outright: with CI set, Hypothesis' own default (the parent of these) is derandomized.
settings.register_profile(
    "dev", max_examples=50, database=None, report_multiple_bugs=False, derandomize=False, **_common
)
settings.register_profile("thorough", max_examples=500, database=None, derandomize=False, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(cache_root() / "hypothesis-home")


def current_profile() -> str | None:
    return settings.get_current_profile_name()  # public since Hypothesis 6.139


def choose_seed(explicit: int | None, profile: str | None) -> int | None:
    """The run's seed: the one asked for, else a fresh one (None for a derandomized profile, whose
    examples depend on the check alone)."""
    if explicit is not None:
        return int(explicit)
    try:
        chosen = settings.get_profile(profile) if profile else settings()
    except InvalidArgument:  # an unknown --hypothesis-profile: Hypothesis' own plugin says so
        chosen = settings()
    return None if chosen.derandomize else secrets.randbits(SEED_BITS)


def configure_run(seed: int | None, example_db_key: str | None) -> None:
    """Load the run's settings: an explicit seed wins over derandomize; the database is keyed by target.

    example_db_key None: no database (--no-example-db, or not a conformance run); the ci profile never has one."""
    name = current_profile() or "default"
    changes: dict[str, object] = {}
    if seed is not None and settings().derandomize:  # settings(): the current default's values
        changes["derandomize"] = False
    if example_db_key is not None and name != "ci":
        changes["database"] = DirectoryBasedExampleDatabase(example_db_dir(example_db_key))
    if changes:
        settings.register_profile(name, settings.default, **changes)  # this process only
        settings.load_profile(name)


class HypothesisRun:
    """pytest plugin object: the run's seed and settings.

    An explicit --hypothesis-seed is Hypothesis' own global seed: the run replays exactly (Hypothesis
    then leaves the example database out). A chosen seed is applied per check instead (hypothesis.seed,
    public API), which keeps the example database: failures found before replay first."""

    def __init__(self, config, seed: int | None, forced: bool) -> None:
        self.config = config
        self.example_db_key: str | None = None  # set by the harness plugin for a conformance run
        self.seed = seed
        self.forced = forced
        if forced:
            config.option.hypothesis_seed = seed

    def seeded(self, test):
        """The test (a @given function) with the run's seed, unless the seed is global.

        hypothesis.seed() also turns the example database off for the test; the run keeps it by
        giving the test the run's settings again through the public @settings decorator, so that
        saved failures still replay first. A test with its own @settings keeps them (Hypothesis
        refuses a second decorator) and runs seeded without the database.
        tests/e2e/test_example_db_and_seed.py fails if a seeded run stops saving examples."""
        if self.seed is None or self.forced:
            return test
        hypothesis.seed(self.seed)(test)
        try:
            settings(settings.default)(test)
        except InvalidArgument:
            pass  # the test's own @settings: seeded, without the example database
        return test

    def pytest_sessionstart(self, session) -> None:
        configure_run(self.seed if self.forced else None, self.example_db_key)

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
                self.seeded(item.obj)
