"""Conformance suites: fixtures (target, dcr, credentials, access_token, needs) come from dcr_harness.engine.plugin."""

import pytest

from dcr_harness.checks.provocations import Context


@pytest.fixture
def provoke(dcr, needs):
    """Send one provocation from the negative-case tables, skipping when the target lacks an input."""

    def _provoke(provocation):
        needs(*provocation.needs)
        return provocation.send(Context(dcr))

    return _provoke


def pytest_collection_modifyitems(items):
    """A revocation is permanent: the lifecycle model, which may revoke statements.revocable, runs last."""
    items.sort(key=lambda item: item.path.name == "test_lifecycle.py")
