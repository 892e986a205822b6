"""Bad input gets a clear message and the documented exit code, never a traceback."""

import json
import socket
import threading
from xml.etree import ElementTree

import pytest

from dcr_harness.errors import ExitCode
from dcr_harness.paths import PACKAGE_DIR

from ..harness_runs import run_harness

CHECKOUT = PACKAGE_DIR.parent


def assert_clean(run, code, *phrases):
    assert run.code == code, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-3000:]
    for phrase in phrases:
        assert phrase in run.output, run.output[-3000:]


@pytest.mark.parametrize(
    "content, phrase",
    [
        ('base_url = "http://127.0.0.1:9"\n', "statements"),
        ('base_url = "not a url"\n[statements]\nvalid = "x"\n', "base_url"),
        ('base_url = "http://127.0.0.1:9"\n[statements]\nvalid = "@nowhere.jwt"\n', "statements.valid"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_bad_target_file_exits_2_naming_the_key(tmp_path, content, phrase):
    target = tmp_path / "bad.toml"
    target.write_text(content)
    assert_clean(run_harness(["run", "--target", str(target)], tmp_path / "reports"), 2, "target file error", phrase)


def test_missing_target_file_exits_2(tmp_path):
    assert_clean(run_harness(["run", "--target", str(tmp_path / "none.toml")], tmp_path / "reports"), 2, "not found")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_target(tmp_path, port):
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps({"base_url": f"http://127.0.0.1:{port}", "statements": {"valid": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}})
    )
    return path


def test_unreachable_target_exits_3(tmp_path):
    run = run_harness(["run", "--target", str(write_target(tmp_path, free_port()))], tmp_path / "reports")
    assert_clean(run, 3, "target unreachable", "cannot connect")


class GarbageServer:
    """A loopback TCP peer that answers every connection with bytes that are not HTTP."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.recv(4096)
                conn.sendall(b"\x00\x01garbage that is not HTTP\r\n\r\n")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_target_answering_garbage_exits_3(tmp_path):
    with GarbageServer() as server:
        run = run_harness(["run", "--target", str(write_target(tmp_path, server.port))], tmp_path / "reports")
    assert_clean(run, 3, "does not speak HTTP")


def test_pytest_entry_point_gives_the_same_codes(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "bad.json"
    target.write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "conformance", "--target", str(target), "--report-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(__import__("dcr_harness.paths").paths.REPO_ROOT),
    )
    assert proc.returncode == 2 and "base_url" in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "selection, phrases",
    [
        (["--req", "NOPE-9"], ["no such requirement: NOPE-9"]),
        (["--req", "REG-OK-9,TOK-"], ["no such requirement: REG-OK-9 (nearest: REG-OK-"]),
        (["--req", "CLI-1"], ["no check cites CLI-1"]),
        (["-k", "no_check_is_named_like_this"], ["no check matched"]),
    ],
)
def test_selection_matching_nothing_is_a_usage_error(tmp_path, selection, phrases):
    assert_clean(run_harness(["run", *selection], tmp_path / "reports"), 2, *phrases)


def test_req_understands_a_comma_separated_list_and_names_uncited_ids(tmp_path):
    run = run_harness(["run", "--req", "REG-OK-4, flow-1,CLI-1", "--", "--collect-only"], tmp_path / "reports")
    assert_clean(
        run,
        0,
        "test_register_returns_client_credentials",
        "test_grant_types_include_client_credentials",
        "--req CLI-1: no check cites it",
    )
    assert "test_token" not in run.output


def test_report_out_creates_its_directory(tmp_path):
    import json

    from dcr_harness.report.samples import FAILING

    results = tmp_path / "run" / "results.json"
    results.parent.mkdir()
    results.write_text(json.dumps(FAILING))
    out = tmp_path / "new" / "nested"
    assert_clean(run_harness(["report", str(results), "--out", str(out)], tmp_path / "reports"), 0, "certification:")
    assert (out / "certification.json").is_file()


def test_load_against_an_unreachable_target_exits_3(tmp_path):
    run = run_harness(
        [
            "load",
            "token_refresh",
            "--target",
            str(write_target(tmp_path, free_port())),
            "--duration",
            "2",
            "--report-dir",
            str(tmp_path / "reports"),
        ],
        tmp_path / "reports",
    )
    assert_clean(run, 3, "target unreachable", "cannot connect")


def test_unreachable_run_certifies_nothing(tmp_path):
    run = run_harness(["run", "--target", str(write_target(tmp_path, free_port()))], tmp_path / "reports")
    assert run.code == 3
    checks = run.results()["checks"]
    assert len(checks) == 1 and checks[0]["outcome"] == "error" and "target unreachable" in checks[0]["message"]
    certification = json.loads(next((tmp_path / "reports").glob("*/certification.json")).read_text())
    assert certification["overall"]["verdict"] == "NO VERDICT" and certification["requirements"] == []
    junit = ElementTree.parse(next((tmp_path / "reports").glob("*/junit.xml"))).getroot()
    suite = junit if junit.tag == "testsuite" else junit.find("testsuite")
    assert suite is not None and int(suite.get("errors", "")) == 1, (
        "a CI reading JUnit must not take an unreachable target for green"
    )


def test_a_crash_inside_the_harness_is_an_internal_error_not_an_unreachable_target(tmp_path):
    run = run_harness(
        ["run", "--workers", "0", "--", "-p", "tests.crashing_plugin"],
        tmp_path / "reports",
        env={"PYTHONPATH": str(CHECKOUT)},
    )
    assert run.code == ExitCode.INTERNAL, run.output[-3000:]
    assert "internal error" in run.output and "a bug inside the harness" in run.output
    assert "unreachable" not in run.output


@pytest.mark.parametrize("workers", ["0", "2"])
def test_an_embedded_reference_that_does_not_start_is_unreachable_not_an_internal_error(tmp_path, workers):
    # With workers the main process starts it before the session: pytest then runs no session finish.
    run = run_harness(
        ["run", "--workers", workers, "--", "--embedded-arg=--no-such-option"], tmp_path / "reports", timeout=120
    )
    assert_clean(run, ExitCode.UNREACHABLE, "the embedded reference server did not start", "--no-such-option")
    assert "internal error" not in run.output
