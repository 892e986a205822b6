"""The last line of defence: the scanner finds what masking at the source missed,
in clear and in common decodings, masks it, and says where and what kind, never the value."""

import base64
import io
import json
import logging

from dcr_harness.http import Masker
from dcr_harness.http.secret_scan import SecretScanner

SECRET = "Q2xpZW50U2VjcmV0VmFsdWUtMDEyMzQ1Njc4OQ"


def scanner() -> SecretScanner:
    masker = Masker()
    masker.add(SECRET, "client_secret")
    return SecretScanner(masker)


def unicode_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


CASES = {
    "in clear": f"message: {SECRET}",
    "JSON \\u escapes": '{"m": "x' + unicode_escaped(SECRET[:30]) + 'y"}',
    "percent-encoding of every byte": "q=" + "".join(f"%{ord(c):02X}" for c in SECRET),
    "base64 inside a longer value": "Basic "
    + base64.b64encode(b"some-client-id:" + SECRET.encode() + b":tail").decode(),
}


def test_every_reading_of_a_secret_is_masked_and_reported_without_the_value(caplog) -> None:
    for how, text in CASES.items():
        scan = scanner()
        with caplog.at_level(logging.WARNING, logger="dcr_harness.contract.secret_values"):
            cleaned = scan.clean(text, "results.json")
        assert SECRET[:24] not in cleaned and SECRET[6:30] not in json.loads(json.dumps(cleaned)), how
        assert scan.hits and scan.hits[0][:2] == ("results.json", "client_secret"), how
    assert all("results.json" in r.getMessage() and "client secret" in r.getMessage() for r in caplog.records)
    assert not any(SECRET[:12] in r.getMessage() for r in caplog.records)


def test_text_without_secrets_is_left_alone() -> None:
    scan = scanner()
    text = json.dumps({"x-device-info": base64.b64encode(b'{"model": "TV", "osName": "tvOS"}').decode(), "id": "abc"})
    assert scan.clean(text, "results.json") == text and not scan.hits


def test_the_console_stream_is_scanned_and_remembers_the_variables_it_showed() -> None:
    scan = scanner()
    out = io.StringIO()
    stream = scan.stream(out)
    stream.write(f"curl -d client_secret={SECRET}\n")
    assert SECRET not in out.getvalue() and stream.variables == {"DCR_CLIENT_SECRET"}
