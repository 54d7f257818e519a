"""HttpRegistry's HTTP rules on a MockTransport: challenges, tokens, 429s, redirects, fallbacks.

No socket and no registry: each case is a table of answers, and the test
checks the digest (or the error) and every request the client sent, with the
login it carried.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from watchtower.errors import ConfigurationError, RateLimitedError, RegistryError
from watchtower.model import ImageRef
from watchtower.registry import (
    Credentials,
    HttpRegistry,
    MockTransport,
    Platform,
    Request,
    Response,
    RetryPolicy,
    Transport,
    TransportError,
)
from watchtower.staleness import remote_digests
from watchtower.testing import FixedClock

REG = "https://reg.example"
TOKENS = "https://auth.example/token"
DIGEST = "sha256:" + "a" * 64
MANIFEST = f"{REG}/v2/app/manifests/v1"
REF = ImageRef("reg.example", "app", "v1")
LOGIN = Credentials("alice", "s3cret")

OPEN = Response(200)
BASIC = Response(401, {"WWW-Authenticate": 'Basic realm="reg"'})
BEARER = Response(401, {"WWW-Authenticate": f'Bearer realm="{TOKENS}",service="reg"'})
FOUND = Response(200, {"Docker-Content-Digest": DIGEST})


def _token(value: str, expires_in: int = 300) -> Response:
    return Response(200, {}, json.dumps({"token": value, "expires_in": expires_in}).encode())


class Logins:
    """A credential source with one login per registry host."""

    def __init__(self, logins: Mapping[str, Credentials]) -> None:
        self.logins = dict(logins)

    def credentials_for(self, registry_host: str) -> Credentials | None:
        return self.logins.get(registry_host)


class Script:
    """Answers from a table of ``(method, URL without query)``, recording each request.

    A list of answers is used in order, its last one repeated; anything not
    in the table is a 404.
    """

    def __init__(self, table: Mapping[tuple[str, str], Response | Sequence[Response]]) -> None:
        self.table = {key: list(v) if isinstance(v, Sequence) else [v] for key, v in table.items()}
        self.seen: list[Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.seen.append(request)
            answers = self.table.get((request.method, request.url.split("?", 1)[0]))
            if not answers:
                return Response(404)
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def lines(self) -> list[str]:
        """Each request as ``METHOD URL LOGIN``: ``-``, ``Basic`` or ``Bearer <token>``."""
        return [f"{r.method} {r.url.split('?', 1)[0]} {_login(r)}" for r in self.seen]


def _login(request: Request) -> str:
    value = request.header("Authorization")
    if value is None:
        return "-"
    return "Basic" if value.startswith("Basic ") else value


def _client(
    script: Callable[[Request], Response],
    *,
    logins: Mapping[str, Credentials] | None = None,
    **options: Any,
) -> HttpRegistry:
    return HttpRegistry(
        transport=MockTransport(script),
        credentials=Logins({"reg.example": LOGIN} if logins is None else logins),
        **options,
    )


# -- the table --------------------------------------------------------------------------------


@attrs.frozen
class Case:
    """One scenario: the answers, what the check gives, and the requests it takes."""

    id: str
    table: Mapping[tuple[str, str], Response | Sequence[Response]]
    expect: str | tuple[type[Exception], str]
    requests: Sequence[str]
    logins: Mapping[str, Credentials] | None = None
    slept: Sequence[float] = ()


CASES = [
    Case(
        "anonymous registry: no login is sent",
        {("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): FOUND},
        DIGEST,
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
    Case(
        "Basic challenge: the login goes to the registry",
        {("GET", f"{REG}/v2/"): BASIC, ("HEAD", MANIFEST): FOUND},
        DIGEST,
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} Basic"],
    ),
    Case(
        "Basic challenge without a login is one clear error",
        {("GET", f"{REG}/v2/"): BASIC},
        (RegistryError, "reg.example asks for a login and none is configured"),
        ["GET https://reg.example/v2/ -"],
        logins={},
    ),
    Case(
        "Bearer challenge: the login goes to the realm, the token to the registry",
        {("GET", f"{REG}/v2/"): BEARER, ("GET", TOKENS): _token("t1"), ("HEAD", MANIFEST): FOUND},
        DIGEST,
        ["GET https://reg.example/v2/ -", f"GET {TOKENS} Basic", f"HEAD {MANIFEST} Bearer t1"],
    ),
    Case(
        "Bearer challenge without a login: an anonymous token",
        {("GET", f"{REG}/v2/"): BEARER, ("GET", TOKENS): _token("anon"), ("HEAD", MANIFEST): FOUND},
        DIGEST,
        ["GET https://reg.example/v2/ -", f"GET {TOKENS} -", f"HEAD {MANIFEST} Bearer anon"],
        logins={},
    ),
    Case(
        "a 401 on a token: a fresh token from the 401's challenge, and one retry",
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("GET", TOKENS): [_token("t1"), _token("t2")],
            ("HEAD", MANIFEST): [BEARER, FOUND],
        },
        DIGEST,
        [
            "GET https://reg.example/v2/ -",
            f"GET {TOKENS} Basic",
            f"HEAD {MANIFEST} Bearer t1",
            f"GET {TOKENS} Basic",
            f"HEAD {MANIFEST} Bearer t2",
        ],
    ),
    Case(
        "a second 401 is a refusal, not a loop",
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("GET", TOKENS): [_token("t1"), _token("t2")],
            ("HEAD", MANIFEST): BEARER,
            ("GET", MANIFEST): BEARER,
        },
        (RegistryError, "reg.example refused access to the manifest of reg.example/app:v1"),
        [
            "GET https://reg.example/v2/ -",
            f"GET {TOKENS} Basic",
            f"HEAD {MANIFEST} Bearer t1",
            f"GET {TOKENS} Basic",
            f"HEAD {MANIFEST} Bearer t2",
        ],
    ),
    Case(
        "the token server refuses the login",
        {("GET", f"{REG}/v2/"): BEARER, ("GET", TOKENS): Response(401)},
        (
            RegistryError,
            "auth.example (for reg.example) refused the configured login for "
            "repository:app:pull (401)",
        ),
        ["GET https://reg.example/v2/ -", f"GET {TOKENS} Basic"],
    ),
    Case(
        "a malformed challenge is one clear error naming the registry",
        {("GET", f"{REG}/v2/"): Response(401, {"WWW-Authenticate": 'Bearer realm="https://x'})},
        (RegistryError, "The registry reg.example sent a malformed WWW-Authenticate header"),
        ["GET https://reg.example/v2/ -"],
    ),
    Case(
        "a Bearer realm that is not an HTTP URL",
        {("GET", f"{REG}/v2/"): Response(401, {"WWW-Authenticate": 'Bearer realm="ftp://x/t"'})},
        (RegistryError, "realm 'ftp://x/t' is not an HTTP URL"),
        ["GET https://reg.example/v2/ -"],
    ),
    Case(
        "an unsupported scheme",
        {("GET", f"{REG}/v2/"): Response(401, {"WWW-Authenticate": "Negotiate abc"})},
        (RegistryError, "asks for an unsupported auth scheme (negotiate)"),
        ["GET https://reg.example/v2/ -"],
    ),
    Case(
        "a 401 without a challenge",
        {("GET", f"{REG}/v2/"): Response(401)},
        (RegistryError, "reg.example answered 401 without a WWW-Authenticate challenge"),
        ["GET https://reg.example/v2/ -"],
    ),
    Case(
        "a 429 with Retry-After is waited for, then asked again",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): [Response(429, {"Retry-After": "3"}), FOUND],
        },
        DIGEST,
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -", f"HEAD {MANIFEST} -"],
        slept=[3.0],
    ),
    Case(
        "a 429 that keeps its Retry-After: skipped after three attempts",
        {("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): Response(429, {"Retry-After": "2"})},
        (
            RateLimitedError,
            "reg.example is rate limiting (429 Too Many Requests, retry after 2s) after 3 attempts",
        ),
        ["GET https://reg.example/v2/ -"] + [f"HEAD {MANIFEST} -"] * 3,
        slept=[2.0, 2.0],
    ),
    Case(
        "a 429 without Retry-After backs off exponentially",
        {("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): Response(429)},
        (RateLimitedError, "reg.example is rate limiting (429 Too Many Requests) after 3"),
        ["GET https://reg.example/v2/ -"] + [f"HEAD {MANIFEST} -"] * 3,
        slept=[1.0, 2.0],
    ),
    Case(
        "a Retry-After beyond the bound is not waited for",
        {("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): Response(429, {"Retry-After": "60"})},
        (RateLimitedError, "retry after 60s) after 1 attempt;"),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
    Case(
        "a 429 from the token server is honoured too",
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("GET", TOKENS): [Response(429, {"Retry-After": "1"}), _token("t1")],
            ("HEAD", MANIFEST): FOUND,
        },
        DIGEST,
        [
            "GET https://reg.example/v2/ -",
            f"GET {TOKENS} Basic",
            f"GET {TOKENS} Basic",
            f"HEAD {MANIFEST} Bearer t1",
        ],
        slept=[1.0],
    ),
    Case(
        "a redirect on the same host keeps the login",
        {
            ("GET", f"{REG}/v2/"): BASIC,
            ("HEAD", MANIFEST): Response(307, {"Location": "/v2/mirror/app/manifests/v1"}),
            ("HEAD", f"{REG}/v2/mirror/app/manifests/v1"): FOUND,
        },
        DIGEST,
        [
            "GET https://reg.example/v2/ -",
            f"HEAD {MANIFEST} Basic",
            f"HEAD {REG}/v2/mirror/app/manifests/v1 Basic",
        ],
    ),
    Case(
        "a redirect to another host loses the login",
        {
            ("GET", f"{REG}/v2/"): BASIC,
            ("HEAD", MANIFEST): Response(307, {"Location": "https://cdn.example/m"}),
            ("HEAD", "https://cdn.example/m"): FOUND,
        },
        DIGEST,
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} Basic", "HEAD https://cdn.example/m -"],
    ),
    Case(
        "a redirect to another port is another origin",
        {
            ("GET", f"{REG}/v2/"): BASIC,
            ("HEAD", MANIFEST): Response(302, {"Location": "https://reg.example:8443/m"}),
            ("HEAD", "https://reg.example:8443/m"): FOUND,
        },
        DIGEST,
        [
            "GET https://reg.example/v2/ -",
            f"HEAD {MANIFEST} Basic",
            "HEAD https://reg.example:8443/m -",
        ],
    ),
    Case(
        "the login does not come back when the redirects return to the registry",
        {
            ("GET", f"{REG}/v2/"): BASIC,
            ("HEAD", MANIFEST): Response(307, {"Location": "https://cdn.example/m"}),
            ("HEAD", "https://cdn.example/m"): Response(307, {"Location": f"{REG}/v2/x"}),
            ("HEAD", f"{REG}/v2/x"): FOUND,
        },
        DIGEST,
        [
            "GET https://reg.example/v2/ -",
            f"HEAD {MANIFEST} Basic",
            "HEAD https://cdn.example/m -",
            f"HEAD {REG}/v2/x -",
        ],
    ),
    Case(
        "a token realm redirecting to another host gets no login there",
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("GET", TOKENS): Response(302, {"Location": "https://elsewhere.example/token"}),
            ("GET", "https://elsewhere.example/token"): _token("t9"),
            ("HEAD", MANIFEST): FOUND,
        },
        DIGEST,
        [
            "GET https://reg.example/v2/ -",
            f"GET {TOKENS} Basic",
            "GET https://elsewhere.example/token -",
            f"HEAD {MANIFEST} Bearer t9",
        ],
    ),
    Case(
        "a redirect from HTTPS to plain HTTP is refused",
        {
            ("GET", f"{REG}/v2/"): BASIC,
            ("HEAD", MANIFEST): Response(301, {"Location": "http://cdn.example/m"}),
        },
        (RegistryError, "reg.example redirected from HTTPS to plain HTTP (cdn.example); refusing"),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} Basic"],
    ),
    Case(
        "a redirect to an unusable location",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): Response(307, {"Location": "ftp://cdn.example/m"}),
        },
        (RegistryError, "reg.example redirected to an unusable location 'ftp://cdn.example/m'"),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
    Case(
        "endless redirects end",
        {("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): Response(307, {"Location": MANIFEST})},
        (RegistryError, "reg.example redirected more than 5 times"),
        ["GET https://reg.example/v2/ -"] + [f"HEAD {MANIFEST} -"] * 6,
    ),
    Case(
        "a HEAD without a digest falls back to GET, and the digest is the body's",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): Response(200),
            ("GET", MANIFEST): Response(200, {}, b'{"schemaVersion": 2}'),
        },
        "sha256:" + hashlib.sha256(b'{"schemaVersion": 2}').hexdigest(),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -", f"GET {MANIFEST} -"],
    ),
    *(
        Case(
            f"a Docker-Content-Digest {bad!r} is a registry error, not a reason to pull",
            {
                ("GET", f"{REG}/v2/"): OPEN,
                ("HEAD", MANIFEST): Response(200, {"Docker-Content-Digest": bad}),
            },
            (RegistryError, "which is not a digest"),
            ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
        )
        for bad in ("sha256:NOT HEX", "x:y", "sha256:ZZZZ", "sha256:" + "A" * 64, "md5:" + "a" * 32)
    ),
    Case(
        "a Retry-After of a thousand digits is a long wait, not an overflow",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): Response(429, {"Retry-After": "9" * 1000}),
        },
        (RateLimitedError, "after 1 attempt;"),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
    Case(
        "a Retry-After in superscript digits is unreadable: the default wait applies",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): [Response(429, {"Retry-After": "\u00b2"}), FOUND],
        },
        DIGEST,
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -", f"HEAD {MANIFEST} -"],
        slept=[1.0],
    ),
    Case(
        "a ratelimit-remaining in superscript digits is ignored",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): Response(
                200, {"Docker-Content-Digest": DIGEST, "RateLimit-Remaining": "\u00b2;w=1"}
            ),
        },
        DIGEST,
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
    Case(
        "a HEAD answering 500 falls back to GET",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): Response(500),
            ("GET", MANIFEST): Response(200, {}, b"{}"),
        },
        "sha256:" + hashlib.sha256(b"{}").hexdigest(),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -", f"GET {MANIFEST} -"],
    ),
    Case(
        "a 404 does not fall back",
        {("GET", f"{REG}/v2/"): OPEN},
        (RegistryError, "reg.example has no manifest of reg.example/app:v1 (404 Not Found)"),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
    Case(
        "Docker Hub's ratelimit-remaining 0 means skip, without a GET",
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): Response(
                200, {"Docker-Content-Digest": DIGEST, "RateLimit-Remaining": "0;w=21600"}
            ),
        },
        (RateLimitedError, "reg.example says no pulls are left for this login"),
        ["GET https://reg.example/v2/ -", f"HEAD {MANIFEST} -"],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_check(case: Case) -> None:
    script = Script(case.table)
    slept: list[float] = []
    registry = _client(
        script,
        logins=case.logins,
        sleep=slept.append,
        retry=RetryPolicy(attempts=3, max_wait=timedelta(seconds=30)),
    )
    if isinstance(case.expect, str):
        assert registry.digest(REF) == case.expect
    else:
        kind, message = case.expect
        with pytest.raises(kind) as caught:
            registry.digest(REF)
        assert message in str(caught.value)
    assert script.lines() == list(case.requests)
    assert slept == list(case.slept)


def test_a_rate_limited_error_carries_the_wait_asked_for() -> None:
    script = Script(
        {("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): Response(429, {"Retry-After": "3600"})}
    )
    with pytest.raises(RateLimitedError) as caught:
        _client(script).digest(REF)
    assert caught.value.retry_after == timedelta(hours=1)


def test_a_retry_after_date_is_waited_until() -> None:
    clock = FixedClock()
    when = (clock.now + timedelta(seconds=7)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    script = Script(
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): [Response(429, {"Retry-After": when}), FOUND],
        }
    )
    slept: list[float] = []
    assert _client(script, sleep=slept.append, clock=clock).digest(REF) == DIGEST
    assert slept == [7.0]


# -- tokens -----------------------------------------------------------------------------------


class TokenRegistry:
    """A Bearer registry whose token server numbers the tokens it issues; records requests."""

    def __init__(self, lifetime: int) -> None:
        self.lifetime = lifetime
        self.seen: list[Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.seen.append(request)
            if request.url == f"{REG}/v2/":
                return BEARER
            if request.url.startswith(TOKENS):
                return _token(f"t{len(self.token_requests())}", self.lifetime)
            return FOUND

    def token_requests(self) -> list[Request]:
        return [r for r in self.seen if r.url.startswith(TOKENS)]


def test_a_token_serves_every_check_of_its_repository_for_its_lifetime() -> None:
    server = TokenRegistry(lifetime=300)
    clock = FixedClock()
    registry = HttpRegistry(
        transport=MockTransport(server), credentials=Logins({"reg.example": LOGIN}), clock=clock
    )
    refs = [ImageRef("reg.example", "app", f"v{i}") for i in range(8)]
    results = remote_digests(registry, [*refs, *refs], 4)
    assert all(results[ref] == DIGEST for ref in refs)
    (asked,) = server.token_requests()
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(asked.url).query) == {
        "scope": ["repository:app:pull"],
        "service": ["reg"],
    }
    assert {r.header("Authorization") for r in server.seen if r.method == "HEAD"} == {"Bearer t1"}

    clock.advance(timedelta(seconds=289))  # within the lifetime less the 10 s margin
    registry.digest(refs[0])
    assert len(server.token_requests()) == 1
    clock.advance(timedelta(seconds=2))
    registry.digest(refs[0])
    assert len(server.token_requests()) == 2
    assert server.seen[-1].header("Authorization") == "Bearer t2"


def test_each_repository_and_login_has_its_own_token() -> None:
    server = TokenRegistry(lifetime=300)
    logins = Logins({"reg.example": LOGIN})
    registry = HttpRegistry(transport=MockTransport(server), credentials=logins)
    registry.digest(ImageRef("reg.example", "app", "v1"))
    registry.digest(ImageRef("reg.example", "other", "v1"))
    logins.logins["reg.example"] = Credentials("bob", "pw")
    registry.digest(ImageRef("reg.example", "app", "v1"))
    scopes = [
        urllib.parse.parse_qs(urllib.parse.urlsplit(r.url).query)["scope"][0]
        for r in server.token_requests()
    ]
    assert scopes == ["repository:app:pull", "repository:other:pull", "repository:app:pull"]


# -- where a login goes, and how a registry is reached ----------------------------------------


def test_an_identity_token_is_posted_to_the_realm_and_falls_back_to_basic_get() -> None:
    script = Script(
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("POST", TOKENS): Response(405),
            ("GET", TOKENS): _token("t1"),
            ("HEAD", MANIFEST): FOUND,
        }
    )
    login = Credentials("alice", "", "refresh-me")
    assert _client(script, logins={"reg.example": login}).digest(REF) == DIGEST
    assert script.lines() == [
        "GET https://reg.example/v2/ -",
        f"POST {TOKENS} -",
        f"GET {TOKENS} Basic",
        f"HEAD {MANIFEST} Bearer t1",
    ]
    post = script.seen[1]
    assert post.header("content-type") == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(post.body.decode()) == {
        "grant_type": ["refresh_token"],
        "client_id": ["watchtower"],
        "refresh_token": ["refresh-me"],
        "scope": ["repository:app:pull"],
        "service": ["reg"],
    }


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_an_identity_token_never_follows_a_redirect_to_another_host(status: int) -> None:
    script = Script(
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("POST", TOKENS): Response(status, {"Location": "https://evil.example/token"}),
            ("POST", "https://evil.example/token"): _token("stolen"),
        }
    )
    login = Credentials("alice", "", "refresh-me")
    with pytest.raises(RegistryError, match=r"redirected a login to evil\.example"):
        _client(script, logins={"reg.example": login}).digest(REF)
    assert all("evil" not in r.url for r in script.seen)


def test_an_identity_token_follows_a_redirect_on_its_own_host() -> None:
    script = Script(
        {
            ("GET", f"{REG}/v2/"): BEARER,
            ("POST", TOKENS): Response(308, {"Location": "/token2"}),
            ("POST", "https://auth.example/token2"): _token("t1"),
            ("HEAD", MANIFEST): FOUND,
        }
    )
    login = Credentials("alice", "", "refresh-me")
    assert _client(script, logins={"reg.example": login}).digest(REF) == DIGEST
    assert b"refresh-me" in script.seen[2].body


def test_no_login_goes_to_a_plain_http_realm() -> None:
    script = Script(
        {
            ("GET", f"{REG}/v2/"): Response(
                401, {"WWW-Authenticate": 'Bearer realm="http://auth.example/token"'}
            )
        }
    )
    with pytest.raises(RegistryError, match=r"plain-HTTP token realm http://auth\.example/token"):
        _client(script).digest(REF)
    assert script.lines() == ["GET https://reg.example/v2/ -"]


def _no_tls(request: Request) -> Response:
    if request.url.startswith("https://"):
        raise TransportError("The TLS handshake failed.")
    return FOUND


def _untrusted(request: Request) -> Response:
    if request.url.startswith("https://"):
        raise TransportError("The TLS certificate is not trusted.", untrusted=True)
    return FOUND


@pytest.mark.parametrize(
    ("handler", "domain", "insecure", "scheme"),
    [
        (_no_tls, "127.0.0.1:5000", (), "http"),  # loopback without TLS: plain HTTP
        (_untrusted, "127.0.0.1:5000", (), None),  # loopback with an untrusted certificate: no
        (_untrusted, "reg.example", ["reg.example"], "http"),  # marked insecure: plain HTTP
        (_no_tls, "reg.example", (), None),  # anywhere else: never plain HTTP
    ],
)
def test_plain_http_only_where_allowed(
    handler: Callable[[Request], Response],
    domain: str,
    insecure: Sequence[str],
    scheme: str | None,
) -> None:
    seen: list[Request] = []

    def record(request: Request) -> Response:
        seen.append(request)
        return handler(request)

    registry = _client(record, insecure_registries=insecure)
    ref = ImageRef(domain, "app", "v1")
    if scheme is None:
        with pytest.raises(TransportError):
            registry.digest(ref)
        assert [r.url for r in seen] == [f"https://{domain}/v2/"]
    else:
        assert registry.digest(ref) == DIGEST
        assert seen[-1].url == f"{scheme}://{domain}/v2/app/manifests/v1"


def test_certificates_are_checked_except_for_insecure_registries() -> None:
    script = Script(
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("HEAD", MANIFEST): FOUND,
            ("GET", "https://other.example/v2/"): OPEN,
            ("HEAD", "https://other.example/v2/app/manifests/v1"): FOUND,
        }
    )
    registry = _client(script, insecure_registries=["reg.example"])
    registry.digest(REF)
    registry.digest(ImageRef("other.example", "app", "v1"))
    assert [(r.url.split("/")[2], r.verify) for r in script.seen] == [
        ("reg.example", False),
        ("reg.example", False),
        ("other.example", True),
        ("other.example", True),
    ]


def test_every_request_says_who_sends_it() -> None:
    script = Script({("GET", f"{REG}/v2/"): OPEN, ("HEAD", MANIFEST): FOUND})
    _client(script).digest(REF)
    assert all(
        (r.header("User-Agent") or "").startswith("watchtower-updater/") for r in script.seen
    )


# -- image age --------------------------------------------------------------------------------


def _blob(document: object) -> tuple[bytes, str]:
    body = json.dumps(document).encode()
    return body, "sha256:" + hashlib.sha256(body).hexdigest()


def test_created_reads_the_config_of_the_clients_platform() -> None:
    amd_config, amd_config_digest = _blob({"created": "2025-01-01T00:00:00Z"})
    arm_config, arm_config_digest = _blob({"created": "2025-02-02T00:00:00.5Z"})
    amd, amd_digest = _blob({"config": {"digest": amd_config_digest}})
    arm, arm_digest = _blob({"config": {"digest": arm_config_digest}})
    index, index_digest = _blob(
        {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"digest": amd_digest, "platform": {"os": "linux", "architecture": "amd64"}},
                {"digest": arm_digest, "platform": {"os": "linux", "architecture": "arm64"}},
            ],
        }
    )
    blobs = {
        index_digest: index,
        amd_digest: amd,
        arm_digest: arm,
        amd_config_digest: amd_config,
        arm_config_digest: arm_config,
    }
    script = Script(
        {("GET", f"{REG}/v2/"): OPEN}
        | {
            (
                "GET",
                f"{REG}/v2/app/{'manifests' if b in (index, amd, arm) else 'blobs'}/{d}",
            ): Response(200, {}, b)
            for d, b in blobs.items()
        }
    )
    registry = _client(script, platform=Platform.parse("linux/arm64"))
    assert registry.created(REF, index_digest) == datetime(
        2025, 2, 2, 0, 0, 0, 500000, tzinfo=timezone.utc
    )
    assert [r.url.rsplit("/", 2)[1] for r in script.seen[1:]] == ["manifests"] * 2 + ["blobs"]


def test_content_that_does_not_match_its_digest_is_refused() -> None:
    _, digest = _blob({"config": {}})
    script = Script(
        {
            ("GET", f"{REG}/v2/"): OPEN,
            ("GET", f"{REG}/v2/app/manifests/{digest}"): Response(200, {}, b"{}"),
        }
    )
    with pytest.raises(RegistryError, match=f"The manifest {digest} of .* does not match"):
        _client(script).created(REF, digest)


# -- the seam ---------------------------------------------------------------------------------


def test_a_mock_transport_is_a_transport() -> None:
    assert isinstance(MockTransport(lambda request: OPEN), Transport)


def test_response_header_names_are_case_insensitive() -> None:
    response = Response(200, {"Docker-Content-Digest": DIGEST})
    assert response.headers == {"docker-content-digest": DIGEST}
    assert Request("GET", REG, {"Accept": "x"}).header("ACCEPT") == "x"


def test_a_transport_excludes_the_default_transports_options() -> None:
    with pytest.raises(ConfigurationError, match="either a transport or ca_bundle, timeout"):
        HttpRegistry(
            transport=MockTransport(lambda request: OPEN), ca_bundle="/etc/ca.pem", timeout=3
        )


def test_a_client_on_a_mock_transport_never_imports_requests() -> None:
    code = """
import sys
from watchtower.model import ImageRef
from watchtower.registry import HttpRegistry, MockTransport, Response
digest = "sha256:" + "a" * 64
registry = HttpRegistry(transport=MockTransport(
    lambda request: Response(200, {"Docker-Content-Digest": digest})))
assert registry.digest(ImageRef("reg.example", "app", "v1")) == digest
sys.exit(1 if "requests" in sys.modules else 0)
"""
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_request_keeps_its_login_out_of_repr() -> None:
    request = Request(
        "POST", TOKENS, {"Authorization": "Basic czNjcmV0", "Accept": "x"}, b"refresh_token=s3cret"
    )
    assert "czNjcmV0" not in repr(request) and "s3cret" not in repr(request)
    assert "'Accept': 'x'" in repr(request)
