"""The target file: TOML and JSON, @file values, defaults, clear errors (TARGET.md)."""

import json

import pytest

from dcr_harness.contract.target import TargetError, load_target, target_from_dict

MINIMAL = {"base_url": "https://dcr.staging.example.com", "statements": {"valid": "eyJ.a.b"}}


def test_defaults_follow_target_md():
    t = target_from_dict(MINIMAL)
    assert (t.name, t.register_path, t.token_path) == (
        "dcr.staging.example.com",
        "/o/client/register",
        "/o/client/token",
    )
    assert (t.throttle.rate_per_s, t.throttle.burst, t.throttle.device_header) == (1, 10, "X-Forwarded-For")
    assert t.protected_api is None and t.admin is None and t.tls.verify is True


def test_toml_with_statement_from_file(tmp_path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "valid.jwt").write_text("eyJhbGciOiJSUzI1NiJ9.e30.sig\n")
    path = tmp_path / "staging.toml"
    path.write_text(
        'name = "staging"\nbase_url = "https://dcr.staging.example.com"\n'
        '[protected_api]\nmethod = "GET"\npath = "/api/v2/REF30/configuration"\n'
        '[statements]\nvalid = "@secrets/valid.jwt"\n[throttle]\nrate_per_s = 2\nburst = 5\n'
    )
    t = load_target(path)
    assert t.statements.valid == "eyJhbGciOiJSUzI1NiJ9.e30.sig"
    assert t.protected_api is not None and t.protected_api.path == "/api/v2/REF30/configuration"
    assert (t.throttle.rate_per_s, t.throttle.burst) == (2, 5)


def test_masked_view_holds_no_secret():
    t = target_from_dict({**MINIMAL, "admin": {"revoke_url": "http://127.0.0.1/admin", "token": "admintoken123"}})
    text = json.dumps(t.masked())
    assert "eyJ.a.b" not in text and "admintoken123" not in text


@pytest.mark.parametrize(
    "content, suffix, expected",
    [
        ("{", ".json", "not valid JSON"),
        ("base_url = ", ".toml", "not valid TOML"),
        ('{"statements": {"valid": "x"}}', ".json", "base_url"),
        ('{"base_url": "ftp://x", "statements": {"valid": "x"}}', ".json", "base_url"),
        ('{"base_url": "http://x", "statements": {}}', ".json", "statements.valid"),
        (
            '{"base_url": "http://x", "statements": {"valid": "x"}, "throttle": {"burst": -1}}',
            ".json",
            "throttle.burst",
        ),
        ('{"base_url": "http://x", "statements": {"valid": "x"}, "colour": 1}', ".json", "colour"),
        ('{"base_url": "http://x", "statements": {"valid": "@missing.jwt"}}', ".json", "statements.valid"),
    ],
)
def test_bad_target_files_name_the_key(tmp_path, content, suffix, expected):
    path = tmp_path / f"target{suffix}"
    path.write_text(content)
    with pytest.raises(TargetError) as err:
        load_target(path)
    assert expected in str(err.value)


def test_missing_file_is_a_target_error(tmp_path):
    with pytest.raises(TargetError, match="not found"):
        load_target(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    "url, loopback",
    [
        ("http://127.0.0.1:8080", True),
        ("http://[::1]:80", True),
        ("http://localhost:1", True),
        ("https://dcr.example.com", False),
    ],
)
def test_loopback_detection(url, loopback):
    assert target_from_dict({**MINIMAL, "base_url": url}).is_loopback is loopback
