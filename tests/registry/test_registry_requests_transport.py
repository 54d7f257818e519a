"""The default transport against a loopback server: answers as they are, bounded, errors mapped."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from tests.support.httpserver import LoopbackServer
from tests.support.proxy import RecordingServer
from watchtower.errors import RegistryError
from watchtower.registry import Request, RequestsTransport, Transport, TransportError
from watchtower.registry._requests_transport import MAX_BODY


def test_an_answer_is_passed_on_as_it_came_without_following_redirects() -> None:
    with RecordingServer(
        status=302, headers={"Location": "/elsewhere", "X-Thing": "1"}, body=b"moved"
    ) as server:
        transport = RequestsTransport()
        assert isinstance(transport, Transport)
        got = transport.send(Request("GET", f"{server.url}/v2/", {"Authorization": "Basic x"}))
        head = transport.send(Request("HEAD", f"{server.url}/v2/"))
    assert (got.status, got.reason, got.body) == (302, "Found", b"moved")
    assert got.headers["location"] == "/elsewhere" and got.headers["x-thing"] == "1"
    assert got.url == f"{server.url}/v2/"
    assert head.body == b""
    assert [(s.method, s.path) for s in server.seen] == [("GET", "/v2/"), ("HEAD", "/v2/")]
    assert server.seen[0].headers["Authorization"] == "Basic x"


def test_a_body_larger_than_the_bound_is_refused() -> None:
    with (
        RecordingServer(body=b"x" * (MAX_BODY + 1)) as server,
        pytest.raises(RegistryError) as caught,
    ):
        RequestsTransport().send(Request("GET", f"{server.url}/v2/big"))
    assert str(caught.value) == (
        f"{server.address} answered GET /v2/big with more than {MAX_BODY >> 20} MiB."
    )


def test_an_unreachable_host_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as caught:
        RequestsTransport(timeout=2).send(Request("GET", f"http://127.0.0.1:{port}/v2/"))
    assert str(caught.value) == f"127.0.0.1:{port} could not be reached: ConnectionError."
    assert caught.value.__cause__ is not None
    assert not caught.value.untrusted


def test_one_connection_serves_every_request() -> None:
    """Each answer is read to its end, so its connection goes back to the pool."""
    clients: list[tuple[str, int]] = []

    def handle(handler: BaseHTTPRequestHandler) -> None:
        clients.append(handler.client_address)
        handler.send_response(404 if handler.path == "/missing" else 200)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(b"{}")

    server = LoopbackServer(handle)
    try:
        transport = RequestsTransport()
        for method, path in [("HEAD", "/a"), ("GET", "/a"), ("GET", "/missing"), ("HEAD", "/b")]:
            transport.send(Request(method, f"http://{server.address}{path}"))
    finally:
        server.stop()
    assert len(clients) == 4 and len(set(clients)) == 1


class DrippingServer:
    """Answers every request one byte at a time, ``gap`` seconds apart, until stopped."""

    def __init__(self, answer: bytes, gap: float) -> None:
        self.answer, self.gap = answer, gap
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                for byte in self.answer:
                    if self.stopping.wait(self.gap):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    def __enter__(self) -> DrippingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


@pytest.mark.parametrize(
    ("what", "answer"),
    [
        ("headers", b"HTTP/1.1 200 OK\r\n" + b"X-Drip: " + b"x" * 200 + b"\r\n\r\n"),
        ("body", b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + b"x" * 300),
        ("body read to close", b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 300),
    ],
)
def test_a_dripping_server_meets_the_deadline(what: str, answer: bytes) -> None:
    """Each byte comes well within the read timeout; the whole answer never comes in time."""
    with DrippingServer(answer, gap=0.05) as server:
        transport = RequestsTransport(timeout=5, deadline=1.0)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            transport.send(Request("GET", f"http://127.0.0.1:{server.port}/v2/a/manifests/v1"))
        elapsed = time.monotonic() - started
    assert str(caught.value) == (
        f"127.0.0.1:{server.port} did not finish answering GET /v2/a/manifests/v1 within 1s."
    )
    assert 0.9 < elapsed < 3.0, what


def test_a_quick_answer_is_not_cut_by_a_deadline_that_passes_later() -> None:
    with RecordingServer(body=b"ok") as server:
        transport = RequestsTransport(deadline=0.5)
        for _ in range(3):
            assert transport.send(Request("GET", f"{server.url}/v2/")).body == b"ok"
        time.sleep(0.7)  # every timer has passed: none may cut the pooled connection
        assert transport.send(Request("GET", f"{server.url}/v2/")).body == b"ok"


def test_a_connection_cut_in_the_middle_of_a_body_is_a_transport_error() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + b"x" * 10
    with DrippingServer(answer, gap=0.001) as server, pytest.raises(TransportError) as caught:
        RequestsTransport(timeout=5).send(Request("GET", f"http://127.0.0.1:{server.port}/v2/"))
    assert str(caught.value) == (
        f"127.0.0.1:{server.port} broke off its answer to GET /v2/ (ChunkedEncodingError)."
    )
