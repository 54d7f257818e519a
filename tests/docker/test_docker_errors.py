"""The one mapping of docker-py's and requests' failures (:mod:`watchtower.docker._errors`)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import docker
import pytest
import requests
import urllib3
from docker.errors import (
    APIError,
    DockerException,
    InvalidArgument,
    create_api_error_from_http_exception,
)

from watchtower import Container, parse_reference
from watchtower.docker import DockerClient
from watchtower.docker._errors import engine_errors, shown
from watchtower.errors import ContainerError, EngineError, EngineTimeoutError, ImageInUseError

IMAGE = "sha256:" + "0123456789ab" + "c" * 52


def answer(status: int, message: str) -> APIError:
    """The error docker-py raises for an engine answer, made by docker-py itself."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps({"message": message}).encode()
    try:
        create_api_error_from_http_exception(requests.HTTPError(response=response))
    except APIError as error:
        return error
    raise AssertionError("docker-py raised nothing")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refused() -> Exception:
    """What docker-py raises, for real, when nothing listens on the engine's port."""
    api = docker.APIClient(base_url=f"tcp://127.0.0.1:{closed_port()}", version="1.41", timeout=2)
    try:
        api.containers()
    except Exception as error:
        return error
    raise AssertionError("something listens on a closed port")


def no_socket(tmp_path: Path) -> Exception:
    """What docker-py raises, for real, when negotiating with a socket that is not there."""
    try:
        docker.APIClient(base_url=f"unix://{tmp_path}/none.sock", version="auto", timeout=2)
    except Exception as error:
        return error
    raise AssertionError("a missing socket answered")


Failure = Callable[[Path], BaseException]

# Each row: the failure, the error type of the operation, then what comes out.
CASES: list[tuple[str, Failure, type[EngineError], type[EngineError], str]] = [
    (
        "404 no such container",
        lambda _: answer(404, "No such container: web"),
        ContainerError,
        ContainerError,
        "Could not do it: No such container: web.",
    ),
    (
        "404 no such image",
        lambda _: answer(404, "No such image: app:1"),
        EngineError,
        EngineError,
        "Could not do it: No such image: app:1.",
    ),
    (
        "409 image used by a container",
        lambda _: answer(
            409,
            "conflict: unable to delete 0123456789ab (cannot be forced) - "
            "image is being used by running container 89abcdef0123",
        ),
        EngineError,
        ImageInUseError,
        "Could not do it: conflict: unable to delete 0123456789ab (cannot be "
        "forced) - image is being used by running container 89abcdef0123.",
    ),
    (
        "409 that is not about use",
        lambda _: answer(
            409,
            "conflict: unable to delete 0123456789ab (must be forced) - "
            "image is referenced in multiple repositories",
        ),
        EngineError,
        EngineError,
        "Could not do it: conflict: unable to delete 0123456789ab (must be forced) - "
        "image is referenced in multiple repositories.",
    ),
    (
        "409 name taken",
        lambda _: answer(409, 'Conflict. The container name "/web" is already in use'),
        ContainerError,
        ContainerError,
        'Could not do it: Conflict. The container name "/web" is already in use.',
    ),
    (
        "500 on several lines",
        lambda _: answer(500, "driver failed programming\nexternal connectivity."),
        ContainerError,
        ContainerError,
        "Could not do it: driver failed programming.",
    ),
    (
        "connection refused",
        lambda _: refused(),
        ContainerError,
        ContainerError,
        "Could not do it: the engine is unreachable (Connection refused).",
    ),
    (
        "socket missing, while negotiating",
        no_socket,
        EngineError,
        EngineError,
        "Could not do it: the engine is unreachable (No such file or directory).",
    ),
    (
        "requests read timeout",
        lambda _: requests.ReadTimeout("UnixHTTPConnectionPool: Read timed out. (read timeout=60)"),
        ContainerError,
        EngineTimeoutError,
        "Could not do it: the engine did not answer in time.",
    ),
    (
        "urllib3 read timeout in a stream",
        lambda _: urllib3.exceptions.ReadTimeoutError(None, "/images/create", "Read timed out."),
        EngineError,
        EngineTimeoutError,
        "Could not do it: the engine did not answer in time.",
    ),
    (
        "socket timeout in a stream",
        lambda _: TimeoutError("timed out"),
        EngineError,
        EngineTimeoutError,
        "Could not do it: the engine did not answer in time.",
    ),
    (
        "stream broken",
        lambda _: urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead(0 bytes)"),
        EngineError,
        EngineError,
        "Could not do it: Connection broken: IncompleteRead(0 bytes).",
    ),
    (
        "docker-py refuses an argument",
        lambda _: InvalidArgument("bad value for restart_policy.\nsee the docs"),
        ContainerError,
        ContainerError,
        "Could not do it: bad value for restart_policy.",
    ),
    (
        "docker-py says nothing",
        lambda _: DockerException(),
        EngineError,
        EngineError,
        "Could not do it: DockerException.",
    ),
]


@pytest.mark.parametrize(
    ("failure", "given", "expected", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_failure_becomes_one_sentence_with_its_cause(
    tmp_path: Path,
    failure: Failure,
    given: type[EngineError],
    expected: type[EngineError],
    message: str,
) -> None:
    original = failure(tmp_path)
    with pytest.raises(EngineError) as caught, engine_errors("do it", given):
        raise original
    assert type(caught.value) is expected
    assert str(caught.value) == message
    assert caught.value.__cause__ is original


def test_a_timeout_names_the_engine_and_is_a_container_error() -> None:
    original = requests.ReadTimeout("Read timed out.")
    engine = "unix:///run/d.sock"
    with pytest.raises(ContainerError) as caught, engine_errors("stop 'web'", engine=engine):
        raise original
    assert isinstance(caught.value, EngineTimeoutError)
    assert caught.value.engine == "unix:///run/d.sock"
    assert str(caught.value) == (
        "Could not stop 'web': the engine at unix:///run/d.sock did not answer in time."
    )


@pytest.mark.parametrize("error", [ValueError("mine"), ContainerError("Already a sentence.")])
def test_other_errors_pass_through_untouched(error: Exception) -> None:
    with pytest.raises(type(error)) as caught, engine_errors("do it", ContainerError):
        raise error
    assert caught.value is error


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("f" * 64, "f" * 12),
        ("sha256:" + "0" * 64, "0" * 12),
        ("web", "web"),
        ("a-name-longer-than-twelve", "a-name-longer-than-twelve"),
        ("abcdef012345", "abcdef012345"),
    ],
)
def test_messages_show_full_ids_short_and_names_whole(given: str, expected: str) -> None:
    assert shown(given) == expected


def test_an_engine_that_is_gone_is_an_engine_error_not_a_traceback(tmp_path: Path) -> None:
    socket_path = tmp_path / "gone.sock"
    waits: list[float] = []
    api = docker.APIClient(base_url=f"unix://{socket_path}", version="1.41")
    client = DockerClient(api, sleep=waits.append)
    web = Container(id="c" * 64, name="web", image=parse_reference("web"), image_id=IMAGE)

    with pytest.raises(EngineError, match=r"^Could not list the containers of .*unreachable"):
        client.list_containers()
    assert waits == [5.0, 10.0]  # the listing, tried three times; the rest once
    with pytest.raises(ContainerError, match=r"^Could not stop container 'web': .*unreachable"):
        client.stop_container(web, signal="SIGTERM", timeout=timedelta(seconds=1))
    with pytest.raises(ContainerError, match=r"^Could not start container 'cccccccccccc': "):
        client.start_container(web.id)
    with pytest.raises(ContainerError, match=r"^Could not inspect container 'cccccccccccc': "):
        client.wait_until_healthy(web.id, timedelta(seconds=1))
    with pytest.raises(EngineError, match=r"^Could not inspect image 0123456789ab: "):
        client.inspect_image(IMAGE)
    with pytest.raises(EngineError, match=r"^Could not remove image 0123456789ab: ") as caught:
        client.remove_image(IMAGE)
    assert not isinstance(caught.value, ImageInUseError)
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
