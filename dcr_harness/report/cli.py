"""dcr-harness report | sign | verify-report (wired into dcr_harness.cli.commands by add_commands)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..argparsing import Subcommands
from ..errors import ExitCode
from . import diff_cli
from .certification import regenerate
from .signing import (
    MissingSignature,
    SigningError,
    VerificationFailed,
    generate_key,
    load_private_key,
    load_public_key,
    sign_report,
    verify_report,
)
from .waivers import WaiverError, load_waivers


def _say(message: str, code: int) -> int:
    print(f"dcr-harness: {message}", file=sys.stderr if code else sys.stdout)
    return code


def cmd_report(args: argparse.Namespace, extra: list[str]) -> int:
    results = Path(args.results)
    try:
        waivers = load_waivers(args.waivers)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
        json_path, html_path = regenerate(results, waivers, Path(args.out) if args.out else None)
    except WaiverError as exc:
        return _say(f"waiver file error: {exc}", ExitCode.USAGE)
    except (OSError, ValueError, KeyError) as exc:
        return _say(f"cannot build a certification from {results}: {exc}", ExitCode.USAGE)
    print(f"certification: {json_path}\n               {html_path}")
    return ExitCode.OK


def cmd_sign(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        if args.generate_key:
            key = generate_key(Path(args.generate_key))
            print(f"new private key: {args.generate_key} (keep it secret; share certification.pub.pem out-of-band)")
        elif args.key:
            key = load_private_key(Path(args.key))
        else:
            return _say("sign needs --key KEY.pem or --generate-key KEY.pem", ExitCode.USAGE)
        path = sign_report(Path(args.report_dir), key)
    except SigningError as exc:
        return _say(str(exc), ExitCode.USAGE)
    print(f"signature: {path}")
    return ExitCode.OK


def cmd_verify(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        pinned = load_public_key(Path(args.public_key)) if args.public_key else None
        verified = verify_report(Path(args.report_dir), pinned)
    except SigningError as exc:
        return _say(str(exc), ExitCode.USAGE)
    except MissingSignature as exc:
        return _say(str(exc), ExitCode.USAGE)
    except VerificationFailed as exc:
        return _say(f"REJECTED: {exc}", ExitCode.FAILED)
    note = (
        "pinned key" if verified.pinned else "the key shipped with the report (pin the sender's key with --public-key)"
    )
    print(f"OK: certification.json is intact and signed by {verified.fingerprint} ({note})")
    return ExitCode.OK


def add_commands(sub: Subcommands) -> None:
    report = sub.add_parser("report", help="rebuild certification.json/html from a results.json")
    report.add_argument("results", metavar="RESULTS_JSON")
    report.add_argument("--waivers", help="waiver file (TOML) to apply")
    report.add_argument("--out", help="directory to write to (default: beside RESULTS_JSON)")
    report.set_defaults(func=cmd_report)

    sign = sub.add_parser("sign", help="sign a report's certification.json (Ed25519, detached)")
    sign.add_argument("report_dir", metavar="REPORT_DIR")
    group = sign.add_mutually_exclusive_group()
    group.add_argument("--key", metavar="KEY.pem", help="Ed25519 private key (PEM, unencrypted)")
    group.add_argument("--generate-key", metavar="KEY.pem", help="generate a new private key into this file, then sign")
    sign.set_defaults(func=cmd_sign)

    verify = sub.add_parser("verify-report", help="check a signed report: exit 0 intact, 1 altered, 2 unsigned")
    verify.add_argument("report_dir", metavar="REPORT_DIR")
    verify.add_argument(
        "--public-key", metavar="PUB.pem", help="the sender's public key, obtained out-of-band (pinned)"
    )
    verify.set_defaults(func=cmd_verify)
    diff_cli.add_command(sub)
