"""The fork's pkg/registry tests: API consumption, digests, challenges, registry addresses.

Sources: nicholas-fedor/watchtower pkg/registry/registry_test.go
TestWarnOnAPIConsumption, against how loudly ``auto`` logs a failed digest
check (:func:`watchtower.staleness._head_failure_level`); and
pkg/registry/digest/digest_test.go TestDigestsMatch, against
:meth:`watchtower.model.Image.has_digest`; pkg/registry/auth/registry_test.go
Test_parseChallenge and TestGetRegistryAddress, against the registry client's
challenge parser and host rules.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conformance.deviations import deviation
from watchtower import InvalidReferenceError, parse_reference
from watchtower.model import Image
from watchtower.registry import (
    DockerCredentials,
    HttpRegistry,
    MockTransport,
    Request,
    Response,
    TransportError,
)
from watchtower.registry._challenge import MalformedChallengeError, parse_challenges
from watchtower.registry._hosts import is_docker_hub, registry_of
from watchtower.staleness import _head_failure_level

SOURCE = "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go"

WARN_ON_API_CONSUMPTION = [
    ("ghcr.io image", "ghcr.io/nicholas-fedor/watchtower", True),
    ("implicit docker hub image", "docker:latest", True),
    ("explicit index.docker.io image", "index.docker.io/docker:latest", True),
    ("explicit docker.io image", "docker.io/docker:latest", True),
    ("other registry fsf.org", "docker.fsf.org/docker:latest", False),
    ("other registry altavista.com", "altavista.com/docker:latest", False),
    ("other registry gitlab.com", "gitlab.com/docker:latest", False),
]


@pytest.mark.parametrize(
    ("case", "image", "warns"), WARN_ON_API_CONSUMPTION, ids=[c[0] for c in WARN_ON_API_CONSUMPTION]
)
def test_warn_on_api_consumption(case: str, image: str, warns: bool) -> None:
    level = _head_failure_level(parse_reference(image), "auto")
    assert level == (logging.WARNING if warns else logging.DEBUG)


A = "abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890"
DIGESTS_MATCH = [
    ("matching digest with sha256 prefix on remote", [f"repo@sha256:{A}"], f"sha256:{A}", True),
    ("matching digest with sha256 prefix on local only", [f"repo@sha256:{A}"], A, True),
    ("matching digest with sha256 prefix on both", [f"repo@sha256:{A}"], f"sha256:{A}", True),
    ("non-matching digests", [f"repo@sha256:{'a' * 64}"], f"sha256:{'b' * 64}", False),
    ("empty local digests returns false", [], "sha256:abc", False),
    (
        "multiple local digests with one match",
        [f"repo@sha256:{'a' * 64}", f"repo@sha256:{'b' * 64}", f"repo@sha256:{A}"],
        A,
        True,
    ),
    ("digest with empty repo prefix", [f"@sha256:{A}"], A, True),
    ("skips malformed digest without @ separator", [f"sha256:{A}"], A, False),
    ("mixed malformed and valid digests", [f"sha256:{'A' * 64}", f"repo@sha256:{A}"], A, True),
    ("empty remote digest", ["repo@sha256:abc"], "", False),
]


@pytest.mark.parametrize(
    ("case", "local", "remote", "match"), DIGESTS_MATCH, ids=[c[0] for c in DIGESTS_MATCH]
)
def test_digests_match(case: str, local: list[str], remote: str, match: bool) -> None:
    assert Image("sha256:" + "1" * 64, tuple(local)).has_digest(remote) is match


# pkg/registry/auth/registry_test.go Test_parseChallenge: a Bearer challenge's realm, service
# and scope; what cannot be read gives none of them.
PARSE_CHALLENGE = [
    (
        "valid challenge with all fields",
        'bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/repo:pull"',
        ("https://ghcr.io/token", "ghcr.io", "repository:user/repo:pull"),
    ),
    (
        "valid challenge with realm and service only",
        'bearer realm="https://ghcr.io/token",service="ghcr.io"',
        ("https://ghcr.io/token", "ghcr.io", ""),
    ),
    (
        "uppercase bearer prefix",
        'BEARER realm="https://ghcr.io/token",service="ghcr.io"',
        ("https://ghcr.io/token", "ghcr.io", ""),
    ),
    (
        "mixed-case parameter keys preserve value casing",
        'bearer Realm="https://ghcr.io/token",Service="ghcr.io",Scope="repository:user/repo:pull"',
        ("https://ghcr.io/token", "ghcr.io", "repository:user/repo:pull"),
    ),
    (
        "mixed-case parameter keys with mixed-case values preserve casing",
        'bearer Realm="https://GHCR.IO/token",Service="GHCR.IO",Scope="repository:User/Repo:Pull"',
        ("https://GHCR.IO/token", "GHCR.IO", "repository:User/Repo:Pull"),
    ),
    (
        "mixed-case realm URL preserves original casing",
        'bearer realm="https://Registry.Example.com/Token",service="GHCR.IO",'
        'scope="repository:User/Repo:Pull"',
        ("https://Registry.Example.com/Token", "GHCR.IO", "repository:User/Repo:Pull"),
    ),
    (
        "empty scope is ignored",
        'bearer realm="https://ghcr.io/token",service="ghcr.io",scope=""',
        ("https://ghcr.io/token", "ghcr.io", ""),
    ),
    (
        "extra unknown fields are ignored",
        'bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repo:pull",extra="value"',
        ("https://ghcr.io/token", "ghcr.io", "repo:pull"),
    ),
    (
        "malformed key without equals is ignored",
        'bearer realm="https://ghcr.io/token",service="ghcr.io",invalidkey',
        ("https://ghcr.io/token", "ghcr.io", ""),
    ),
    ("empty header returns zero values", "", ("", "", "")),
    ("header with only bearer returns zero values", "bearer", ("", "", "")),
    ("bearer without delimiter returns zero values", "bearer123", ("", "", "")),
    (
        "quoted commas in scope value are preserved",
        'bearer realm="https://ghcr.io/token",service="ghcr.io",'
        'scope="repository:user/repo:pull,repository:user/other:pull"',
        (
            "https://ghcr.io/token",
            "ghcr.io",
            "repository:user/repo:pull,repository:user/other:pull",
        ),
    ),
    (
        "quoted commas in realm value are preserved",
        'bearer realm="https://example.com/token,alt",service="ghcr.io"',
        ("https://example.com/token,alt", "ghcr.io", ""),
    ),
    (
        "whitespace around key and value is trimmed",
        'bearer realm = "https://ghcr.io/token", service = "ghcr.io", '
        'scope = "repository:user/repo:pull"',
        ("https://ghcr.io/token", "ghcr.io", "repository:user/repo:pull"),
    ),
    (
        "tabs around key and value are trimmed",
        'bearer\trealm\t=\t"https://ghcr.io/token",\tservice\t=\t"ghcr.io"',
        ("https://ghcr.io/token", "ghcr.io", ""),
    ),
]


@pytest.mark.parametrize(
    ("case", "header", "expected"), PARSE_CHALLENGE, ids=[c[0] for c in PARSE_CHALLENGE]
)
def test_parse_challenge(case: str, header: str, expected: tuple[str, str, str]) -> None:
    try:
        challenges = parse_challenges(header)
    except MalformedChallengeError:
        challenges = ()
    bearer = next((c for c in challenges if c.scheme == "bearer"), None)
    values = ("", "", "")
    if bearer is not None:
        values = (bearer.realm or "", bearer.service or "", bearer.params.get("scope", ""))
    assert values == expected


# pkg/registry/auth/registry_test.go TestGetRegistryAddress: the registry an image's
# checks and logins go to (Docker Hub by its index name, lscr.io as ghcr.io).
REGISTRY_ADDRESS = [
    ("docker.io maps to index.docker.io", "docker.io/library/nginx:latest", "index.docker.io"),
    ("docker.io without path maps to index.docker.io", "docker.io/nginx", "index.docker.io"),
    ("index.docker.io passes through", "index.docker.io/library/nginx:latest", "index.docker.io"),
    ("lscr.io maps to ghcr.io", "lscr.io/linuxserver/nginx:latest", "ghcr.io"),
    ("plain host passes through", "ghcr.io/example/app:latest", "ghcr.io"),
    ("quay.io passes through", "quay.io/redhat/ubi8:latest", "quay.io"),
    ("gcr.io passes through", "gcr.io/project/image:v1.0", "gcr.io"),
    (
        "ECR host passes through",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/image:tag",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    ),
    ("localhost passes through", "localhost:5000/myimage:latest", "localhost:5000"),
    ("127.0.0.1 passes through", "127.0.0.1:5000/myimage:latest", "127.0.0.1:5000"),
    ("empty image ref returns error", "", None),
    ("invalid image ref returns error", ":::invalid:::", None),
]


@pytest.mark.parametrize(
    ("case", "image", "expected"), REGISTRY_ADDRESS, ids=[c[0] for c in REGISTRY_ADDRESS]
)
def test_get_registry_address(case: str, image: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidReferenceError):
            parse_reference(image)
        return
    domain = parse_reference(image).domain
    address = "index.docker.io" if is_docker_hub(domain) else registry_of(domain)
    assert address == expected


# pkg/registry/digest/digest_test.go TestBuildManifestURL: the URL of the manifest request.
# (case, image, mirror, TLS skipped, the fork's URL)
MANIFEST_URL = [
    (
        "builds HTTPS manifest URL with empty override",
        "nginx:latest",
        "",
        False,
        "https://index.docker.io/v2/library/nginx/manifests/latest",
    ),
    (
        "builds HTTP manifest URL when TLS is skipped",
        "nginx:latest",
        "",
        True,
        "http://index.docker.io/v2/library/nginx/manifests/latest",
    ),
    (
        "overrides host with bare host string",
        "nginx:latest",
        "mirror.example.com",
        False,
        "https://mirror.example.com/v2/library/nginx/manifests/latest",
    ),
    (
        "overrides host and scheme from full URL",
        "nginx:latest",
        "http://mirror.example.com:5000",
        False,
        "http://mirror.example.com:5000/v2/library/nginx/manifests/latest",
    ),
    (
        "redirects lscr.io to ghcr.io",
        "lscr.io/linuxserver/radarr:latest",
        "",
        False,
        "https://ghcr.io/v2/linuxserver/radarr/manifests/latest",
    ),
]


@pytest.mark.parametrize(
    ("case", "image", "mirror", "tls_skip", "expected"),
    MANIFEST_URL,
    ids=[c[0] for c in MANIFEST_URL],
)
def test_build_manifest_url(
    case: str, image: str, mirror: str, tls_skip: bool, expected: str
) -> None:
    heads: list[str] = []

    def registry(request: Request) -> Response:
        if request.url.startswith("https://mirror.example.com:5000/"):
            # A mirror named with http:// serves plain HTTP: TLS fails there.
            raise TransportError("The TLS handshake failed (is it serving plain HTTP?).")
        if request.method == "HEAD":
            heads.append(request.url)
        return Response(200, {"Docker-Content-Digest": "sha256:" + "d" * 64})

    client = HttpRegistry(
        transport=MockTransport(registry),
        credentials=DockerCredentials(Path("/nonexistent"), environ={}),
        mirrors=[mirror] if mirror else [],
        tls_skip_verify=tls_skip,
    )
    client.digest(parse_reference(image))
    marked = deviation(SOURCE, "TestBuildManifestURL", case)
    if marked is not None:
        assert (marked.theirs, heads) == (expected, [marked.ours])
    else:
        assert heads == [expected]
