"""What DcrClient puts on the wire: the bytes a loopback listener receives, not what httpx says it will send."""

from __future__ import annotations

import base64
import socket
import threading
from urllib.parse import unquote_plus

import pytest

from dcr_harness.contract.target import target_from_dict
from dcr_harness.http import DcrClient, Session
from dcr_harness.http.client import FORWARDING_PROXY, basic_auth
from dcr_harness.http.session import USER_AGENT

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
READ_TIMEOUT_S = 5.0


class OneShotListener:
    """Accepts one connection on loopback, keeps the request head's bytes, answers 200."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(READ_TIMEOUT_S)
        self.head = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(READ_TIMEOUT_S)
            while b"\r\n\r\n" not in self.head:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                self.head += chunk
            conn.sendall(ANSWER)

    def header_names(self) -> list[str]:
        self.thread.join(READ_TIMEOUT_S)
        lines = self.head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
        return [line.split(b":", 1)[0].decode().lower() for line in lines]


@pytest.fixture()
def listener():
    server = OneShotListener()
    yield server
    server.sock.close()


def _client(url: str) -> DcrClient:
    target = target_from_dict({"base_url": url, "statements": {"valid": "eyJ.a.b"}})
    return DcrClient(Session(target, paced=False), device="198.18.0.1")


@pytest.mark.parametrize(
    "overrides, expect_user_agent",
    [
        ({}, True),
        ({"User-Agent": None}, False),
        ({"user-agent": None}, False),
    ],
)
def test_user_agent_is_sent_unless_left_out(listener, overrides, expect_user_agent):
    """REG-REQ-4/TOK-REQ-3 checks send no User-Agent at all when told to (httpx's default must not come back)."""
    _client(listener.url).register(headers=overrides)
    names = listener.header_names()
    assert ("user-agent" in names) is expect_user_agent, names
    if expect_user_agent:
        assert USER_AGENT.encode() in listener.head


@pytest.mark.parametrize(
    "client_id, secret",
    [
        ("plain-id", "plain-secret"),
        ("id with space", "a+b/c=d%20e"),
        ("id:colon", "sécret:with:colons"),
    ],
)
def test_basic_credentials_are_form_encoded_before_base64(client_id, secret):
    """RFC 6749 2.3.1: a server that form-decodes each half gets the credentials back exactly."""
    scheme, _, encoded = basic_auth(client_id, secret).partition(" ")
    got_id, sep, got_secret = base64.b64decode(encoded).decode().partition(":")
    assert scheme == "Basic" and sep == ":"
    assert (unquote_plus(got_id), unquote_plus(got_secret)) == (client_id, secret)


def test_device_is_the_first_forwarded_address(listener):
    """THR-1: every request names its device first in X-Forwarded-For, a proxy after it."""
    _client(listener.url).register()
    listener.header_names()
    assert f"X-Forwarded-For: 198.18.0.1, {FORWARDING_PROXY}".lower().encode() in listener.head.lower()
