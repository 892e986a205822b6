"""Software statement mutations (REG-ERR-3): every way a statement can stop being valid and signed.

Variants that need the target's signing key (HS256 keyed with its public key; exp in the
past and nbf in the future on a statement that is otherwise valid) are generated only when
the key is known, i.e. for the embedded reference server; otherwise the time claims are
covered only on a foreign-signed statement, and `ServerKey.missing` says so.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import strategies as st

from ..checks.provocations import BAD_STATEMENT, STATEMENT_OR_REQUEST, UNAPPROVED, P, Provocation
from ..contract import statements as forge
from .text import CONTROL, NON_ASCII, short

REG = "register"
REQS = "REG-ERR-3"
SIGNING_KEY_FILE = "signing-key.pem"  # where the reference server keeps its key (refserver/keys.py)
TIME_CLAIMS = {"iat", "exp", "nbf"}  # JWT libraries insist on numbers here
NOT_BASE64URL = "!#$%&()*+,/:;<=>?@[]^`{|}~ ."


@dataclass(frozen=True)
class ServerKey:
    """The target's statement-signing key, when the harness can know it (embedded reference only)."""

    private: rsa.RSAPrivateKey | None = None

    @classmethod
    def from_data_dir(cls, data_dir: Path | None) -> ServerKey:
        path = data_dir / SIGNING_KEY_FILE if data_dir else None
        if path is None or not path.exists():
            return cls()
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return cls(key if isinstance(key, rsa.RSAPrivateKey) else None)

    @property
    def missing(self) -> str | None:
        return None if self.private else "the target's signing key (known only for the embedded reference server)"

    def public_forms(self) -> list[bytes]:
        if self.private is None:
            return []
        public = self.private.public_key()
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        pkcs1 = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return [pem, pem.strip(), pkcs1, der]


def _case(name: str, statement: Any, permitted: set[str] | frozenset[str] | str = BAD_STATEMENT) -> Provocation:
    """`statement` is a string, or a function of nothing evaluated at send time (time claims)."""
    make = statement if callable(statement) else (lambda: statement)
    return P(REQS, name, REG, permitted, lambda c: c.dcr.register(make()))


def _flip_bit(valid: str, bit: int) -> str:
    head, body, signature = valid.split(".")
    raw = bytearray(forge.b64url_decode(signature))
    raw[bit // 8] ^= 1 << (bit % 8)
    return f"{head}.{body}.{forge.b64url(bytes(raw))}"


def _timed(valid: str, key: rsa.RSAPrivateKey | None, claim: str, offset: int) -> Any:
    header, claims, _ = forge.split(valid)
    extra = {k: v for k, v in header.items() if k not in ("alg", "typ")}

    def make() -> str:
        changed = {**claims, claim: int(time.time()) + offset}
        if key is None:
            return forge.foreign_signed(valid, **{claim: changed[claim]})
        return jwt.encode(changed, key, algorithm="RS256", headers={"typ": header.get("typ", "JWT"), **extra})

    return make


def _segments(valid: str, count: int, filler: str) -> str:
    parts = valid.split(".")
    return ".".join(parts[:count] if count <= 3 else parts + [filler] * (count - 3))


def statement_cases(valid: str, key: ServerKey) -> st.SearchStrategy[Provocation]:
    header, claims, signature = forge.split(valid)
    sig_bits = 8 * max(1, len(forge.b64url_decode(signature)))
    claim_values = st.one_of(
        st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.lists(st.text(max_size=5), max_size=2)
    )
    odd = st.text(st.sampled_from(NOT_BASE64URL), min_size=1, max_size=4)
    odd_any = st.text(st.one_of(CONTROL, NON_ASCII), min_size=1, max_size=3)
    variants = [
        st.lists(st.booleans(), min_size=4, max_size=4)
        .map(lambda up: "".join(c.upper() if u else c for c, u in zip("none", up, strict=True)))
        .flatmap(
            lambda alg: st.sampled_from(["", signature]).map(
                lambda sig: _case(
                    f"alg {alg!r}, {'old' if sig else 'no'} signature",
                    forge.encode_unsigned({**header, "alg": alg}, claims, sig),
                )
            )
        ),
        st.binary(min_size=1, max_size=40).map(
            lambda secret: _case(f"HS256 with secret {short(secret)}", _hs256(valid, secret))
        ),
        st.integers(0, sig_bits - 1).map(lambda bit: _case(f"signature bit {bit} flipped", _flip_bit(valid, bit))),
        st.tuples(st.sampled_from(sorted(claims) + ["extra_claim"]), claim_values)
        .filter(lambda kv: claims.get(kv[0], object()) != kv[1])
        .map(
            lambda kv: _case(
                f"claim {kv[0]}={short(kv[1])} under the old signature", forge.changed_claims(valid, **{kv[0]: kv[1]})
            )
        ),
        st.dictionaries(st.sampled_from(sorted(set(claims) - TIME_CLAIMS)), st.text(max_size=12), max_size=2).map(
            lambda changes: _case(
                f"signed with a foreign key, changes {short(changes)}", forge.foreign_signed(valid, **changes)
            )
        ),
        # Not JWT-shaped (segment count, characters outside base64url): a malformed statement (REG-ERR-3)
        # or a malformed request (REG-ERR-1), either code.
        st.tuples(st.integers(1, 6).filter(lambda n: n != 3), st.sampled_from(["", "e30", "AAAA", signature])).map(
            lambda nf: _case(f"{nf[0]} segments (filler {short(nf[1])})", _segments(valid, *nf), STATEMENT_OR_REQUEST)
        ),
        st.tuples(st.integers(0, len(valid)), odd).map(
            lambda at: _case(
                f"{at[1]!r} inserted at {at[0]}", valid[: at[0]] + at[1] + valid[at[0] :], STATEMENT_OR_REQUEST
            )
        ),
        st.tuples(st.integers(0, len(valid)), odd_any).map(
            lambda at: _case(
                f"{at[1]!r} inserted at {at[0]}", valid[: at[0]] + at[1] + valid[at[0] :], STATEMENT_OR_REQUEST
            )
        ),
        st.integers(1000, 60_000).map(
            lambda n: _case(
                f"header padded with {n} characters",
                forge.encode_unsigned({**header, "x": "a" * n}, claims, signature),
                STATEMENT_OR_REQUEST,
            )
        ),
    ]
    if key.private is not None:
        variants.append(
            st.sampled_from(key.public_forms()).map(
                lambda pub: _case(f"HS256 keyed with the server's public key ({short(pub[:30])})", _hs256(valid, pub))
            )
        )
    return st.one_of(variants)


def time_cases(valid: str, key: ServerKey) -> st.SearchStrategy[Provocation]:
    """exp in the past, nbf in the future: on an otherwise valid statement when the key is known.

    Properly signed but not valid now fits REG-ERR-3 (not a valid JWT) and REG-ERR-4 (not approved
    for use) alike; foreign-signed, it is a bad signature first.
    """
    permitted = {BAD_STATEMENT, UNAPPROVED} if key.private else BAD_STATEMENT
    return st.one_of(
        st.integers(3600, 10**9).map(
            lambda d: _case(f"exp {d} s in the past{_signed_by(key)}", _timed(valid, key.private, "exp", -d), permitted)
        ),
        st.integers(3600, 10**9).map(
            lambda d: _case(
                f"nbf {d} s in the future{_signed_by(key)}", _timed(valid, key.private, "nbf", d), permitted
            )
        ),
    )


def _signed_by(key: ServerKey) -> str:
    return ", signed with the target's key" if key.private else ", foreign-signed (target key unknown)"


def _hs256(valid: str, secret: bytes) -> str:
    """HS256 computed by hand: JWT libraries refuse an asymmetric key as an HMAC secret, attackers do not."""
    header, claims, _ = forge.split(valid)
    unsigned = forge.encode_unsigned({**header, "alg": "HS256"}, claims)
    mac = hmac.new(secret, unsigned.rstrip(".").encode(), hashlib.sha256).digest()
    return unsigned + forge.b64url(mac)
