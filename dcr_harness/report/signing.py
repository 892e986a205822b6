"""Detached Ed25519 signatures over certification.json.

`certification.json.sig` (JSON) holds the base64 signature over the exact bytes of
certification.json, their sha256 and the fingerprint (sha256 of the raw public key) of the
signing key; `certification.pub.pem` is the signer's public key. A receiver pins the
sender's public key obtained out-of-band (--public-key): the copy beside the report only
proves the file was not altered after signing by whoever holds the matching private key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import MissingSignature, SigningError, VerificationFailed
from .certification import CERT_JSON

SIG_NAME, PUB_NAME = CERT_JSON + ".sig", "certification.pub.pem"


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_key(path: Path) -> Ed25519PrivateKey:
    """A new private key written to path (mode 0600; never overwrites a file)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SigningError(f"cannot create the key file {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"cannot read an unencrypted PEM private key from {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read a PEM public key from {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path} is not an Ed25519 public key")
    return key


def sign_report(report_dir: Path, key: Ed25519PrivateKey) -> Path:
    document = Path(report_dir) / CERT_JSON
    try:
        data = document.read_bytes()
    except OSError as exc:
        raise SigningError(f"no {CERT_JSON} to sign in {report_dir}: {exc.strerror or exc}") from None
    signature = {
        "algorithm": "Ed25519",
        "signed_file": CERT_JSON,
        "sha256": hashlib.sha256(data).hexdigest(),
        "signature": base64.b64encode(key.sign(data)).decode("ascii"),
        "public_key_fingerprint": fingerprint(key.public_key()),
    }
    (Path(report_dir) / PUB_NAME).write_bytes(public_pem(key.public_key()))
    path = Path(report_dir) / SIG_NAME
    path.write_text(json.dumps(signature, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass
class Verified:
    fingerprint: str
    pinned: bool


def verify_report(report_dir: Path, public_key: Ed25519PublicKey | None = None) -> Verified:
    """Check certification.json against its signature; the pinned key if given, else the bundled one."""
    report_dir = Path(report_dir)
    sig_path = report_dir / SIG_NAME
    if not sig_path.is_file():
        raise MissingSignature(f"{sig_path} not found: the report is not signed (dcr-harness sign {report_dir})")
    try:
        sig = json.loads(sig_path.read_text(encoding="utf-8"))
        raw_sig = base64.b64decode(sig["signature"], validate=True)
        claimed = sig["public_key_fingerprint"]
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationFailed(f"{sig_path} is malformed: {exc}") from None
    pinned = public_key is not None
    if public_key is None:
        try:
            public_key = load_public_key(report_dir / PUB_NAME)
        except SigningError as exc:
            raise VerificationFailed(str(exc)) from None
    if fingerprint(public_key) != claimed:
        raise VerificationFailed(
            f"signed by key {claimed}, but the {'pinned' if pinned else 'bundled'} key is {fingerprint(public_key)}"
        )
    try:
        data = (report_dir / CERT_JSON).read_bytes()
    except OSError as exc:
        raise VerificationFailed(f"{CERT_JSON} is missing: {exc.strerror or exc}") from None
    try:
        public_key.verify(raw_sig, data)
    except InvalidSignature:
        raise VerificationFailed(
            f"{CERT_JSON} does not match its signature: the report was altered after signing"
        ) from None
    return Verified(claimed, pinned)
