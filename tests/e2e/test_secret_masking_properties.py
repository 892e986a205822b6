"""Proof: whatever a fuzzer does to a secret, no 24-character window of its sensitive
part reaches any artifact.

Hypothesis generates secrets (statements, client secrets, access tokens) and mutations of
them (bytes spliced at any offset, truncations, case changes, percent and base64url encodings,
JSON escapes, splits across several fields), puts them into an exchange and a failure message,
and sends that through the recorder (CheckRecord.to_dict) and every artifact writer: results.json,
certification.json/html, JUnit and Allure files (written by other libraries, then rewritten by the
scanner), the console stream and a Locust failure message. Each output is searched, in clear and
in its JSON-unescaped, percent-decoded and base64-decoded forms, for any window of the sensitive
part (and of its upper-, lower- and swapped-case forms).
"""

from __future__ import annotations

import base64
import io
import json
import re
import string
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcr_harness import checks
from dcr_harness.contract.secret_values import sensitive_span
from dcr_harness.contract.verdicts import Outcome
from dcr_harness.engine.recorder import CheckRecord
from dcr_harness.http import Exchange, Masker
from dcr_harness.http.secret_scan import SecretScanner
from dcr_harness.report import certification

WINDOW = 24
B64URL = string.ascii_letters + string.digits + "-_"
OPAQUE = B64URL + "+/=~.!*'()@$"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# The masked forms themselves spell these words: a "secret" made of them would be found in every placeholder.
PLACEHOLDER_WORDS = "${dcr_software_statement dcr_client_secret dcr_access_token dcr_admin_token dcr_secret}".lower()


def _not_placeholder_text(value: str) -> bool:
    low = value.lower()
    return not any(low[i : i + 8] in PLACEHOLDER_WORDS for i in range(max(1, len(low) - 7)))


@st.composite
def secrets(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["software_statement", "client_secret", "access_token"]))
    if kind == "software_statement":
        claims = draw(
            st.dictionaries(st.sampled_from(["iss", "software_id", "scope"]), st.text(B64URL, max_size=20), max_size=3)
        )
        head = _b64url(b'{"alg":"RS256","typ":"JWT"}') + "." + _b64url(json.dumps(claims).encode())
        return kind, head + "." + draw(st.text(B64URL, min_size=24, max_size=400))
    return kind, draw(st.text(OPAQUE, min_size=16, max_size=80).filter(_not_placeholder_text))


SPLICE = st.binary(min_size=1, max_size=6).map(lambda b: b.decode("latin-1"))


@st.composite
def mutated(draw: st.DrawFn, value: str) -> list[str]:
    """The secret after one or two mutations, as the pieces to place (a split gives several)."""
    text = value
    for how in draw(
        st.lists(
            st.sampled_from(["splice", "truncate", "case", "percent", "base64url", "json", "none"]),
            min_size=1,
            max_size=2,
        )
    ):
        if how == "splice":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(SPLICE) + text[at:]
        elif how == "truncate":
            a = draw(st.integers(0, len(text) // 2))
            b = draw(st.integers(max(a + 1, len(text) // 2), len(text)))
            text = text[a:b]
        elif how == "case":
            text = draw(st.sampled_from([str.upper, str.lower, str.swapcase]))(text)
        elif how == "percent":
            text = quote(text, safe="")
        elif how == "base64url":
            prefix = draw(st.binary(max_size=4))
            text = _b64url(prefix + text.encode("utf-8", "surrogateescape"))
        elif how == "json":
            text = json.dumps(text)[1:-1]
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=2)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[str]]:
    found = draw(st.lists(secrets(), min_size=1, max_size=3, unique_by=lambda s: s[1]))
    pieces = [p for _, value in found for p in draw(mutated(value))]
    return found, pieces


def _exchange(pieces: list[str]) -> Exchange:
    """The pieces spread over the URL, headers, bodies (as several fields would carry a split secret)."""
    slots: list[list[str]] = [[], [], [], [], []]
    for i, piece in enumerate(pieces):
        slots[i % 5].append(piece)
    url = "http://127.0.0.1:1/o/client/token?x=" + quote("".join(slots[0]), safe="")
    headers = [("X-Forwarded-For", "198.18.0.1"), ("Authorization", "Bearer " + "".join(slots[1]).replace("\n", " "))]
    request = ("client_id=c&client_secret=" + quote("".join(slots[2])) + "&s=" + "".join(slots[3])).encode(
        "utf-8", "surrogateescape"
    )
    response = json.dumps({"error": "invalid_client", "error_description": "".join(slots[4])}).encode()
    return Exchange(
        "POST",
        url,
        headers,
        request,
        status=400,
        response_headers=[("Content-Type", "application/json")],
        response_body=response,
    )


def _views(text: str) -> list[str]:
    """The text, and its JSON-unescaped, percent-decoded and base64-decoded readings."""
    out = [text, unquote(text, errors="replace")]
    try:
        out.append(json.loads('"' + text.replace('"', '\\"') + '"') if "\\" in text else text)
    except ValueError:
        out.append(
            re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
            .replace('\\"', '"')
            .replace("\\\\", "\\")
        )
    for run in re.findall(r"[A-Za-z0-9+/_-]{16,}", text):
        for offset in range(4):
            chunk = run[offset:].replace("-", "+").replace("_", "/")
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                out.append(base64.b64decode(chunk).decode("latin-1"))
            except ValueError:
                pass
    return out


def _windows(kind: str, value: str) -> set[str]:
    s0, s1 = sensitive_span(value, kind)
    sensitive = value[s0:s1]
    n = min(WINDOW, len(sensitive))
    return {
        form[i : i + n]
        for form in (sensitive, sensitive.upper(), sensitive.lower(), sensitive.swapcase())
        for i in range(len(form) - n + 1)
    }


def _outputs(masker: Masker, exchange: Exchange, message: str, tmp: Path) -> dict[str, str]:
    scanner = SecretScanner(masker)
    record = CheckRecord(
        "conformance/test_x.py::test_y",
        "a check",
        ["TOK-ERR-2"],
        outcome=Outcome.FAILED,
        message=message,
        exchanges=[exchange],
    )  # the recorder masks what it writes
    record.evidence.breaches.append(checks.Breach(("TOK-ERR-2",), message, exchange))
    results = {"checks": [record.to_dict(masker)], "variables": masker.legend(), "target": {}}
    scanner.write_text(tmp / "results.json", json.dumps(results, indent=2))
    certification.write(tmp, certification.build(results), scanner)
    # Files other libraries write from unmasked texts (JUnit, Allure), rewritten by the scanner.
    (tmp / "junit.xml").write_text(
        f'<testcase><failure message="{message}">{exchange.request_body!r}</failure></testcase>'
    )
    (tmp / "allure-results").mkdir(exist_ok=True)
    (tmp / "allure-results" / "x-result.json").write_text(
        json.dumps({"statusDetails": {"message": message, "trace": repr(exchange.url)}})
    )
    scanner.clean_dir(tmp)
    console = io.StringIO()
    scanner.stream(console).write(f"FAILED {message}\n{exchange.curl(masker)}\n")
    outputs = {p.name: p.read_text() for p in tmp.rglob("*") if p.is_file()}
    outputs["console"] = console.getvalue()
    outputs["locust failure message"] = scanner.clean(masker.mask(message), "locust")
    return outputs


@pytest.mark.slow
@settings(max_examples=60)
@given(scenario=scenarios())
def test_no_window_of_a_secret_survives_any_mutation_in_any_artifact(tmp_path_factory, scenario) -> None:
    found, pieces = scenario
    masker = Masker()
    for kind, value in found:
        masker.add(value, kind, "statements.valid" if kind == "software_statement" else None)
    exchange = _exchange(pieces)
    message = "expected 400 invalid_client, got " + " | ".join(pieces)
    outputs = _outputs(masker, exchange, message, tmp_path_factory.mktemp("artifacts"))
    telltales = {w: kind for kind, value in found for w in _windows(kind, value)}
    leaks = [
        (name, kind)
        for name, text in outputs.items()
        for view in _views(text)
        for w, kind in telltales.items()
        if w in view
    ]
    assert not leaks, sorted(set(leaks))


@given(scenario=scenarios())
@settings(max_examples=30)
def test_the_curl_word_rebuilds_the_exact_bytes(scenario) -> None:
    """Masked is not lost: exported with the real values, the shell expands each field back to what was sent."""
    import subprocess

    from dcr_harness.http.curl import shell_word

    found, pieces = scenario
    masker = Masker()
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    for kind, value in found:
        secret = masker.add(value, kind)
        assert secret is not None and secret.variable is not None, value
        env[secret.variable] = value
    text = "".join(pieces)
    if "\0" in text or any("\0" in v for v in env.values()):
        return  # a shell word cannot carry NUL (curl's --data-binary @file can; out of scope here)
    word = shell_word(text, masker)
    out = subprocess.run(["bash", "-c", f"printf %s {word}"], env=env, capture_output=True, check=True)
    assert out.stdout == text.encode("utf-8", "surrogateescape")
