"""HttpRegistry gives each request of its default transport a deadline: its own, or 60 seconds."""

from __future__ import annotations

import time

import pytest

from tests.registry.test_registry_requests_transport import DrippingServer
from watchtower.model import ImageRef
from watchtower.registry import HttpRegistry, TransportError, _requests_transport

# Each byte well within the read timeout; the whole answer takes 15 seconds.
DRIP = b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + b"x" * 300


def _dripped(registry: HttpRegistry, port: int) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        registry.digest(ImageRef(f"127.0.0.1:{port}", "app", "v1"))
    return str(caught.value), time.monotonic() - started


def test_the_deadline_given_holds_a_dripping_registry() -> None:
    with DrippingServer(DRIP, gap=0.05) as server:
        message, took = _dripped(HttpRegistry(deadline=1.0), server.port)
    assert message == f"127.0.0.1:{server.port} did not finish answering GET /v2/ within 1s."
    assert 0.9 < took < 3.0


def test_without_one_the_deadline_is_60_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _requests_transport.DEFAULT_DEADLINE == 60.0
    # The default is read when the client is made: a shorter one shows it is the one used.
    monkeypatch.setattr(_requests_transport, "DEFAULT_DEADLINE", 1.0)
    with DrippingServer(DRIP, gap=0.05) as server:
        message, took = _dripped(HttpRegistry(), server.port)
    assert message.endswith("within 1s.")
    assert 0.9 < took < 3.0
