"""HttpRegistry.tags on a MockTransport: pages, the token it shares with digests, 429s, refusals."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable

import pytest

from watchtower.errors import RateLimitedError, RegistryError
from watchtower.model import ImageRef
from watchtower.protocols import Registry, TagLister
from watchtower.registry import (
    Credentials,
    HttpRegistry,
    MockTransport,
    Request,
    Response,
    RetryPolicy,
)
from watchtower.registry._tags import next_page

REG = "https://reg.example"
TOKENS = "https://auth.example/token"
REF = ImageRef("reg.example", "team/app", "1.0.0")
LIST = f"{REG}/v2/team/app/tags/list"
BEARER = Response(401, {"WWW-Authenticate": f'Bearer realm="{TOKENS}",service="reg"'})


class Logins:
    def credentials_for(self, registry_host: str) -> Credentials | None:
        return Credentials("alice", "s3cret") if registry_host == "reg.example" else None


def _tags(tags: list[str], link: str | None = None) -> Response:
    headers = {"Link": link} if link else {}
    return Response(200, headers, json.dumps({"name": "team/app", "tags": tags}).encode())


class Pages:
    """A registry with bearer auth serving ``tags`` in pages of the ``n`` asked for."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self.seen: list[Request] = []
        self.tokens = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.seen.append(request)
        url = urllib.parse.urlsplit(request.url)
        base = f"{url.scheme}://{url.netloc}{url.path}"
        if base == f"{REG}/v2/":
            return BEARER
        if base == TOKENS:
            self.tokens += 1
            scope = urllib.parse.parse_qs(url.query)["scope"]
            assert scope == ["repository:team/app:pull"]
            return Response(200, {}, json.dumps({"token": "t1", "expires_in": 300}).encode())
        assert request.header("Authorization") == "Bearer t1"
        if base == f"{REG}/v2/team/app/manifests/1.0.0":
            return Response(200, {"Docker-Content-Digest": "sha256:" + "a" * 64})
        if base != LIST:
            return Response(404)
        query = urllib.parse.parse_qs(url.query)
        size = int(query["n"][0])
        start = self.tags.index(query["last"][0]) + 1 if "last" in query else 0
        page = self.tags[start : start + size]
        link = None
        if start + size < len(self.tags):
            link = f'</v2/team/app/tags/list?last={page[-1]}&n={size}>; rel="next"'
        return _tags(page, link)


def _client(handler: Callable[[Request], Response], **options: object) -> HttpRegistry:
    return HttpRegistry(transport=MockTransport(handler), credentials=Logins(), **options)  # type: ignore[arg-type]


def test_every_page_is_followed_in_order() -> None:
    """2,500 tags come in three pages of 1,000, each asked with n= and the pull token."""
    tags = [f"1.0.{n}" for n in range(2500)]
    registry = Pages(tags)
    assert _client(registry).tags(REF) == tuple(tags)
    lists = [r.url for r in registry.seen if r.url.startswith(LIST)]
    assert len(lists) == 3
    assert lists[0] == f"{LIST}?n=1000"
    assert registry.tokens == 1


def test_the_tag_list_and_the_digest_share_one_token() -> None:
    """A digest check after the listing reuses the cached pull token."""
    registry = Pages(["1.0.0", "1.0.1"])
    client = _client(registry)
    client.tags(REF)
    client.digest(REF)
    assert registry.tokens == 1


def test_the_http_registry_lists_tags_and_is_still_a_registry() -> None:
    """The optional capability is seen with isinstance."""
    client = _client(Pages([]))
    assert isinstance(client, TagLister) and isinstance(client, Registry)


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (Response(404), RegistryError, "reg.example has no tag list of reg.example/team/app"),
        (Response(403), RegistryError, "refused access to the tag list"),
        (Response(200, {}, b"<html>"), RegistryError, "something not JSON"),
        (Response(200, {}, b'{"tags": "1.0"}'), RegistryError, "without a list of tags"),
        (Response(429), RateLimitedError, "reg.example is rate limiting"),
    ],
)
def test_a_bad_answer_is_one_error_naming_the_repository(
    answer: Response, error: type[Exception], message: str
) -> None:
    def handler(request: Request) -> Response:
        return Response(200) if request.url == f"{REG}/v2/" else answer

    retry = RetryPolicy(attempts=1)
    with pytest.raises(error, match=message):
        _client(handler, retry=retry, sleep=lambda _: None).tags(REF)


def test_a_repository_without_tags_lists_none() -> None:
    """Distribution answers "tags": null for an empty repository."""

    def handler(request: Request) -> Response:
        if request.url == f"{REG}/v2/":
            return Response(200)
        return Response(200, {}, b'{"name": "team/app", "tags": null}')

    assert _client(handler).tags(REF) == ()


def test_a_link_that_pages_in_circles_is_stopped() -> None:
    """The same page twice is an error, not a loop."""

    def handler(request: Request) -> Response:
        if request.url == f"{REG}/v2/":
            return Response(200)
        return _tags(["1.0.0"], '</v2/team/app/tags/list?n=1000>; rel="next"')

    with pytest.raises(RegistryError, match="kept paging"):
        _client(handler).tags(REF)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (None, None),
        ('</v2/team/app/tags/list?last=b&n=2>; rel="next"', "/v2/team/app/tags/list?last=b&n=2"),
        ("</v2/team/app/tags/list?last=b>; rel=next", "/v2/team/app/tags/list?last=b"),
        (
            '<https://reg.example/v2/team/app/tags/list?last=b>; rel="next"',
            "/v2/team/app/tags/list?last=b",
        ),
        ('</v2/team/app/tags/list?last=b>; rel="prev"', None),
    ],
)
def test_the_next_page_is_read_from_the_link_header(link: str | None, expected: str | None) -> None:
    assert next_page(link, REF) == expected


@pytest.mark.parametrize(
    "link",
    [
        '<https://evil.example/v2/team/app/tags/list?last=b>; rel="next"',
        '</v2/other/tags/list?last=b>; rel="next"',
        '</token?scope=x>; rel="next"',
    ],
)
def test_a_next_page_elsewhere_is_refused(link: str) -> None:
    """The login is never taken to another host or path."""
    with pytest.raises(RegistryError, match="not its next page"):
        next_page(link, REF)
