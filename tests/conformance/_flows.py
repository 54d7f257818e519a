"""Shared by the ports of the fork's registry flows: a scripted registry and the check.

Each Go case becomes a :class:`Flow`: the registry's answers to
:class:`~watchtower.registry.HttpRegistry` on a
:class:`~watchtower.registry.MockTransport`, the requests expected (with
their logins) and what the client concludes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from attrs import field, frozen

from tests.conformance.deviations import deviation
from watchtower import InvalidReferenceError, parse_reference
from watchtower.errors import RateLimitedError, RegistryError
from watchtower.registry import DockerCredentials, HttpRegistry, MockTransport, Request, Response

AUTH = "nicholas-fedor/watchtower pkg/registry/auth/auth_test.go"
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


IMAGE = "registry.example.com/test/image:latest"


def same_to_all(answer: Answer, head: Answer | None = None) -> dict[str, Answer]:
    """A registry that lets anyone in and answers every manifest request alike."""
    answers: dict[str, Answer] = {f"GET {REG}/v2/": Response(200, {}), f"* {REG}{MANIFEST}": answer}
    if head is not None:
        answers[f"HEAD {REG}{MANIFEST}"] = head
    return answers


def check(flow: Flow) -> None:
    """The client concludes as the Go case (or its listed deviation), by the requests expected."""
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
