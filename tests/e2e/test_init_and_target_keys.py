"""`dcr-harness init` and the table of target keys behind it, the docs and the "line to add"."""

from __future__ import annotations

import json
import re
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from dcr_harness import paths
from dcr_harness.cli import commands as cli
from dcr_harness.cli.init_target import render
from dcr_harness.contract import schemas
from dcr_harness.contract.target import load_target, target_from_dict
from dcr_harness.contract.target_keys import BY_PATH, KEYS, TOGETHER, line_to_add, not_covered
from tests.harness_runs import run_harness
from tests.load_reference import reference  # noqa: F401  (a fixture)

STATEMENT = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"


def schema_leaves(schema: dict, prefix: str = "") -> list[str]:
    found = []
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        found += schema_leaves(sub, f"{path}.") if "properties" in sub else [path]
    return found


def test_the_table_has_every_key_of_the_schema_and_the_docs() -> None:
    leaves = schema_leaves(schemas.schema("target"))
    assert sorted(leaves) == sorted(BY_PATH)
    doc = paths.TARGET_DOC_PATH.read_text(encoding="utf-8")
    assert [k for k in BY_PATH if f"`{k}`" not in doc] == []
    required = [k.path for k in KEYS if k.required]
    assert required == ["base_url", "statements.valid"]
    target_schema = schemas.schema("target")["properties"]
    together = [
        t
        for t, sub in target_schema.items()
        if sub.get("required") and sorted(sub["required"]) == sorted(sub["properties"])
    ]
    assert sorted(together) == sorted(TOGETHER)


def write_secrets(folder: Path) -> None:
    (folder / "secrets").mkdir(exist_ok=True)
    for key in KEYS:
        if key.example.startswith('"@'):
            (folder / key.example.strip('"')[1:]).write_text(STATEMENT)


def apply(instruction: str, base: str) -> str:
    """Follow the instruction of line_to_add on a TOML text, as a user would."""
    if m := re.fullmatch(r"add under \[(\S+)\]: (.*)", instruction):
        header = f"[{m.group(1)}]"
        return (
            base.replace(header, f"{header}\n{m.group(2)}") if header in base else f"{base}\n{header}\n{m.group(2)}\n"
        )
    if m := re.fullmatch(r"add before the first \[table\]: (.*)", instruction):
        return f"{m.group(1)}\n{base}"
    if m := re.fullmatch(r"add: (\[\S+\]) / (.*)", instruction):
        return f"{base}\n{m.group(1)}\n" + "\n".join(m.group(2).split(" / ")) + "\n"
    raise AssertionError(f"not an instruction: {instruction}")


MINIMAL = 'base_url = "http://127.0.0.1:9"\n[statements]\nvalid = "@secrets/valid.jwt"\n'


@pytest.mark.parametrize("key", [k.path for k in KEYS if not k.required] + ["protected_api", "admin"])
def test_the_line_to_add_makes_a_valid_target_with_that_key(tmp_path: Path, key: str) -> None:
    write_secrets(tmp_path)
    reason = not_covered(key)
    assert reason.startswith(f"not covered: the target file has no `{key}`; add")
    text = apply(line_to_add(key), MINIMAL)
    data = tomllib.loads(text)
    node = data
    for part in key.split("."):
        node = node[part]  # the key is there, where the schema wants it
    assert node not in (None, "", {})
    target_from_dict(data, base_dir=tmp_path)  # and the file stays valid


def test_line_to_add_rejects_unknown_keys() -> None:
    with pytest.raises(KeyError):
        line_to_add("statements.unknown")


def test_rendered_template_is_valid_toml_with_every_key(tmp_path: Path) -> None:
    text = render("https://dcr.example.com")
    data = tomllib.loads(text)
    assert data == {"base_url": "https://dcr.example.com", "statements": {"valid": "@secrets/valid.jwt"}}
    for key in KEYS:
        assert re.search(rf"^(# )?{re.escape(key.name)} = ", text, re.M), key.path
    # Uncommenting everything gives a valid target too (the examples are real values).
    uncommented = "\n".join(line[2:] if re.match(r"# (\[|\w+ = )", line) else line for line in text.splitlines())
    write_secrets(tmp_path)
    assert target_from_dict(tomllib.loads(uncommented), base_dir=tmp_path).admin is not None


class Answering(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server():
    server = HTTPServer(("127.0.0.1", 0), Answering)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_init_writes_a_file_that_loads_and_prints_the_next_command(tmp_path, http_server, capsys) -> None:
    out = tmp_path / "staging.toml"
    assert cli.main(["init", "--base-url", http_server + "/", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"dcr-harness run --target {out}" in printed and "answers" in printed
    write_secrets(tmp_path)
    assert load_target(out).base_url == http_server
    assert cli.main(["init", "--base-url", http_server, "--out", str(out)]) == 2  # no overwrite without --force
    assert cli.main(["init", "--base-url", http_server, "--out", str(out), "--force"]) == 0


def test_init_reports_a_url_that_does_not_answer(tmp_path, capsys) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "t.toml"
    assert cli.main(["init", "--base-url", f"http://127.0.0.1:{port}", "--out", str(out), "--timeout", "2"]) == 3
    assert out.is_file()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot connect" in err[0]


def test_init_refuses_a_malformed_url(tmp_path, capsys) -> None:
    assert cli.main(["init", "--base-url", "ftp://x/y", "--out", str(tmp_path / "t.toml")]) == 2
    assert not (tmp_path / "t.toml").exists()
    assert "base_url" in capsys.readouterr().err


@pytest.mark.slow
def test_a_missing_key_shows_the_line_to_add_in_the_report(tmp_path, reference) -> None:  # noqa: F811 (a fixture)
    """The "not covered" reason of a check that needs statements.revoked names the line to add."""
    data = json.loads(reference.read_text())
    del data["statements"]["revoked"]  # and nothing else that could reach REG-ERR-4 (a mid-run revocation):
    del data["statements"]["revocable"], data["admin"]
    target = tmp_path / "no-revoked.json"
    target.write_text(json.dumps(data))
    run = run_harness(["run", "--target", str(target), "--req", "REG-ERR-4"], tmp_path / "reports")
    line = line_to_add("statements.revoked")
    skipped = [c for c in run.checks("skipped") if line in c["message"]]
    assert skipped, run.output[-3000:]
    certification = json.loads(next((tmp_path / "reports").glob("*/certification.json")).read_text())
    entry = next(r for r in certification["requirements"] if r["id"] == "REG-ERR-4")
    assert entry["verdict"] != "pass" and any(line in reason for reason in entry["reasons"]), {
        k: entry[k] for k in ("verdict", "reasons")
    }
