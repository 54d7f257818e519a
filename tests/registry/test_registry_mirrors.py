"""Docker Hub mirrors: asked in turn before Docker Hub for a Docker Hub image's digest."""

from __future__ import annotations

from typing import Any

import pytest

from watchtower.docker import DockerClient
from watchtower.errors import RateLimitedError
from watchtower.model import ImageRef
from watchtower.registry import HttpRegistry, MockTransport, Request, Response, TransportError

DIGEST = "sha256:" + "c" * 64
NGINX = ImageRef("docker.io", "library/nginx", "1.27")


class Logins:
    def credentials_for(self, registry_host: str) -> None:
        return None


def _registry(answers: dict[str, Response], mirrors: list[str]) -> tuple[HttpRegistry, list[str]]:
    seen: list[str] = []

    def answer(request: Request) -> Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.startswith("https://plain."):
            raise TransportError("The TLS handshake failed (is it serving plain HTTP?).")
        host = request.url.split("/")[2]
        if request.url.endswith("/v2/"):
            return Response(200)
        return answers.get(host, Response(404))

    registry = HttpRegistry(transport=MockTransport(answer), credentials=Logins(), mirrors=mirrors)
    return registry, seen


FOUND = Response(200, {"Docker-Content-Digest": DIGEST})


def test_the_first_mirror_that_answers_wins() -> None:
    registry, seen = _registry(
        {"plain.example:5000": FOUND, "registry-1.docker.io": Response(500)},
        ["https://first.example", "http://plain.example:5000/"],
    )
    assert registry.digest(NGINX) == DIGEST
    heads = [line for line in seen if line.startswith("HEAD")]
    assert heads == [
        "HEAD https://first.example/v2/library/nginx/manifests/1.27",
        "HEAD http://plain.example:5000/v2/library/nginx/manifests/1.27",
    ]


def test_docker_hub_is_asked_when_no_mirror_can_tell() -> None:
    registry, seen = _registry({"registry-1.docker.io": FOUND}, ["https://first.example"])
    assert registry.digest(NGINX) == DIGEST
    assert seen[-1] == "HEAD https://registry-1.docker.io/v2/library/nginx/manifests/1.27"


def test_other_registries_never_go_to_a_mirror() -> None:
    registry, seen = _registry({"ghcr.io": FOUND}, ["https://first.example"])
    assert registry.digest(ImageRef("ghcr.io", "o/app", "1")) == DIGEST
    assert not any("first.example" in line for line in seen)


def test_a_rate_limited_mirror_stops_the_check() -> None:
    registry, seen = _registry(
        {"first.example": Response(200, {"RateLimit-Remaining": "0;w=21600"})},
        ["https://first.example"],
    )
    with pytest.raises(RateLimitedError):
        registry.digest(NGINX)
    assert not any("registry-1.docker.io" in line for line in seen)


class _Api:
    base_url = "unix://fake"

    def __init__(self, info: Any) -> None:
        self._info = info

    def info(self) -> Any:
        if isinstance(self._info, Exception):
            raise self._info
        return self._info


@pytest.mark.parametrize(
    ("info", "mirrors"),
    [
        ({"RegistryConfig": {"Mirrors": ["https://m.example/"]}}, ("https://m.example/",)),
        ({"RegistryConfig": {"Mirrors": None}}, ()),
        ({}, ()),
        (OSError("engine gone"), ()),
    ],
)
def test_the_engine_says_which_mirrors_it_has(info: Any, mirrors: tuple[str, ...]) -> None:
    assert DockerClient(_Api(info)).registry_mirrors() == mirrors  # type: ignore[arg-type]
