"""Conformance suites: fixtures (target, dcr, credentials, access_token, needs, check_record) come from
dcr_harness.engine.plugin; the run's positive controls and the throttle lab are here."""

import pytest

from dcr_harness import checks
from dcr_harness.checks import CheckBlocked, controls, envelope, throttle_scenarios
from dcr_harness.checks.provocations import MADE_UP_CONTROL, Context
from dcr_harness.checks.throttle_lab import FirstRequestRefused, Lab
from dcr_harness.engine.items import requirement_ids
from dcr_harness.errors import Confounded, Unjudgeable
from dcr_harness.http import DcrClient
from dcr_harness.http.client import PreconditionFailed


def pytest_configure(config):
    config.addinivalue_line("markers", "throttle_scenario(name): the throttle lab scenario a throttling check judges")


@pytest.fixture(scope="session", autouse=True)
def positive_controls(http_session, file_on_running_check):
    """The run's positive controls (dcr_harness/checks/controls.py), each sent once, on first need."""

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
        return sent(
            DcrClient(http_session).token(controls.MADE_UP_CLIENT_ID, controls.MADE_UP_SECRET),
            "a token request with made-up credentials",
        )

    controls.install(
        controls.Controls({"register": register, "token": token, MADE_UP_CONTROL: made_up}, file_on_running_check)
    )
    envelope.install(envelope.Limits.of(http_session.target.front_door))
    yield
    controls.install(None)
    envelope.install(envelope.Limits())


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


def _scenario_name(item):
    mark = item.get_closest_marker("throttle_scenario")
    return mark.args[0] if mark else None


@pytest.fixture(scope="session")
def throttle_lab(request, http_session):
    """Every throttling scenario the run selected, started once, side by side (dcr_harness/checks/throttle_scenarios.py)."""
    try:
        lab = Lab(http_session)
    except PreconditionFailed as exc:
        yield exc
        return
    throttle_scenarios.start(lab, {_scenario_name(item) for item in request.session.items} - {None})
    yield lab
    lab.close()


@pytest.fixture
def scenario(request, throttle_lab, target, check_record):
    """The record of this check's scenario (dcr_harness/checks/scenario_results.py).

    The exchanges of its timelines are filed on this check's record."""
    lab = throttle_lab
    reqs = requirement_ids(request.node)
    name = _scenario_name(request.node)
    if isinstance(lab, FirstRequestRefused) and name in throttle_scenarios.FIRST_REQUEST_JUDGES:
        # Judged where it happens, even while other workers' requests drain an allowance shared by all devices.
        checks.fail(
            throttle_scenarios.FIRST_REQUEST_JUDGES[name],
            f"{lab}: the allowance is not per device (one "
            f"shared by all devices, or devices not told apart by the first "
            f"{target.throttle.device_header} address)",
            lab.exchange,
        )
    if isinstance(lab, PreconditionFailed):
        checks.not_verified(reqs, f"blocked: {lab}", blocked=True, why=lab.reason)
        raise CheckBlocked(f"no throttle probe could be learnt: {lab}", lab.exchange)
    try:
        result = lab.result(name, throttle_scenarios.SCENARIOS[name])
    except Confounded as exc:
        checks.not_verified(reqs, f"blocked: {exc}", blocked=True)
        raise CheckBlocked(str(exc)) from None
    except Unjudgeable as exc:
        # Structured (exc.unjudged, e.g. "timing"): it applies and was left unjudged, which no PASS hides;
        # otherwise the target explains it (another profile, no throttle at all: other checks say so).
        checks.not_verified(reqs, str(exc), unjudged=exc.unjudged)
        pytest.skip(f"{'not judged' if exc.unjudged else 'not covered'}: {exc}")
    if check_record is not None:
        check_record.exchanges.extend(lab.baseline + [e for t in result.timelines() for e in t.exchanges()])
    return result


@pytest.fixture
def note(check_record):
    """Put a summary on the check's record (shown for passed checks too)."""

    def _note(text: str) -> None:
        if check_record is not None:
            check_record.message = text
        print(text)

    return _note


def pytest_collection_modifyitems(items):
    """A revocation is permanent: the lifecycle model, which may revoke statements.revocable, runs last."""
    items.sort(key=lambda item: item.path.name == "test_lifecycle.py")
