"""The HTTP API under abuse on 127.0.0.1: slow-loris clients, oversized headers and bodies, TLS."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.net import free_port
from tests.support.pki import CertificateAuthority
from watchtower.cli import guard
from watchtower.cli.api import ApiServer, create_app
from watchtower.cli.api_settings import ApiSettings
from watchtower.cli.runner import Runner
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import make_runner

TOKEN = "guard-token"


@pytest.fixture
def runner(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    return make_runner(engine, registry, clock)


@pytest.fixture
def base(runner: Runner) -> Iterator[str]:
    settings = ApiSettings(endpoints=frozenset({"health", "history", "update"}), token=TOKEN)
    server = ApiServer(create_app(runner, settings), "127.0.0.1", free_port())
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.fixture
def tls_base(runner: Runner, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The API over TLS, and the CA that issued its certificate."""
    authority = CertificateAuthority.create(tmp_path / "ca")
    cert, key = authority.issue(tmp_path)
    settings = ApiSettings(endpoints=frozenset({"health", "update"}), token=TOKEN)
    server = ApiServer(
        create_app(runner, settings), "127.0.0.1", free_port(), tls_cert=str(cert), tls_key=str(key)
    )
    server.start()
    try:
        yield f"https://127.0.0.1:{server.port}", authority.cert_path
    finally:
        server.stop()


def _address(base: str) -> tuple[str, int]:
    host, port = base.split("://")[1].split(":")
    return host, int(port)


def _raw(base: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and return all the server answers."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_livez_answers_within_a_second_while_100_clients_drip_their_headers(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    drippers = []
    with contextlib.ExitStack() as stack:
        for _ in range(100):
            conn = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
            conn.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")
            drippers.append(conn)
        slowest = 0.0
        for _round in range(6):  # a header line per client every half second, for 3 s
            for conn in drippers:
                conn.sendall(b"X-Drip: 1\r\n")
            started = time.monotonic()
            answer = requests.get(f"{base}/livez", timeout=5)
            slowest = max(slowest, time.monotonic() - started)
            assert answer.text == "OK"
            time.sleep(0.5)
        assert slowest < 1.0
        # The drippers were never answered: they did not finish their headers.
        for conn in drippers[:5]:
            conn.setblocking(False)
            with pytest.raises(BlockingIOError):
                conn.recv(1)


def test_oversized_headers_are_431(base: str) -> None:
    answer = _raw(base, b"GET /livez HTTP/1.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    # A header block still growing past the bound is refused before it ends, too.
    answer = _raw(base, b"GET /livez HTTP/1.1\r\nX-Big: " + b"a" * (guard.MAX_HEADER_BYTES + 10))
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_an_oversized_body_is_413(base: str) -> None:
    answer = requests.post(
        f"{base}/v1/update",
        data=b"x" * (guard.MAX_BODY_BYTES + 1),
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 413


def test_headers_that_never_end_get_408(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "REQUEST_TIMEOUT", 0.3)
    started = time.monotonic()
    answer = _raw(base, b"GET /livez HTTP/1.1\r\nHost: x\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "query",
    ["since=99999999999999999", "limit=%C2%B2", "until=-1", "since=" + "9" * 5000, "limit=1e3"],
)
def test_malformed_query_values_are_400_never_500(base: str, query: str) -> None:
    answer = requests.get(
        f"{base}/v1/history?{query}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert answer.status_code == 400


def test_a_keep_alive_client_is_served_again(base: str) -> None:
    with requests.Session() as session:
        for _ in range(5):
            assert session.get(f"{base}/livez", timeout=5).text == "OK"


def test_past_the_bound_of_waiting_clients_the_oldest_is_closed(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "MAX_WAITING", 5)
    host, port = base.removeprefix("http://").split(":")
    with contextlib.ExitStack() as stack:
        waiting = []
        for _ in range(8):
            conn = stack.enter_context(socket.create_connection((host, int(port)), timeout=5))
            conn.sendall(b"GET /livez HTTP/1.1\r\n")
            waiting.append(conn)
            time.sleep(0.05)  # in order of arrival
        assert [conn.recv(1) for conn in waiting[:3]] == [b"", b"", b""]
        assert requests.get(f"{base}/livez", timeout=5).text == "OK"


def test_livez_answers_within_a_second_while_100_clients_drip_their_bodies(base: str) -> None:
    with contextlib.ExitStack() as stack:
        drippers = []
        for _ in range(100):
            conn = stack.enter_context(socket.create_connection(_address(base), timeout=10))
            conn.sendall(
                b"POST /v1/update HTTP/1.1\r\nHost: x\r\n"
                + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 60000\r\n\r\n".encode()
            )
            drippers.append(conn)
        slowest = 0.0
        for _round in range(4):  # a byte of body per client every second
            for conn in drippers:
                conn.sendall(b"x")
            started = time.monotonic()
            assert requests.get(f"{base}/livez", timeout=5).text == "OK"
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(1)
        assert slowest < 1.0
        for conn in drippers[:5]:  # not answered: their bodies are not in
            conn.setblocking(False)
            with pytest.raises(BlockingIOError):
                conn.recv(1)


def test_a_body_that_never_ends_gets_408(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "REQUEST_TIMEOUT", 0.3)
    answer = _raw(base, b"POST /v1/update HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_chunked_body_over_the_bound_is_413(base: str) -> None:
    chunks = (b"x" * 8192 for _ in range(9))  # 72 KiB, sent chunked
    answer = requests.post(
        f"{base}/v1/update", data=chunks, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert answer.status_code == 413


def test_a_declared_body_over_the_bound_is_413_before_it_is_sent(base: str) -> None:
    answer = _raw(base, b"POST /v1/update HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_body_is_handed_whole_to_the_app_also_chunked_and_kept_alive(base: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with requests.Session() as session:
        for data in (b"x" * 60000, iter([b"a" * 30000, b"b" * 30000]), b""):
            answer = session.post(f"{base}/v1/update", data=data, headers=auth, timeout=10)
            assert answer.status_code == 200
    # Two requests in one packet: both answered, in order.
    answers = _raw(
        base,
        b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert answers.startswith(b"HTTP/1.1 200 ")
    assert b"HTTP/1.1 404 " in answers


def test_expect_100_continue_is_answered_at_the_door(base: str) -> None:
    with socket.create_connection(_address(base), timeout=5) as conn:
        conn.sendall(
            b"POST /v1/update HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 2\r\n\r\n".encode()
        )
        assert conn.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        conn.sendall(b"{}")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 ")  # no second 100


def test_livez_answers_over_tls_within_a_second_while_100_clients_stay_silent(
    tls_base: tuple[str, Path],
) -> None:
    base, authority = tls_base
    with contextlib.ExitStack() as stack:
        for _ in range(100):
            stack.enter_context(socket.create_connection(_address(base), timeout=10))
        slowest = 0.0
        for _round in range(3):
            started = time.monotonic()
            assert requests.get(f"{base}/livez", verify=authority, timeout=5).text == "OK"
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.5)
        assert slowest < 1.0


def test_a_tls_handshake_that_never_ends_is_closed(
    tls_base: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "HANDSHAKE_TIMEOUT", 0.3)
    base, _ = tls_base
    with socket.create_connection(_address(base), timeout=5) as conn:
        started = time.monotonic()
        assert conn.recv(1) == b""
    assert time.monotonic() - started < 3


def test_a_tls_client_that_drips_its_body_holds_no_worker(tls_base: tuple[str, Path]) -> None:
    base, authority = tls_base
    context = ssl.create_default_context(cafile=str(authority))
    with contextlib.ExitStack() as stack:
        for _ in range(20):
            raw = socket.create_connection(_address(base), timeout=10)
            conn = stack.enter_context(context.wrap_socket(raw, server_hostname="127.0.0.1"))
            conn.sendall(b"POST /v1/update HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
        started = time.monotonic()
        assert requests.get(f"{base}/livez", verify=authority, timeout=5).text == "OK"
        assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /livez HTTP/1.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", b"431"),
        (b"POST /v1/update HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b"413"),
        (b"POST /v1/update HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", b"400"),
        # Past the door, cheroot's own refusals.
        (b"GET /livez HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
        (b"NOT A REQUEST LINE\r\n\r\n", b"400"),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"404"),
    ],
    ids=["431", "413", "bad-length", "bad-header", "bad-line", "flask-404"],
)
def test_what_is_written_on_the_wire_for_an_error_is_json(
    base: str, request_bytes: bytes, status: bytes
) -> None:
    answer = _raw(base, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status, answer[:300]
    assert b"\r\ncontent-type: application/json" in head.lower(), head
    error = json.loads(body)["error"]
    assert isinstance(error, str) and error


def test_408_on_the_wire_is_json(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "REQUEST_TIMEOUT", 0.3)
    head, _, body = _raw(base, b"GET /livez HTTP/1.1\r\nHost: x\r\n").partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"Content-Type: application/json" in head
    assert json.loads(body) == {"error": "request not received in time"}
