"""Masking and curl reproductions: secrets never shown, commands still runnable."""

import shlex
import subprocess

from dcr_harness.http import Exchange, Masker
from dcr_harness.http.curl import shell_word

SECRET = "s3cr3t-Value_abc"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzb2Z0d2FyZV9pZCI6IngifQ.c2lnbmF0dXJl"


def test_known_values_are_masked_in_every_encoding():
    m = Masker()
    m.add("a+b/c=secret", "client_secret")
    for text in ("a+b/c=secret", "a%2Bb%2Fc%3Dsecret", "a%2Bb%2Fc%3Dsecret"):
        assert "secret" not in m.mask(f"x={text}&y=1")


def test_json_members_teach_the_masker():
    m = Masker()
    m.add_from_json({"client_id": "visible-id", "client_secret": SECRET, "nested": [{"access_token": "tok-123456"}]})
    masked = m.mask(f"visible-id {SECRET} tok-123456")
    assert masked == "visible-id ${DCR_CLIENT_SECRET} ${DCR_ACCESS_TOKEN}"


def test_unknown_jwt_shapes_are_shown_as_sent():
    """A forgery the run made (or a base64 X-Device-Info) carries no known secret: nothing to mask."""
    assert Masker().mask(f"statement={JWT}") == f"statement={JWT}"


def test_curl_reproduction_keeps_secrets_as_variables_and_is_valid_shell():
    m = Masker()
    m.add(SECRET, "client_secret")
    ex = Exchange(
        "POST",
        "http://127.0.0.1:1/o/client/token",
        [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", "198.18.0.9")],
        f"client_id=abc&client_secret={SECRET}&grant_type=client_credentials".encode(),
    )
    command = ex.curl(m)
    assert SECRET not in command and "${DCR_CLIENT_SECRET}" in command
    # The shell expands the variable back into the exact body.
    out = subprocess.run(
        ["bash", "-c", "printf '%s' " + command.split("--data-binary ", 1)[1]],
        env={"DCR_CLIENT_SECRET": SECRET},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == ex.request_body.decode()


def test_curl_keeps_invalid_utf8_bytes():
    ex = Exchange("POST", "http://127.0.0.1:1/x", [], b'{"a": "\xff\xfe"}')
    word = ex.curl(Masker()).split("--data-binary ", 1)[1]
    out = subprocess.run(
        ["bash", "-c", f"printf '%s' {word} | od -An -tx1"], capture_output=True, text=True, check=True
    )
    assert "ff fe" in out.stdout


def test_shell_word_round_trips_awkward_text():
    for text in ["it's", "a b", "$HOME", "tab\there", "ünïcode"]:
        assert shlex.split(shell_word(text, Masker()))[0] == text if text.isprintable() else True


def test_exchange_dict_is_masked():
    m = Masker()
    ex = Exchange(
        "POST",
        "http://127.0.0.1:1/o/client/register",
        [("Content-Type", "application/json")],
        f'{{"software_statement": "{JWT}"}}'.encode(),
        status=201,
        response_body=f'{{"client_id": "c", "client_secret": "{SECRET}"}}'.encode(),
    )
    m.add(JWT, "software_statement", "statements.valid")  # the target's statement: known from the start
    m.add_from_json(ex.json())
    text = str(ex.to_dict(m))
    assert SECRET not in text and JWT not in text


def test_a_known_statement_shortened_by_a_repr_keeps_no_stretch_of_its_signature():
    signature = "Zm9vYmFyYmF6cXV4" * 20
    long_jwt = JWT.rsplit(".", 1)[0] + "." + signature
    m = Masker()
    m.add(long_jwt, "software_statement", "statements.valid")
    shortened = repr(long_jwt)[:300] + "..." + repr(long_jwt)[-50:]  # what a truncating repr prints
    masked = m.mask(f"statement = {shortened}")
    assert signature[:12] not in masked and "${DCR_SOFTWARE_STATEMENT:0:" in masked
