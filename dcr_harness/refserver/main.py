"""Starting the reference server: bind first, then write the target file, then serve.

Binding before writing means the target file names a port that is already accepting
connections (the kernel queues them until uvicorn starts), and port 0 works.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import secrets
import signal
import socket
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from ..argparsing import OneLineErrorParser
from ..errors import ExitCode
from . import choices
from .app import create_app
from .config import DEVICE_INFO_POLICIES, SERVE_EXAMPLE, ServerConfig
from .faults import FAULTS, listing, unknown
from .keys import Keys
from .seed import seed
from .store import Store
from .target_file import base_url, target_document, write_atomically

log = logging.getLogger(__name__)
DB_FILE = "dcr.sqlite3"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY: without it a response written in two parts
    # waits for the client's delayed ACK (about 40 ms per request on keep-alive connections).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    return sock


def serve(config: ServerConfig, target_out: Path | None) -> None:
    """Run until SIGTERM/SIGINT; returns after a graceful shutdown."""
    if not config.admin_token:
        config = dataclasses.replace(config, admin_token=secrets.token_urlsafe(24))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(config.data_dir / DB_FILE)
    try:
        keys = Keys.load_or_create(config.data_dir)
        statements = seed(store, keys)
        sock = bind(config.host, config.port)
        try:
            url = base_url(config.host, sock.getsockname()[1])
            if target_out is not None:
                write_atomically(target_out, target_document(config, url, statements))
            print(
                f"dcr reference server on {url}" + (f" (target: {target_out})" if target_out else ""),
                file=sys.stderr,
                flush=True,
            )
            _run(create_app(config, store, keys), sock)
        finally:
            sock.close()
    finally:
        store.close()


def _run(app: Starlette, sock: socket.socket) -> None:
    # proxy_headers off: the throttle reads the device header itself (thr-ignore-device-header needs the peer).
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", proxy_headers=False)
    )

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # uvicorn installs its own handlers while serving and re-raises the signal after a
    # graceful shutdown; these make that re-raise (and a signal before startup) a clean stop.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _whole_seconds(text: str) -> int:
    # expires_in is an integer (TOK-OK-2), so the lifetime must be too; "4.0" is fine.
    value = float(text)
    if not value.is_integer() or value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of seconds, at least 1")
    return int(value)


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    defaults = ServerConfig()
    p = OneLineErrorParser(
        prog=prog or "python -m dcr_harness.refserver",
        description="The reference DCR server: register, token and a protected API, with named faults.",
        epilog=f"example:\n  {SERVE_EXAMPLE}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default=defaults.host, help="address to bind (default %(default)s)")
    p.add_argument("--port", type=int, default=defaults.port, help="port to bind; 0 picks a free one (default 0)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=defaults.data_dir,
        help="SQLite database and signing keys; reuse it to keep state (default %(default)s)",
    )
    p.add_argument("--target-out", type=Path, help="write the target file (JSON) for this server here")
    p.add_argument(
        "--token-ttl",
        type=_whole_seconds,
        default=defaults.token_ttl,
        help="access-token lifetime in seconds (default %(default)s)",
    )
    p.add_argument(
        "--rate",
        type=_positive_float,
        default=defaults.rate_per_s,
        help="throttle: requests per second per device (default %(default)s)",
    )
    p.add_argument(
        "--burst",
        type=_non_negative_int,
        default=defaults.burst,
        help="throttle: one-time burst per device (default %(default)s)",
    )
    p.add_argument(
        "--max-body-bytes",
        type=_positive_int,
        default=defaults.max_body_bytes,
        metavar="N",
        help="register and token bodies over N bytes get 400 invalid_request, as a deployment's "
        "own cap would (default %(default)s)",
    )
    p.add_argument(
        "--device-header",
        default=defaults.device_header,
        help="header whose first address identifies a device (default %(default)s)",
    )
    p.add_argument(
        "--device-info-policy",
        choices=DEVICE_INFO_POLICIES,
        default=defaults.device_info_policy,
        help="invalid X-Device-Info: reject with 400, or fall back to implicit values",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break one requirement on purpose (repeatable; see --list-faults)",
    )
    p.add_argument("--list-faults", action="store_true", help="list the fault names and exit")
    p.add_argument(
        "--choice",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="take one of the answers the contract permits (repeatable; see --list-choices)",
    )
    p.add_argument(
        "--list-choices",
        action="store_true",
        help="list the permitted choices (name, values, default, the contract sentence) and exit",
    )
    p.add_argument("--admin-token", help="token of the admin revoke hook (default: random per start)")
    return p


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    return ServerConfig(
        choices=tuple(choices.parse(args.choice).items()),
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        token_ttl=args.token_ttl,
        rate_per_s=args.rate,
        burst=args.burst,
        device_header=args.device_header,
        max_body_bytes=args.max_body_bytes,
        device_info_policy=args.device_info_policy,
        faults=frozenset(args.fault),
        admin_token=args.admin_token,
    )


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.list_faults:
        print(listing())
        return ExitCode.OK
    if args.list_choices:
        print(choices.listing())
        return ExitCode.OK
    try:
        choices.parse(args.choice)
    except ValueError as exc:
        parser.error(str(exc))
    bad = unknown(args.fault)
    if bad:
        parser.error(f"unknown fault(s): {', '.join(bad)}; known faults: {', '.join(FAULTS)}")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(config_from_args(args), args.target_out)
    except OSError as exc:
        print(f"error: cannot start the reference server: {exc}", file=sys.stderr)
        return ExitCode.FAILED
    return ExitCode.OK
