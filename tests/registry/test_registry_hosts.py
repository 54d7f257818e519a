"""Registry hosts: lscr.io is checked at ghcr.io, and token realms keep their own query."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest

from watchtower.model import ImageRef
from watchtower.registry import DockerCredentials, HttpRegistry, MockTransport, Request, Response
from watchtower.registry._auth import with_query

DIGEST = "sha256:" + "b" * 64


def test_an_lscr_image_is_checked_and_logged_in_at_ghcr(tmp_path: Path) -> None:
    login = base64.b64encode(b"alice:s3cret").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"ghcr.io": {"auth": login}}}))
    seen: list[Request] = []

    def ghcr(request: Request) -> Response:
        seen.append(request)
        if request.header("Authorization") is None:
            return Response(401, {"WWW-Authenticate": 'Basic realm="ghcr"'})
        return Response(200, {"Docker-Content-Digest": DIGEST})

    registry = HttpRegistry(
        transport=MockTransport(ghcr), credentials=DockerCredentials(tmp_path, environ={})
    )
    ref = ImageRef("lscr.io", "linuxserver/sonarr", "latest")
    assert registry.digest(ref) == DIGEST
    assert {urllib.parse.urlsplit(r.url).netloc for r in seen} == {"ghcr.io"}
    assert seen[-1].header("Authorization") == f"Basic {login}"


@pytest.mark.parametrize(
    ("realm", "expected"),
    [
        ("https://a.example/token", "https://a.example/token?scope=s&service=v"),
        ("https://a.example/token?x=1", "https://a.example/token?x=1&scope=s&service=v"),
        (
            "https://a.example/token?service=old&scope=old&x=1",
            "https://a.example/token?x=1&scope=s&service=v",
        ),
    ],
)
def test_service_and_scope_in_the_realm_are_replaced_not_doubled(realm: str, expected: str) -> None:
    assert with_query(realm, {"service": "v", "scope": "s"}) == expected
