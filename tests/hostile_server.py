"""A loopback HTTP server that misbehaves on request, byte by byte (tests of hostile targets).

By default it answers like a minimal conforming DCR service (201 with credentials on the
register path, 201 with a token on the token path, 405 to GET). A behaviour changes the
answers to POST requests from request number `after` on (the harness's reachability GET is
request 0), or to every request for `slow`. Every secret it issues is kept in `issued`, so
that a test can search the run's artifacts for each one.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REGISTER_PATH, TOKEN_PATH = "/o/client/register", "/o/client/token"
HUGE_BYTES = 50 * 1024 * 1024
STATEMENT = "hostile-statement-value-0123456789"  # not JWT-shaped: only the masker's memory hides it

BEHAVIOURS = (
    "ok",
    "slow",
    "stall",
    "reset",
    "huge",
    "truncated",
    "long-length",
    "short-length",
    "bad-header-bytes",
    "redirect",
    "http10",
    "refuse-statement",
    "refuse-grant",
    "refuse-granted-grant",
    "register-500",
)
REASONS = {
    201: "Created",
    307: "Temporary Redirect",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _json(status: int, body: object) -> Answer:
    return Answer(status, json.dumps(body).encode(), ((b"Content-Type", b"application/json"),))


class HostileServer:
    def __init__(
        self,
        behaviour: str = "ok",
        *,
        after: int = 1,
        delay: float = 3.0,
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
        redirect_to: str = "",
    ) -> None:
        assert behaviour in BEHAVIOURS, behaviour
        self.behaviour, self.after, self.delay, self.tls, self.redirect_to = behaviour, after, delay, tls, redirect_to
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.host, self.port = host, self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.requests: list[tuple[str, str]] = []
        self.issued: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    # Serving

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buffer = b""
            while not self.stop.is_set():
                request, buffer = self._read_request(conn, buffer)
                if request is None or not self._answer(conn, *request):
                    return
        except (OSError, ssl.SSLError, ValueError):
            return  # the harness hung up, or the TLS handshake failed: both are the point of some tests
        finally:
            conn.close()

    def _read_request(self, conn: socket.socket, buffer: bytes) -> tuple[tuple[str, str, bytes] | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = next(
            (
                int(v)
                for k, _, v in (line.partition(":") for line in lines[1:])
                if k.strip().lower() == "content-length"
            ),
            0,
        )
        while len(buffer) < length:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        return (method, path, buffer[:length]), buffer[length:]

    def _answer(self, conn: socket.socket, method: str, path: str, body: bytes) -> bool:
        """Send one answer; False when the connection is done."""
        with self._lock:
            number = len(self.requests)
            self.requests.append((method, path))
        hostile = method == "POST" and number >= self.after
        if self.behaviour == "slow":
            time.sleep(self.delay)
        if hostile and self.behaviour == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
            return False
        answer = self._dcr_answer(method, path, hostile)
        head = [
            b"HTTP/1.0" if hostile and self.behaviour == "http10" else b"HTTP/1.1",
            str(answer.status).encode(),
            REASONS.get(answer.status, "OK").encode(),
        ]
        headers = list(answer.headers)
        body_out = answer.body
        length = len(body_out)
        if hostile and self.behaviour == "huge":
            body_out = body_out[:-1] + b', "pad": "' + b"x" * (HUGE_BYTES - len(body_out)) + b'"}'
            length = len(body_out)
        elif hostile and self.behaviour == "long-length":
            length += 100
        elif hostile and self.behaviour == "short-length":
            length -= 10
        if hostile and self.behaviour == "bad-header-bytes":
            headers.append((b"X-Hostile", b"\xff\xfe\xfa not UTF-8"))
        if not (hostile and self.behaviour == "http10"):
            headers.append((b"Content-Length", str(length).encode()))
        data = b" ".join(head) + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers) + b"\r\n"
        if hostile and self.behaviour in ("stall", "truncated"):
            conn.sendall(data + body_out[: len(body_out) // 2])
            if self.behaviour == "stall":
                self.stop.wait(60)
            return False
        conn.sendall(data + body_out)
        return not (hostile and self.behaviour in ("http10", "long-length", "huge"))

    def _dcr_answer(self, method: str, path: str, hostile: bool) -> Answer:
        behaviour = self.behaviour if hostile else "ok"
        if method != "POST":
            return _json(405, {"error": "invalid_request"})
        if path.startswith(REGISTER_PATH):
            if behaviour == "redirect":
                return Answer(307, b"", ((b"Location", f"{self.redirect_to}{REGISTER_PATH}".encode()),))
            if behaviour == "refuse-statement":
                return _json(400, {"error": "invalid_software_statement"})
            if behaviour == "register-500":
                return Answer(500, b"Internal Server Error", ((b"Content-Type", b"text/plain"),))
            secret = self._issue("hostile-secret")
            grants = (
                [] if behaviour == "refuse-grant" else ["client_credentials"]
            )  # refuse-granted-grant: registered, then refused
            return _json(
                201,
                {
                    "client_id": uuid.uuid4().hex,
                    "client_secret": secret,
                    "client_id_issued_at": int(time.time()),
                    "redirect_uris": [],
                    "grant_types": grants,
                    "scopes": [],
                },
            )
        if path.startswith(TOKEN_PATH):
            if behaviour in ("refuse-grant", "refuse-granted-grant"):
                return _json(400, {"error": "unauthorized_client"})
            return _json(
                201,
                {
                    "id": uuid.uuid4().hex,
                    "access_token": self._issue("hostile-token"),
                    "created_at": int(time.time() * 1000),
                    "expires_in": 3600,
                    "token_type": "bearer",
                },
            )
        return _json(404, {"error": "invalid_request"})

    def _issue(self, kind: str) -> str:
        value = f"{kind}-{uuid.uuid4().hex}"
        with self._lock:
            self.issued.append(value)
        return value


# TLS: a private CA and a server certificate for the names asked for -------------------


def issue_certificates(directory: Path, names: list[str]) -> tuple[Path, ssl.SSLContext]:
    """(the CA's PEM file, a server context whose certificate is for `names`, signed by that CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject: str, key, issuer_name, issuer_key, ca: bool, sans: list[x509.GeneralName]):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile test CA")])
    ca_cert = certificate("hostile test CA", ca_key, ca_name, ca_key, True, [])
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    leaf = certificate(names[0], key, ca_name, ca_key, False, sans)
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return ca_path, context
