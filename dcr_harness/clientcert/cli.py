"""dcr-harness certify-client: serve the contract to a partner's client, then judge its traffic.

Exit codes: 0 the client certified PASS; 1 a requirement failed or was not exercised
(FAIL, INCOMPLETE); 2 usage error (bad option, key file, unknown scenario); 3 the server
could not start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..argparsing import Subcommands
from ..errors import ExitCode
from ..paths import DEFAULT_REPORT_DIR
from ..report.signing import SigningError, load_private_key
from ..results.run_result import run_dir_name, utc_now
from .report import ClientRun, write_reports
from .scenarios import RESTART_MARKER_PATH, Settings, UnknownScenario, listing
from .server import CertificationServer, ServerStartError
from .trust import TrustKeyError, load_partner_key

N = TypeVar("N", int, float)

RESTART_PROMPT = "RESTART the app now (scenario restart): it must reuse its stored credentials"


def _error(message: str, code: int) -> int:
    print(f"dcr-harness certify-client: {message}", file=sys.stderr)
    return code


def _positive(kind: Callable[[str], N]) -> Callable[[str], N]:
    def parse(text: str) -> N:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError("must be positive")
        return value

    return parse


def add_command(sub: Subcommands) -> None:
    p = sub.add_parser(
        "certify-client",
        help="certify a partner's client integration: serve the contract, judge the client",
        description="Serve register, token and a protected API for the client under test, record its "
        "traffic until --duration, --exit-after-flows or Ctrl-C, then judge it against "
        "CLI-1..5, REG-REQ-1/3/5, TOK-REQ-1/2/3, DEV-1/2. " + __doc__.split("\n\n", 1)[1].replace("\n", " "),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default %(default)s)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    p.add_argument(
        "--duration", type=_positive(float), help="seconds to serve (default: until Ctrl-C or --exit-after-flows)"
    )
    p.add_argument(
        "--exit-after-flows", type=_positive(int), metavar="N", help="stop after N protected API calls were answered"
    )
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="scenario to run (repeatable; see --list-scenarios)",
    )
    p.add_argument("--list-scenarios", action="store_true", help="list the scenarios and exit")
    p.add_argument(
        "--trust-key",
        metavar="FILE",
        help="PEM public key of the partner's test issuer: accept its software statements",
    )
    p.add_argument(
        "--report-dir",
        default=str(DEFAULT_REPORT_DIR),
        help="reports go to DIR/<time>-client-<pid>/ (default reports/)",
    )
    p.add_argument("--sign-key", metavar="KEY.pem", help="sign certification.json with this Ed25519 private key (PEM)")
    p.set_defaults(func=cmd_certify_client)


def _announce(server: CertificationServer, settings: Settings, args: argparse.Namespace) -> None:
    ends = [
        f"after {args.duration:g} s" if args.duration else "",
        f"after {args.exit_after_flows} API calls" if args.exit_after_flows else "",
        "on Ctrl-C or SIGTERM",
    ]
    lines = [
        f"certify-client: DCR server for the client under test on {server.base_url}",
        *(f"  {name:<9} {url}" for name, url in server.endpoints.items()),
        f"  scenarios: {', '.join(settings.scenarios)}",
        f"  ends {', '.join(e for e in ends if e)}; then judges the client's traffic",
        "Use these (the statement is for this test server only):",
        f"DCR_BASE_URL={server.base_url}",
        f"DCR_SOFTWARE_STATEMENT={server.statement}",
    ]
    print("\n".join(lines), flush=True)


def cmd_certify_client(args: argparse.Namespace, extra: list[str]) -> int:
    if args.list_scenarios:
        print(listing())
        return ExitCode.OK
    try:
        settings = Settings.of(args.scenario)
        partner_key = load_partner_key(Path(args.trust_key)) if args.trust_key else None
        if args.sign_key:
            load_private_key(Path(args.sign_key))
    except (UnknownScenario, TrustKeyError, SigningError) as exc:
        return _error(str(exc), ExitCode.USAGE)
    if not 0 <= args.port <= 65535:
        return _error("--port must be between 0 and 65535", ExitCode.USAGE)
    started_at = utc_now()
    try:
        server = CertificationServer(
            settings,
            host=args.host,
            port=args.port,
            partner_key=partner_key,
            on_restart=lambda: print(
                f"{RESTART_PROMPT}; once the old process has ended, "
                f"signal the restart: POST {server.base_url}{RESTART_MARKER_PATH}",
                flush=True,
            ),
            exit_after_flows=args.exit_after_flows,
        )
        server.start()
    except (OSError, ServerStartError) as exc:
        return _error(f"cannot serve on {args.host}:{args.port}: {exc}", ExitCode.UNREACHABLE)
    try:
        _announce(server, settings, args)
        reason = server.wait(args.duration)
    finally:
        server.stop()
    recording = server.recording
    run = ClientRun(
        settings,
        server.base_url,
        server.statement,
        list(recording.exchanges),
        started_at,
        restart_at=recording.restart_at,
        prompted_at=recording.prompted_at,
        stop_reason=reason,
        flows=recording.flows,
        dropped=recording.dropped,
    )
    server.close()
    print(f"certify-client: stopped ({reason}); judging {len(run.exchanges)} requests", flush=True)
    run.judge()
    if run.refusals:
        faults = [r for r in run.refusals if r["requirement"]]
        print(
            f"certify-client: the client got {len(run.refusals)} 4xx answers: {len(run.refusals) - len(faults)} provoked by "
            f"the scenarios, {len(faults)} by its own requests"
            + (f" ({', '.join(sorted({r['requirement'] for r in faults}))})" if faults else "")
            + "; each explained in certification.json (client.refusals)",
            flush=True,
        )
    written = write_reports(
        run, Path(args.report_dir) / run_dir_name("client"), Path(args.sign_key) if args.sign_key else None, sys.stdout
    )
    return ExitCode.OK if written.verdict is not None and written.verdict.certifies else ExitCode.FAILED
