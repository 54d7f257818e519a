"""The default transport against a loopback server: answers as they are, bounded, errors mapped."""

from __future__ import annotations

import socket
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
