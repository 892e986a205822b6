"""A stock nginx in front of a server: the front door of a deployment in staging.

The configuration is Debian's nginx as a site would first write it: a plain `proxy_pass` that
appends the client to X-Forwarded-For and keeps Host, and nothing else. Every limit stays at
nginx's default (client_max_body_size 1m, large_client_header_buffers 4 8k, ...), because those
defaults are what a conforming service meets behind its front door. Only the files nginx writes
(pid, logs, temporary bodies) go to a scratch directory, so a test needs no system state.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 15.0
PORT_ATTEMPTS = 5  # a free port may be taken between choosing it and nginx binding it
# Debian puts nginx in /usr/sbin, which is not on every user's PATH.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")
MISSING = "nginx is not installed (apt-get install nginx-light): the front-door tests need Debian's nginx"

CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Host $host;
        }}
    }}
}}
"""


class FrontDoorError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _log_tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no error log)"


def _start(upstream: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    assert NGINX is not None, "nginx is not installed (its tests are skipped without it)"
    for _ in range(PORT_ATTEMPTS):
        port = _free_port()
        conf = workdir / "nginx.conf"
        conf.write_text(CONFIG.format(dir=workdir, port=port, upstream=upstream))
        # -e: the error log before the configuration is read (the compiled-in one is under /var/log).
        proc = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and proc.poll() is None and not _accepts(port):
            time.sleep(0.05)  # polling for nginx's listening socket, bounded by the deadline
        if proc.poll() is None and _accepts(port):
            return proc, port
        _stop(proc)
        if "Address already in use" not in _log_tail(workdir / "error.log"):
            break
    raise FrontDoorError(f"nginx did not start in front of {upstream}:\n{_log_tail(workdir / 'error.log')}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextmanager
def front_door(upstream: str, workdir: Path) -> Iterator[str]:
    """Stock nginx on a free loopback port, proxying to `upstream` (http://127.0.0.1:PORT); yields its base URL."""
    if NGINX is None:
        raise FrontDoorError(MISSING)
    workdir.mkdir(parents=True, exist_ok=True)
    proc, port = _start(upstream, workdir)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def target_behind(target: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The server's target with every URL of it moved to the front door (the admin hook may be absolute)."""
    doc = json.loads(json.dumps(target))
    upstream = doc["base_url"]
    doc["base_url"] = base_url
    revoke_url = doc.get("admin", {}).get("revoke_url", "")
    if revoke_url.startswith(upstream):
        doc["admin"]["revoke_url"] = base_url + revoke_url[len(upstream) :]
    return doc


def write_target(doc: dict[str, Any], path: Path) -> Path:
    # The target holds the admin token: owner-only, as the reference writes its own.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=2)
    return path


@contextmanager
def reference_target(workdir: Path, server_args: Sequence[str] = (), *, behind_nginx: bool = True) -> Iterator[Path]:
    """The reference server as the embedded one is started (its short token lifetime included), seen as a
    deployment: yields a target file naming nginx in front of it, or the server itself."""
    from dcr_harness.engine.embedded import EmbeddedServer

    server = EmbeddedServer(workdir / "reference", extra_args=server_args)
    server.start()
    try:
        target = json.loads(server.target_file.read_text())
        if not behind_nginx:
            yield write_target(target, workdir / "target.json")
            return
        with front_door(target["base_url"], workdir / "nginx") as url:
            yield write_target(target_behind(target, url), workdir / "target.json")
    finally:
        server.close()
