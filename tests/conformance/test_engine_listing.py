"""The fork's retries of the container listing (pkg/container/client.go ``ListContainers``).

The fork lists again, three tries in all, 5 then 10 seconds apart, when
the engine is unreachable (``isDaemonConnectionError``: cannot connect,
connection refused, EOF, unexpected EOF), and fails at once on any other
error. Its table for ``isDaemonConnectionError`` (client_test.go) runs here
against :func:`~watchtower.docker._errors.engine_unavailable`, each Go error
written as the exception docker-py and requests raise for it; the retries
run against a real unix socket, with the waits recorded instead of slept.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.client import IncompleteRead, RemoteDisconnected
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from docker.errors import APIError, NotFound
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from watchtower.docker import DockerClient
from watchtower.docker._errors import engine_unavailable
from watchtower.errors import EngineError

SOURCE = "nicholas-fedor/watchtower pkg/container/client_test.go"


def _aborted(inner: BaseException) -> requests.ConnectionError:
    """requests' error for a connection that failed with ``inner``, as docker-py raises it."""
    return requests.ConnectionError(ProtocolError("Connection aborted.", inner))


# isDaemonConnectionError: (case, the failure, retried)
DAEMON_CONNECTION_ERRORS = [
    (
        "Docker daemon connection error returns true (the socket is not there)",
        _aborted(FileNotFoundError(2, "No such file or directory")),
        True,
    ),
    (
        "connection refused error returns true",
        _aborted(ConnectionRefusedError(111, "Connection refused")),
        True,
    ),
    ("EOF error returns true", _aborted(RemoteDisconnected("Remote end closed")), True),
    ("unexpected EOF error returns true", _aborted(IncompleteRead(b"", 10)), True),
    ("a reset connection", _aborted(ConnectionResetError(104, "Connection reset by peer")), True),
    (
        "permission denied error returns false",
        _aborted(PermissionError(13, "Permission denied")),
        False,
    ),
    (
        "container not found error returns false",
        NotFound("404 Client Error: Not Found (No such container: abc123)"),
        False,
    ),
    ("an engine's error answer", APIError("500 Server Error"), False),
    ("generic error returns false", ValueError("some random error"), False),
    (
        "a silence is a timeout, not an unreachable engine",
        requests.ReadTimeout(ReadTimeoutError(None, "/containers/json", "Read timed out.")),
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "failure", "retried"),
    DAEMON_CONNECTION_ERRORS,
    ids=[c[0] for c in DAEMON_CONNECTION_ERRORS],
)
def test_is_daemon_connection_error(case: str, failure: BaseException, retried: bool) -> None:
    """isDaemonConnectionError / error detection."""
    assert engine_unavailable(failure) is retried


class _Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps([] if self.path.startswith("/v1.41/containers/json") else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _engine_at(path: Path) -> Iterator[None]:
    """An engine with no containers, answering on the unix socket ``path``."""
    server = _Engine(str(path), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _client(path: Path, waits: list[float], **kwargs: Any) -> DockerClient:
    api = docker.APIClient(base_url=f"unix://{path}", version="1.41", timeout=5)
    return DockerClient(api, sleep=waits.append, **kwargs)


def test_an_unreachable_engine_is_listed_three_times_5_then_10_seconds_apart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ListContainers: three tries, then the error, in one sentence."""
    waits: list[float] = []
    with pytest.raises(EngineError, match=r"^Could not list the containers of .*unreachable"):
        _client(tmp_path / "gone.sock", waits).list_containers()
    assert waits == [5.0, 10.0]
    tries = [r.getMessage() for r in caplog.records if "Listing again" in r.getMessage()]
    assert [t.split("(attempt ")[1] for t in tries] == ["2 of 3).", "3 of 3)."]


def test_an_engine_that_comes_back_between_tries_is_listed(tmp_path: Path) -> None:
    """The daemon restarts during the first wait: the second try lists its containers."""
    socket_path = tmp_path / "engine.sock"
    waits: list[float] = []
    with ExitStack() as stack:

        def wait(seconds: float) -> None:
            waits.append(seconds)
            stack.enter_context(_engine_at(socket_path))  # the engine is back

        api = docker.APIClient(base_url=f"unix://{socket_path}", version="1.41", timeout=5)
        assert DockerClient(api, sleep=wait).list_containers() == []
    assert waits == [5.0]


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    """An engine that answers with an error is not asked again."""
    waits: list[float] = []
    socket_path = tmp_path / "engine.sock"

    class Failing(_Handler):
        def do_GET(self) -> None:
            self.send_error(500, "boom")

    server = _Engine(str(socket_path), Failing)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        with pytest.raises(EngineError, match=r"^Could not list the containers of "):
            _client(socket_path, waits).list_containers()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert waits == []


def test_no_retries_when_none_are_asked_for(tmp_path: Path) -> None:
    waits: list[float] = []
    with pytest.raises(EngineError):
        _client(tmp_path / "gone.sock", waits, list_retry_delays=()).list_containers()
    assert waits == []
