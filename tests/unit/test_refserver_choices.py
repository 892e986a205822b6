"""Every permitted choice changes the reference's answer the way it says: one provocation per
choice, answered with the default and with each alternative (in-process, like the faults)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from dcr_harness.refserver import choices
from dcr_harness.refserver.config import ServerConfig
from dcr_harness.refserver.main import build_parser, config_from_args
from dcr_harness.refserver.seed import VALID
from dcr_harness.refserver.testing import API_PATH, InProcess, copy_keys, in_process

from .test_refserver_faults import GOOD_FORM, REGISTER, Provoke, _error, key_dir  # noqa: F401


def _answer(r) -> Any:
    """'201', or '400 <error code>': enough to tell the alternatives apart."""
    return str(r.status_code) if r.status_code < 400 else f"{r.status_code} {_error(r)}"


def _register(body: Any) -> Provoke:
    return lambda s: _answer(
        s.client.post(
            REGISTER,
            content=json.dumps(body(s) if callable(body) else body),
            headers={"Content-Type": "application/json"},
        )
    )


def _token(form: str, query: str = "", **headers: str) -> Provoke:
    """A token request from fresh credentials; ID and SECRET in `form`/`query` are replaced."""

    def send(s: InProcess) -> str:
        client_id, secret = s.credentials()
        fill = lambda text: text.replace("ID", client_id).replace("SECRET", secret)  # noqa: E731
        return _answer(
            s.client.post(
                "/o/client/token" + fill(query),
                content=fill(form),
                headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
            )
        )

    return send


def _basic_alone(s: InProcess) -> str:
    client_id, secret = s.credentials()
    basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return _answer(
        s.client.post(
            "/o/client/token",
            content="grant_type=client_credentials",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic},
        )
    )


def _valid(s: InProcess) -> str:
    return s.statements["valid"]


BAD_DEVICE = {"X-Device-Info": "bm90IGpzb24="}
CONFLICT = {"Accept": "application/json;q=0, application/json"}

# choice: (provocation, answer per value, in the order of CHOICES[name].values)
CASES: dict[str, tuple[Provoke, tuple[Any, ...]]] = {
    "empty-statement": (
        _register({"software_statement": ""}),
        ("400 invalid_request", "400 invalid_software_statement"),
    ),
    "statement-type": (
        _register({"software_statement": 42}),
        ("400 invalid_request", "400 invalid_software_statement"),
    ),
    "jwt-shape": (_register({"software_statement": "a.b"}), ("400 invalid_software_statement", "400 invalid_request")),
    "statement-time": (
        lambda s: _answer(s.register(s.keys.mint(VALID, exp=int(time.time()) - 3600))),
        ("400 invalid_software_statement", "400 unapproved_software_statement"),
    ),
    "api-token-code": (
        lambda s: s.api().json()["code"],
        ("invalid_access_token_client_application", "invalid_access_token_service_provider"),
    ),
    "query-token": (
        lambda s: s.client.get(API_PATH, params={"access_token": s.access_token()}).status_code,
        (401, 200),
    ),
    "empty-redirect-uri": (
        _register(lambda s: {"software_statement": _valid(s), "redirect_uri": ""}),
        ("400 invalid_redirect_uri", "201"),
    ),
    "unknown-members": (
        _register(lambda s: {"software_statement": _valid(s), "x_extra": 1}),
        ("201", "400 invalid_request"),
    ),
    "invalid-utf8": (
        _token("client_id=%FF&client_secret=SECRET&grant_type=client_credentials"),
        ("400 invalid_request", "400 invalid_client"),
    ),
    "error-order": (
        _register({"redirect_uri": "https://app.example.com/callback"}),
        ("400 invalid_request", "400 invalid_redirect_uri"),
    ),
    "basic-alone": (_basic_alone, ("201", "400 invalid_request")),
    "query-params": (_token("", "?" + GOOD_FORM), ("400 invalid_request", "201")),
    "empty-repeat": (_token(GOOD_FORM + "&client_id="), ("400 invalid_request", "201")),
    "malformed-credentials": (
        _token("client_id=ID%01&client_secret=SECRET&grant_type=client_credentials"),
        ("400 invalid_client", "400 invalid_request"),
    ),
    "grant-parameters": (
        _token("client_id=ID&client_secret=SECRET&grant_type=refresh_token"),
        ("400 unauthorized_client", "400 invalid_request"),
    ),
    "token-type": (lambda s: s.token(*s.credentials()).json()["token_type"], ("bearer", "Bearer")),
    "accept-conflict": (lambda s: _answer(s.register(headers=CONFLICT)), ("201", "400 invalid_request")),
    "error-members": (
        lambda s: (
            type(s.register(json={}).json()["error_description"]).__name__,
            type(s.api().json().get("details")).__name__,
        ),
        (("str", "NoneType"), ("NoneType", "NoneType"), ("dict", "dict")),
    ),
    "api-error-body": (lambda s: s.api().headers["content-type"].split(";")[0], ("application/json", "text/plain")),
    "device-info": (lambda s: _answer(s.register(headers=BAD_DEVICE)), ("400 invalid_request", "201")),
}


def _outcome(keys: Path, data_dir: Path, chosen: tuple[tuple[str, str], ...], provoke: Provoke) -> Any:
    copy_keys(keys, data_dir)
    with in_process(data_dir, choices=chosen, burst=1_000_000) as server:
        return provoke(server)


def test_every_choice_has_a_case():
    assert sorted(CASES) == sorted(choices.CHOICES)


@pytest.mark.parametrize("name", sorted(choices.CHOICES))
def test_choice_changes_behaviour(name, key_dir, tmp_path):  # noqa: F811 (a fixture)
    provoke, answers = CASES[name]
    values = choices.CHOICES[name].values
    assert len(answers) == len(values)
    for index, (value, expected) in enumerate(zip(values, answers, strict=True)):
        chosen = () if index == 0 else ((name, value),)
        assert _outcome(key_dir, tmp_path / value, chosen, provoke) == expected, (name, value)


@pytest.mark.parametrize(
    "argv, problem",
    [
        (["--choice", "token-type"], "expected NAME=VALUE"),
        (["--choice", "no-such=1"], "unknown choice 'no-such'"),
        (["--choice", "token-type=mac"], "takes one of bearer, Bearer"),
    ],
)
def test_bad_choices_are_one_line_errors(argv, problem):
    with pytest.raises(ValueError, match=problem):
        config_from_args(build_parser().parse_args(argv))


def test_choices_reach_the_config():
    config = config_from_args(
        build_parser().parse_args(["--choice", "token-type=Bearer", "--choice", "device-info=fallback"])
    )
    assert (config.choice("token-type"), config.choice("device-info"), config.choice("basic-alone")) == (
        "Bearer",
        "fallback",
        "serve",
    )
    assert ServerConfig(device_info_policy="fallback").choice("device-info") == "fallback"


def test_every_choice_is_listed_with_the_sentence_that_permits_it():
    text = choices.listing()
    for name, choice in choices.CHOICES.items():
        assert name in text and choice.permits in text and "|".join(choice.values) in text
