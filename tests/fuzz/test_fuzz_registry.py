"""A registry that answers anything: a check ends in a digest or a registry error, never else.

The answers come from a table Hypothesis draws: any status, any
WWW-Authenticate, Retry-After, ratelimit-remaining, Docker-Content-Digest
and Location, any token answer body, nested JSON included.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from watchtower.errors import RegistryError
from watchtower.model import ImageRef
from watchtower.registry import Credentials, HttpRegistry, MockTransport, Request, Response

from .conftest import PROFILE
from .seeds import seeds
from .strategies import near, text

REF = ImageRef("reg.example", "app", "v1")
DIGEST = "sha256:" + "a" * 64

_STATUS = st.sampled_from([200, 200, 200, 301, 307, 308, 401, 403, 404, 429, 500, 503, 999])
_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "WWW-Authenticate": near(
            'Bearer realm="https://auth.example/token",service="reg"', 'Basic realm="r"'
        ),
        "Retry-After": near("1", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999"),
        "RateLimit-Remaining": near("76;w=21600", "0", "²"),
        "Docker-Content-Digest": near(DIGEST, "x:y", "sha256:ZZZZ"),
        "Location": near("/v2/app/manifests/v1", "https://cdn.example/m", "http://[::1"),
    },
)
_BODY = st.one_of(
    st.binary(max_size=300),
    st.builds(
        lambda token, expires, issued: json.dumps(
            {"token": token, "expires_in": expires, "issued_at": issued}
        ).encode(),
        text,
        st.one_of(st.floats(), st.integers(-(10**20), 10**20)),
        text,
    ),
    st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n),
)
_REASON = st.one_of(st.just(""), st.text(max_size=50), st.just("x" * 70_000))
_ANSWER = st.builds(Response, _STATUS, _HEADERS, _BODY, _REASON)


class Hostile:
    """Answers each request with the next drawn answer, the last one repeated."""

    def __init__(self, answers: list[Response]) -> None:
        self.answers = answers
        self.count = 0

    def __call__(self, request: Request) -> Response:
        self.count += 1
        assert self.count < 200, "a check must not ask for ever"
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Login:
    def credentials_for(self, registry_host: str) -> Credentials | None:
        return Credentials("alice", "s3cret-password")


def _login_flows(test: Any) -> Any:
    """Examples from the tables: each challenge, a token answer, then the digest."""
    tokens = seeds("token")
    for number, challenge in enumerate(seeds("challenge")):
        flow = [
            Response(401, {"WWW-Authenticate": challenge}),
            Response(200, {}, tokens[number % len(tokens)].encode()),
            Response(200, {"Docker-Content-Digest": DIGEST}),
        ]
        test = example(flow)(test)
    return test


@PROFILE
@given(st.lists(_ANSWER, min_size=1, max_size=8))
@_login_flows
def test_a_hostile_registry_gives_a_digest_or_a_registry_error(answers: list[Any]) -> None:
    registry = HttpRegistry(
        transport=MockTransport(Hostile(answers)), credentials=Login(), sleep=lambda _: None
    )
    try:
        digest = registry.digest(REF)
    except RegistryError as error:
        message = str(error)
        assert "\n" not in message and "s3cret" not in message
        assert len(message) < 2000  # hostile text is quoted short, never repeated whole
    else:
        assert digest.startswith(("sha256:", "sha512:"))
    try:
        registry.created(REF, DIGEST)
    except RegistryError as error:
        assert "s3cret" not in str(error)
