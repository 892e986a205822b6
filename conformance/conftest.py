"""Conformance suites: fixtures (target, dcr, credentials, access_token, needs) come from dcr_harness.plugin."""

import pytest

from dcr_harness import plugin
from dcr_harness.checks import controls
from dcr_harness.http import DcrClient
from dcr_harness.http.client import PreconditionFailed
from dcr_harness.provocations import MADE_UP_CONTROL, Context


@pytest.fixture(scope="session", autouse=True)
def positive_controls(request, http_session):
    """The run's positive controls (dcr_harness/checks/controls.py), each sent once, on first need."""
    recorder = request.config.stash.get(plugin.RECORDER, None)

    def sent(ex, what):
        ex.note = f"positive control: {what}, sent once from a fresh device and reused"
        return ex

    def register():
        return sent(DcrClient(http_session).register(), "the valid registration")

    def token():
        client = DcrClient(http_session)
        try:
            creds = client.register_ok()
        except PreconditionFailed:
            return None
        return sent(client.token(creds.client_id, creds.client_secret), "a token request with fresh credentials")

    def made_up():
        return sent(DcrClient(http_session).token(controls.MADE_UP_CLIENT_ID, controls.MADE_UP_SECRET),
                    "a token request with made-up credentials")

    def file(ex):
        current = recorder.current if recorder is not None else None
        if current is not None and all(e is not ex for e in current.exchanges):
            current.exchanges.append(ex)

    controls.install(controls.Controls({"register": register, "token": token, MADE_UP_CONTROL: made_up}, file))
    yield
    controls.install(None)


@pytest.fixture
def provoke(dcr, needs):
    """Send one provocation from the negative-case tables, skipping when the target lacks an input.

    Returns (exchange, made_up): made_up when registration was refused and the token request
    went with made-up credentials."""

    def _provoke(provocation):
        needs(*provocation.needs)
        context = Context(dcr, made_up_allowed=provocation.endpoint == "token")
        return provocation.send(context), context.made_up

    return _provoke


def pytest_collection_modifyitems(items):
    """A revocation is permanent: the lifecycle model, which may revoke statements.revocable, runs last."""
    items.sort(key=lambda item: item.path.name == "test_lifecycle.py")
