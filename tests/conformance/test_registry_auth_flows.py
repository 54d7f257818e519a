"""The fork's registry auth flows, each as a request sequence and an answer.

Sources: nicholas-fedor/watchtower pkg/registry/auth/auth_test.go (GetToken
and the handle* helpers) and pkg/registry/auth/registry_test.go
(Test_extractChallengeHost) and pkg/registry/auth/bearer_test.go
(Test_resolveService), run as registry answers to the client
(tests/conformance/_flows.py). The fork tests its helpers one by one; what
is checked here is what the client asked, with which login, and what it
concluded. The TokenResult fields the helpers return have no counterpart.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from tests.conformance._flows import (
    BASIC,
    HUB,
    IMAGE,
    MANIFEST,
    REG,
    Answer,
    D,
    Flow,
    bearer,
    challenge,
    check,
    ok,
    redirect,
    token,
)
from watchtower import parse_reference
from watchtower.errors import RegistryError
from watchtower.registry import (
    DockerCredentials,
    HttpRegistry,
    MockTransport,
    Request,
    Response,
    TransportError,
)


def _hub_token_flow() -> dict[str, Answer]:
    return {
        f"GET {HUB}/v2/": bearer("https://index.docker.io/token", "index.docker.io"),
        "GET https://index.docker.io/token": Response(
            200, {}, b'{"token":"test-token","expires_in":3600}'
        ),
        f"HEAD {HUB}{MANIFEST}": ok(),
    }


def _bearer_flow(host: str, token_answer: Answer) -> dict[str, Answer]:
    return {
        f"GET https://{host}/v2/": bearer(f"https://{host}/token", host),
        f"GET https://{host}/token": token_answer,
        f"HEAD https://{host}{MANIFEST}": ok(),
    }


def _basic_flow() -> dict[str, Answer]:
    return {f"GET {REG}/v2/": challenge(401, 'Basic realm="test"'), f"HEAD {REG}{MANIFEST}": ok()}


def _redirected_basic(target: str) -> dict[str, Answer]:
    """The registry sends its challenge, then the manifest request, on to ``target``."""
    return {
        f"GET {REG}/v2/": challenge(401, 'Basic realm="test"'),
        f"HEAD {REG}{MANIFEST}": redirect(f"{target}{MANIFEST}"),
        f"HEAD {target}{MANIFEST}": challenge(401, 'Basic realm="test"'),
    }


HUB_SCOPE = "scope=repository%3Atest%2Fimage%3Apull"

AUTH_FLOWS = [
    # GetToken
    Flow(
        "TestGetToken",
        "no-pull container returns error on empty image name",
        "",
        {},
        "invalid reference",
        (),
    ),
    Flow(
        "TestGetToken",
        "localhost registry returns success with empty token",
        "localhost:5000/test/image:latest",
        {
            "GET https://localhost:5000/v2/": Response(200, {}),
            f"HEAD https://localhost:5000{MANIFEST}": ok(),
        },
        D,
        ("GET https://localhost:5000/v2/ -", f"HEAD https://localhost:5000{MANIFEST} -"),
    ),
    Flow(
        "TestGetToken",
        "successful token fetch",
        "test/image:latest",
        _hub_token_flow(),
        D,
        (
            f"GET {HUB}/v2/ -",
            f"GET https://index.docker.io/token?{HUB_SCOPE}&service=index.docker.io -",
            f"HEAD {HUB}{MANIFEST} Bearer test-token",
        ),
    ),
    Flow(
        "TestGetToken",
        "client Do error returns wrapped error",
        "test/image:latest",
        {f"GET {HUB}/v2/": TransportError("The connection was refused.")},
        "error",
    ),
    Flow(
        "TestGetToken",
        "challenge 429 returns rate-limit error",
        "test/image:latest",
        {f"GET {HUB}/v2/": Response(429, {"retry-after": "7200"}, b"toomanyrequests")},
        "rate limited",
        (f"GET {HUB}/v2/ -",),  # two hours is past the wait allowed: no retry
    ),
    # processChallengeResponse
    Flow(
        "Test_processChallengeResponse",
        "401 with bearer challenge routes to bearer auth",
        "challenge.test.com/test/image:latest",
        _bearer_flow("challenge.test.com", token("test-token")),
        D,
        (
            "GET https://challenge.test.com/v2/ -",
            f"GET https://challenge.test.com/token?{HUB_SCOPE}&service=challenge.test.com -",
            f"HEAD https://challenge.test.com{MANIFEST} Bearer test-token",
        ),
    ),
    Flow(
        "Test_processChallengeResponse",
        "200 with empty auth header returns success",
        IMAGE,
        {f"GET {REG}/v2/": Response(200, {}), f"HEAD {REG}{MANIFEST}": ok()},
        D,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -"),
    ),
    Flow(
        "Test_processChallengeResponse",
        "401 with basic auth challenge",
        IMAGE,
        _basic_flow(),
        D,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} {BASIC}"),
        login=True,
    ),
    Flow(
        "Test_processChallengeResponse",
        "cross-origin redirect with basic auth challenge returns error",
        IMAGE,
        _redirected_basic("https://evil.example.com"),
        "error",
        (
            f"GET {REG}/v2/ -",
            f"HEAD {REG}{MANIFEST} {BASIC}",
            f"HEAD https://evil.example.com{MANIFEST} -",  # the login stays behind
        ),
        login=True,
    ),
    Flow(
        "Test_processChallengeResponse",
        "same-host https to http downgrade with basic auth challenge returns error",
        IMAGE,
        _redirected_basic("http://registry.example.com"),
        "error",
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} {BASIC}"),  # plain HTTP is never asked
        login=True,
    ),
    # handleBasicAuthChallenge
    Flow(
        "Test_handleBasicAuthChallenge",
        "valid registry auth returns token result",
        IMAGE,
        _basic_flow(),
        D,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} {BASIC}"),
        login=True,
    ),
    Flow(
        "Test_handleBasicAuthChallenge",
        "empty registry auth returns error",
        IMAGE,
        _basic_flow(),
        "error",
        (f"GET {REG}/v2/ -",),
    ),
    Flow(
        "Test_handleBasicAuthChallenge",
        "cross-origin redirect returns error",
        IMAGE,
        _redirected_basic("https://evil.example.com"),
        "error",
        (
            f"GET {REG}/v2/ -",
            f"HEAD {REG}{MANIFEST} {BASIC}",
            f"HEAD https://evil.example.com{MANIFEST} -",
        ),
        login=True,
    ),
    Flow(
        "Test_handleBasicAuthChallenge",
        "same-host https redirect returns token result",
        IMAGE,
        {
            f"GET {REG}/v2/": challenge(401, 'Basic realm="test"'),
            f"HEAD {REG}{MANIFEST}": redirect(f"{REG}/v2/test/image/manifests/moved"),
            f"HEAD {REG}/v2/test/image/manifests/moved": ok(),
        },
        D,
        (
            f"GET {REG}/v2/ -",
            f"HEAD {REG}{MANIFEST} {BASIC}",
            f"HEAD {REG}/v2/test/image/manifests/moved {BASIC}",
        ),
        login=True,
    ),
    Flow(
        "Test_handleBasicAuthChallenge",
        "same-host https to http downgrade returns error",
        IMAGE,
        _redirected_basic("http://registry.example.com"),
        "error",
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} {BASIC}"),
        login=True,
    ),
    # handleUnsupportedChallenge: with no login, neither challenge can be answered.
    Flow(
        "Test_handleUnsupportedChallenge",
        "basic challenge returns error",
        IMAGE,
        {f"GET {REG}/v2/": challenge(401, 'basic realm="test"')},
        "error",
    ),
    Flow(
        "Test_handleUnsupportedChallenge",
        "empty challenge returns error",
        IMAGE,
        {f"GET {REG}/v2/": challenge(401, "")},
        "error",
    ),
    # handleEmptyAuthHeader
    Flow(
        "Test_handleEmptyAuthHeader",
        "401 without WWW-Authenticate returns no credentials error",
        IMAGE,
        {f"GET {REG}/v2/": Response(401, {})},
        "error",
    ),
    Flow(
        "Test_handleEmptyAuthHeader",
        "non-200 without WWW-Authenticate returns unexpected status error",
        IMAGE,
        {f"GET {REG}/v2/": Response(500, {})},
        "error",
    ),
    # handleSuccessfulChallenge
    Flow(
        "Test_handleSuccessfulChallenge",
        "non-redirected response",
        IMAGE,
        {f"GET {REG}/v2/": Response(200, {}), f"HEAD {REG}{MANIFEST}": ok()},
        D,
    ),
    Flow(
        "Test_handleSuccessfulChallenge",
        "redirected response",
        IMAGE,
        {
            f"GET {REG}/v2/": redirect("https://new-host.example.com/v2/"),
            "GET https://new-host.example.com/v2/": Response(200, {}),
            f"HEAD {REG}{MANIFEST}": ok(),
        },
        D,
    ),
    # handleBearerAuth
    Flow(
        "Test_handleBearerAuth",
        "successful bearer auth",
        "success.test.com/test/image:latest",
        _bearer_flow("success.test.com", token("test-token")),
        D,
    ),
    Flow(
        "Test_handleBearerAuth",
        "client Do error returns wrapped error",
        "error.test.com/test/image:latest",
        _bearer_flow("error.test.com", TransportError("The connection was reset.")),
        "error",
    ),
    Flow(
        "Test_handleBearerAuth",
        "empty token returns error",
        "empty.test.com/test/image:latest",
        _bearer_flow("empty.test.com", token("")),
        "error",
    ),
]


@pytest.mark.parametrize("flow", AUTH_FLOWS, ids=[f"{f.test}:{f.case}" for f in AUTH_FLOWS])
def test_flow(flow: Flow) -> None:
    check(flow)


# Test_extractChallengeHost: the host a Bearer realm names is where the token is asked;
# a realm that names none is refused. (case, realm, host)
CHALLENGE_HOST = [
    ("https URL with path", "https://ghcr.io/token", "ghcr.io"),
    ("http URL with path", "http://localhost:5000/token", "localhost:5000"),
    ("URL with trailing slash", "https://registry.example.com/token/", "registry.example.com"),
    ("URL without path", "https://ghcr.io", "ghcr.io"),
    (
        "URL with port number",
        "https://registry.example.com:5000/token",
        "registry.example.com:5000",
    ),
    ("URL with query parameters returns host only", "https://ghcr.io/token?foo=bar", "ghcr.io"),
    ("URL with fragment returns host only", "https://ghcr.io/token#section", "ghcr.io"),
    ("unsupported scheme returns empty", "ftp://ghcr.io/token", ""),
    ("invalid URL returns empty", "not-a-url", ""),
    ("realm without scheme returns empty", "ghcr.io/token", ""),
    ("empty realm returns empty", "", ""),
]


@pytest.mark.parametrize(
    ("case", "realm", "host"), CHALLENGE_HOST, ids=[c[0] for c in CHALLENGE_HOST]
)
def test_extract_challenge_host(case: str, realm: str, host: str) -> None:
    asked: list[str] = []

    def registry(request: Request) -> Response:
        parts = urllib.parse.urlsplit(request.url)
        if parts.path == "/v2/":
            return bearer(realm, "registry.example.com")
        if parts.path == MANIFEST:
            return ok()
        asked.append(parts.netloc)
        return token("t")

    client = HttpRegistry(
        transport=MockTransport(registry),
        credentials=DockerCredentials(Path("/nonexistent"), environ={}),
    )
    if not host:
        with pytest.raises(RegistryError, match="is not an HTTP URL"):
            client.digest(parse_reference(IMAGE))
        return
    assert client.digest(parse_reference(IMAGE)) == D
    assert asked == [host]


# Test_resolveService: the service sent to the token server is the challenge's, or, when the
# challenge names none, its realm's host. (case, challenge's service or None, service sent)
RESOLVE_SERVICE = [
    ("returns service when present", "ghcr.io", "ghcr.io"),
    ("derives service from realm when service is empty", None, "auth.example.com:5001"),
]


@pytest.mark.parametrize(
    ("case", "service", "sent"), RESOLVE_SERVICE, ids=[c[0] for c in RESOLVE_SERVICE]
)
def test_resolve_service(case: str, service: str | None, sent: str) -> None:
    realm = "https://auth.example.com:5001/token"
    asked: list[dict[str, list[str]]] = []

    def registry(request: Request) -> Response:
        parts = urllib.parse.urlsplit(request.url)
        if parts.path == "/v2/":
            if service is None:
                return challenge(401, f'Bearer realm="{realm}"')
            return bearer(realm, service)
        if parts.path == MANIFEST:
            return ok()
        asked.append(urllib.parse.parse_qs(parts.query))
        return token("t")

    client = HttpRegistry(
        transport=MockTransport(registry),
        credentials=DockerCredentials(Path("/nonexistent"), environ={}),
    )
    assert client.digest(parse_reference(IMAGE)) == D
    assert [query.get("service") for query in asked] == [[sent]], case
