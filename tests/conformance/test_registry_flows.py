"""The fork's pkg/registry auth and digest flows, each as a request sequence and an answer.

Sources: nicholas-fedor/watchtower pkg/registry/auth/auth_test.go (GetToken
and the handle* helpers), pkg/registry/auth/registry_test.go
(Test_extractChallengeHost) and pkg/registry/digest/digest_test.go
(TestNormalizeDigest, TestCompareDigest, TestFetchDigest,
TestHandleManifestResponse, TestExtractHeadDigest, TestExtractGetDigest).
The fork tests helpers one by one; here each case is the registry's answers
to :class:`~watchtower.registry.HttpRegistry` on a
:class:`~watchtower.registry.MockTransport`, and the test checks what the
client asked, with which login, and what it concluded. Cases that test the
fork's internal bookkeeping (TokenResult fields, the retry URL of
HandleManifestResponse's 401 cases, manifest size limits, FormatDigest's
re-added prefix: we never strip it) have no counterpart here.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import pytest
from attrs import field, frozen

from tests.conformance.deviations import deviation
from watchtower import InvalidReferenceError, parse_reference
from watchtower.errors import RateLimitedError, RegistryError
from watchtower.model import Image
from watchtower.registry import (
    DockerCredentials,
    HttpRegistry,
    MockTransport,
    Request,
    Response,
    TransportError,
)

AUTH = "nicholas-fedor/watchtower pkg/registry/auth/auth_test.go"
CHALLENGE = "nicholas-fedor/watchtower pkg/registry/auth/registry_test.go"
DIGEST = "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go"

A = "sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890"
D = "sha256:" + "d" * 64
HUB = "https://registry-1.docker.io"
REG = "https://registry.example.com"
MANIFEST = "/v2/test/image/manifests/latest"
BASIC = "Basic dXNlcjpzZWNyZXQ="  # user:secret
V2_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"

Answer = Response | Exception


def ok(digest: str | None = D, body: bytes = b"", content_type: str | None = None) -> Response:
    headers = {}
    if digest is not None:
        headers["docker-content-digest"] = digest
    if content_type is not None:
        headers["content-type"] = content_type
    return Response(200, headers, body)


def challenge(status: int, header: str) -> Response:
    return Response(status, {"www-authenticate": header})


def redirect(location: str, status: int = 307) -> Response:
    return Response(status, {"location": location})


def token(value: str) -> Response:
    return Response(
        200, {"content-type": "application/json"}, json.dumps({"token": value}).encode()
    )


def bearer(realm: str, service: str) -> Response:
    return challenge(401, f'Bearer realm="{realm}",service="{service}"')


@frozen
class Flow:
    """One Go case as answers: ``"METHOD url"`` (query left out) to the registry's answer.

    ``sent`` is the request sequence expected, each ``"METHOD url Authorization"``
    (``-`` for none); None where only the answer is checked.
    """

    test: str
    case: str
    image: str
    answers: Mapping[str, Answer]
    expected: str
    sent: tuple[str, ...] | None = None
    login: bool = False
    source: str = field(default=AUTH, kw_only=True)


class Script:
    """A registry that answers from a table and records what it was asked."""

    def __init__(self, answers: Mapping[str, Answer]) -> None:
        self.answers = answers
        self.seen: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.seen.append(request)
        key = f"{request.method} {request.url.split('?')[0].split('#')[0]}"
        answer = self.answers.get(key, self.answers.get(f"* {key.split(' ', 1)[1]}"))
        assert answer is not None, f"unexpected request {key}"
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sent(self) -> tuple[str, ...]:
        return tuple(f"{r.method} {r.url} {r.headers.get('Authorization', '-')}" for r in self.seen)


def run(flow: Flow) -> tuple[str, Script]:
    """What the client concluded (a digest, ``error`` or ``rate limited``), and the script."""
    script = Script(flow.answers)
    environ = {"REPO_USER": "user", "REPO_PASS": "secret"} if flow.login else {}
    client = HttpRegistry(
        transport=MockTransport(script),
        credentials=DockerCredentials(Path("/nonexistent"), environ=environ),
        sleep=lambda seconds: None,
    )
    try:
        found = client.digest(parse_reference(flow.image))
    except InvalidReferenceError:
        return "invalid reference", script
    except RateLimitedError:
        return "rate limited", script
    except RegistryError:
        return "error", script
    bodies = [a.body for a in flow.answers.values() if isinstance(a, Response) and a.body]
    if any(found == "sha256:" + hashlib.sha256(body).hexdigest() for body in bodies):
        return "the hash of the manifest", script
    return found, script


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


IMAGE = "registry.example.com/test/image:latest"
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


def _same_to_all(answer: Answer, head: Answer | None = None) -> dict[str, Answer]:
    """A registry that lets anyone in and answers every manifest request alike."""
    answers: dict[str, Answer] = {f"GET {REG}/v2/": Response(200, {}), f"* {REG}{MANIFEST}": answer}
    if head is not None:
        answers[f"HEAD {REG}{MANIFEST}"] = head
    return answers


MANIFEST_BODY = json.dumps({"digest": A}).encode()
FLOW_TOO_MANY = Response(429, {"retry-after": "2"}, b"toomanyrequests")

DIGEST_FLOWS = [
    # FetchDigest: the fork's test server answers every method alike.
    Flow(
        "TestFetchDigest",
        "extracts digest from GET response header",
        IMAGE,
        _same_to_all(ok(A, b'{"schemaVersion":2}', V2_MANIFEST)),
        A,
        source=DIGEST,
    ),
    Flow(
        "TestFetchDigest",
        "extracts digest from GET response JSON body",
        IMAGE,
        _same_to_all(ok(None, MANIFEST_BODY, V2_MANIFEST)),
        A,
        source=DIGEST,
    ),
    Flow(
        "TestFetchDigest",
        "extracts digest from plain text body",
        IMAGE,
        _same_to_all(ok(None, A.encode(), "text/plain")),
        A,
        source=DIGEST,
    ),
    Flow(
        "TestFetchDigest",
        "returns error when no digest header and empty body",
        IMAGE,
        _same_to_all(ok(None)),
        "error",
        source=DIGEST,
    ),
    # HandleManifestResponse
    Flow(
        "TestHandleManifestResponse",
        "successful HEAD 200 without digest header returns error",
        IMAGE,
        _same_to_all(ok(None)),
        "error",
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "successful GET 200 returns digest from header",
        IMAGE,
        _same_to_all(ok(A), head=Response(500, {})),
        A,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -", f"GET {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "HEAD 404 returns error without retry",
        IMAGE,
        _same_to_all(Response(404, {})),
        "error",
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "GET 404 returns error without retry",
        IMAGE,
        _same_to_all(Response(404, {}), head=Response(500, {})),
        "error",
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -", f"GET {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "3xx redirect updates URL host",
        IMAGE,
        {
            f"GET {REG}/v2/": Response(200, {}),
            f"HEAD {REG}{MANIFEST}": redirect(f"https://new-registry.example.com{MANIFEST}", 301),
            f"HEAD https://new-registry.example.com{MANIFEST}": ok(),
        },
        D,
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "HEAD 429 returns rate-limit error without GET fallback",
        IMAGE,
        _same_to_all(FLOW_TOO_MANY),
        "rate limited",
        (f"GET {REG}/v2/ -",) + (f"HEAD {REG}{MANIFEST} -",) * 3,
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "GET 429 returns rate-limit error",
        IMAGE,
        _same_to_all(FLOW_TOO_MANY, head=Response(500, {})),
        "rate limited",
        source=DIGEST,
    ),
    # ExtractHeadDigest: a HEAD without a usable digest is asked again with GET.
    Flow(
        "TestExtractHeadDigest",
        "extracts digest from Docker-Content-Digest header",
        IMAGE,
        _same_to_all(ok(A)),
        A,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestExtractHeadDigest",
        "returns error when Docker-Content-Digest header is missing",
        IMAGE,
        _same_to_all(ok(None)),
        "error",
        source=DIGEST,
    ),
    Flow(
        "TestExtractHeadDigest",
        "includes www-authenticate header in error for 401",
        IMAGE,
        {
            **_same_to_all(bearer("https://auth.example.com/token", "registry.example.com")),
            "GET https://auth.example.com/token": Response(401, {}),
        },
        "error",
        source=DIGEST,
    ),
    Flow(
        "TestExtractHeadDigest",
        "normalizes sha256 prefix from header",
        IMAGE,
        _same_to_all(ok("sha256:abc")),
        "sha256:abc",
        source=DIGEST,
    ),
    # ExtractGetDigest: the HEAD fails, so that the GET is what decides.
    *(
        Flow(
            "TestExtractGetDigest",
            case,
            IMAGE,
            _same_to_all(get, head=Response(500, {})),
            expected,
            source=DIGEST,
        )
        for case, get, expected in [
            ("extracts digest from response header", ok(A), A),
            (
                "extracts digest from JSON manifest body with valid content type",
                ok(None, MANIFEST_BODY, V2_MANIFEST),
                A,
            ),
            (
                "returns error when JSON body has empty digest field",
                ok(None, b'{"digest":""}', "application/vnd.oci.image.manifest.v1+json"),
                "error",
            ),
            (
                "rejects JSON body with unsupported content type",
                ok(None, b'{"digest":"sha256:abc"}', "text/plain"),
                "error",
            ),
            (
                "extracts digest from plain text body starting with sha256",
                ok(None, A.encode(), "text/plain"),
                A,
            ),
            (
                "returns error when body is too short for plain text digest",
                ok(None, b"sha256:abc", "text/plain"),
                "error",
            ),
            ("returns error when body is empty", ok(None), "error"),
            ("returns error when body is whitespace only", ok(None, b"   \n\t  "), "error"),
            (
                "returns error when body is invalid JSON without sha256 prefix",
                ok(None, b"not json", "application/json"),
                "error",
            ),
            (
                "returns error when reading body fails",
                TransportError("The connection was reset while reading the answer."),
                "error",
            ),
        ]
    ),
]


@pytest.mark.parametrize(
    "flow", AUTH_FLOWS + DIGEST_FLOWS, ids=[f"{f.test}:{f.case}" for f in AUTH_FLOWS + DIGEST_FLOWS]
)
def test_flow(flow: Flow) -> None:
    outcome, script = run(flow)
    marked = deviation(flow.source, flow.test, flow.case)
    if marked is not None:
        assert (marked.theirs, outcome) == (flow.expected, marked.ours)
    else:
        assert outcome == flow.expected
    if flow.sent is not None:
        assert script.sent() == flow.sent
    for request in script.seen:  # a login never leaves its host, nor goes over plain HTTP
        if "Authorization" in request.headers:
            assert request.url.startswith("https://") and "evil" not in request.url


# TestCompareDigest: the container's repo digests against the registry's answer.
# (case, local repo digests, answers, up to date). "returns error when container has
# no image info" has no counterpart: a container here always has its image; a locally
# built image (no repo digests) never reaches the registry (tests/core/test_staleness.py).
COMPARE = [
    (
        "matching digests via HEAD request",
        [f"registry.example.com/test/image@{A}"],
        _same_to_all(ok(A)),
        True,
    ),
    (
        "non-matching digests via HEAD request",
        [f"registry.example.com/test/image@sha256:{'a' * 64}"],
        _same_to_all(ok("sha256:" + "b" * 64)),
        False,
    ),
    (
        "falls back to GET when HEAD returns non-2xx without 404",
        [f"registry.example.com/test/image@{A}"],
        _same_to_all(ok(A), head=Response(500, {})),
        True,
    ),
]


@pytest.mark.parametrize(
    ("case", "local", "answers", "current"), COMPARE, ids=[c[0] for c in COMPARE]
)
def test_compare_digest(
    case: str, local: list[str], answers: dict[str, Answer], current: bool
) -> None:
    remote, _ = run(Flow("TestCompareDigest", case, IMAGE, answers, "", source=DIGEST))
    assert Image("sha256:" + "1" * 64, tuple(local)).has_digest(remote) is current


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


# TestNormalizeDigest: the form digests are compared in. A local ``repo@<normalised>``
# matches the digest exactly when the normalised form is not empty. (case, digest, normalised)
NORMALIZE_DIGEST = [
    ("strips sha256 prefix", A, A.removeprefix("sha256:")),
    ("returns unchanged when no prefix matches", "md5:abc123", "md5:abc123"),
    ("empty string returns empty", "", ""),
    ("sha512 prefix is not stripped", "sha512:" + "ab" * 64, "sha512:" + "ab" * 64),
    ("sha256 prefix with short value", "sha256:abc", "abc"),
    ("sha256 colon only", "sha256:", ""),
]


@pytest.mark.parametrize(
    ("case", "digest", "normalised"), NORMALIZE_DIGEST, ids=[c[0] for c in NORMALIZE_DIGEST]
)
def test_normalize_digest(case: str, digest: str, normalised: str) -> None:
    image = Image("sha256:" + "1" * 64, (f"repo@{normalised}",))
    assert image.has_digest(digest) is bool(normalised)
