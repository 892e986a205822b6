"""Hypothesis profiles for every pytest session: the harness's own tests and the suites.

A pytest plugin (entry point `dcr_harness_hypothesis`), so that an installed harness has them
too; the repository's conftest.py imports it for a checkout whose install predates it.
ci: derandomized and bounded, so that CI runs are reproducible; thorough: for nightly runs;
dev: the default for people at a terminal. Select with HYPOTHESIS_PROFILE or --hypothesis-profile.
The example database lives under reports/ so that failures replay on the next run.
"""

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

_database = DirectoryBasedExampleDatabase(os.path.join("reports", "hypothesis-db"))
_slow_target = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None, database=None,
                          suppress_health_check=_slow_target, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None, database=_database,
                          suppress_health_check=_slow_target, print_blob=True)
settings.register_profile("thorough", max_examples=500, deadline=None, database=_database,
                          suppress_health_check=_slow_target, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_configure(config):
    """An explicit --hypothesis-seed wins over derandomize, so a seeded ci run explores that seed reproducibly.
    Idempotent: the plugin and the repository's conftest.py may both call it."""
    if config.getoption("hypothesis_seed", None) is not None and settings.default.derandomize:
        settings.register_profile("seeded", settings.default, derandomize=False)
        settings.load_profile("seeded")
