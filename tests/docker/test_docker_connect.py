"""Connecting: unreachable and too-old engines are one sentence; docker is imported lazily."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from watchtower import Container, parse_reference
from watchtower.docker import DockerClient
from watchtower.docker.connect import connect
from watchtower.errors import EngineError


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def _engine(socket: Path, api_version: str, seen: list[str] | None = None) -> _UnixHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if seen is not None:
                seen.append(self.path)
            self.send_response(204)
            self.end_headers()

        def do_GET(self) -> None:
            body = json.dumps({"ApiVersion": api_version, "Version": "old"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

        def address_string(self) -> str:
            return "engine"

    return _UnixHTTPServer(str(socket), Handler)


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[tuple[Path, list[_UnixHTTPServer]]]:
    servers: list[_UnixHTTPServer] = []
    yield tmp_path, servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("version", ["1.20", "1.24"])
def test_a_too_old_engine_is_one_sentence(
    fake_engine: tuple[Path, list[_UnixHTTPServer]], version: str
) -> None:
    directory, servers = fake_engine
    socket = directory / f"engine-{version}.sock"
    server = _engine(socket, version)
    servers.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with pytest.raises(EngineError) as caught:
        connect(f"unix://{socket}")
    message = str(caught.value)
    assert message.startswith(f"The Docker engine at unix://{socket} is too old: it speaks ")
    assert message.endswith("this backend needs API 1.25 or newer.") and "\n" not in message


def test_an_unreachable_engine_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as caught:
        connect(f"unix://{tmp_path}/none.sock")
    assert str(caught.value) == (
        f"Could not connect to the Docker engine at unix://{tmp_path}/none.sock: "
        "the engine is unreachable (No such file or directory)."
    )
    assert caught.value.__cause__ is not None


def test_docker_host_from_the_given_environment(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"at tcp://127\.0\.0\.1:9"):
        connect(environment={"DOCKER_HOST": "tcp://127.0.0.1:9"}, timeout=2)


def test_newer_engines_stop_with_the_given_signal_in_one_call(
    fake_engine: tuple[Path, list[_UnixHTTPServer]],
) -> None:
    directory, servers = fake_engine
    socket = directory / "engine.sock"
    seen: list[str] = []
    server = _engine(socket, "1.43", seen)
    servers.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = DockerClient.from_env(f"unix://{socket}")
    container = Container(
        id="c" * 64, name="web", image=parse_reference("web"), image_id="sha256:" + "1" * 64
    )

    client.stop_container(container, signal="INT", timeout=timedelta(seconds=2.5))

    assert seen == [f"/v1.43/containers/{'c' * 64}/stop?t=3&signal=SIGINT"]
