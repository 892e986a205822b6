"""Signed reports: an untouched report verifies; one altered byte is rejected; unsigned is exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dcr_harness.cli.commands import main
from dcr_harness.report.certification import build, write
from dcr_harness.report.samples import FAILING


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path]:
    report = tmp_path / "report"
    report.mkdir()
    write(report, build(FAILING))
    key = tmp_path / "partner.pem"
    assert main(["sign", str(report), "--generate-key", str(key)]) == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    return report, key


def test_an_untouched_report_verifies_with_the_pinned_key(signed: tuple[Path, Path], tmp_path: Path) -> None:
    report, _ = signed
    pinned = tmp_path / "pinned.pub.pem"
    pinned.write_bytes((report / "certification.pub.pem").read_bytes())  # as received out-of-band
    assert main(["verify-report", str(report), "--public-key", str(pinned)]) == 0
    assert main(["verify-report", str(report)]) == 0
    sig = json.loads((report / "certification.json.sig").read_text())
    assert sig["algorithm"] == "Ed25519" and sig["public_key_fingerprint"].startswith("sha256:")


def test_one_changed_byte_is_rejected(signed: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    report, _ = signed
    path = report / "certification.json"
    data = bytearray(path.read_bytes())
    at = data.index(b'"FAIL"') + 1
    data[at] = ord("P")  # "FAIL" -> "PAIL": one byte
    path.write_bytes(bytes(data))
    assert main(["verify-report", str(report)]) == 1
    assert "altered" in capsys.readouterr().err


def test_a_report_signed_by_another_key_is_rejected_against_the_pinned_key(
    signed: tuple[Path, Path], tmp_path: Path
) -> None:
    report, _ = signed
    assert main(["sign", str(report), "--generate-key", str(tmp_path / "impostor.pem")]) == 0
    other = tmp_path / "expected.pub.pem"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from dcr_harness.report.signing import public_pem

    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert main(["verify-report", str(report), "--public-key", str(other)]) == 1


def test_resigning_with_an_existing_key(signed: tuple[Path, Path]) -> None:
    report, key = signed
    assert main(["sign", str(report), "--key", str(key)]) == 0
    assert main(["verify-report", str(report)]) == 0


def test_an_unsigned_report_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, build(FAILING))
    assert main(["verify-report", str(tmp_path)]) == 2
    assert "not signed" in capsys.readouterr().err


def test_generate_key_never_overwrites(signed: tuple[Path, Path]) -> None:
    report, key = signed
    assert main(["sign", str(report), "--generate-key", str(key)]) == 2
