"""The fork's digest flows, each as a request sequence and an answer.

Source: nicholas-fedor/watchtower pkg/registry/digest/digest_test.go
(TestNormalizeDigest, TestCompareDigest, TestFetchDigest,
TestHandleManifestResponse, TestExtractHeadDigest, TestExtractGetDigest),
run as registry answers to the client (tests/conformance/_flows.py). Not
ported, for want of a counterpart: the retry URL of HandleManifestResponse's
401 cases (the fork's own bookkeeping), manifest size limits (the
transport's), and TestFormatDigest (it re-adds the ``sha256:`` prefix the
fork strips; we never strip it).
"""

from __future__ import annotations

import json

import pytest

from tests.conformance._flows import (
    DIGEST,
    IMAGE,
    MANIFEST,
    REG,
    V2_MANIFEST,
    A,
    Answer,
    D,
    Flow,
    bearer,
    check,
    ok,
    redirect,
    run,
    same_to_all,
)
from watchtower.model import Image
from watchtower.registry import Response, TransportError

MANIFEST_BODY = json.dumps({"digest": A}).encode()
FLOW_TOO_MANY = Response(429, {"retry-after": "2"}, b"toomanyrequests")

DIGEST_FLOWS = [
    # FetchDigest: the fork's test server answers every method alike.
    Flow(
        "TestFetchDigest",
        "extracts digest from GET response header",
        IMAGE,
        same_to_all(ok(A, b'{"schemaVersion":2}', V2_MANIFEST)),
        A,
        source=DIGEST,
    ),
    Flow(
        "TestFetchDigest",
        "extracts digest from GET response JSON body",
        IMAGE,
        same_to_all(ok(None, MANIFEST_BODY, V2_MANIFEST)),
        A,
        source=DIGEST,
    ),
    Flow(
        "TestFetchDigest",
        "extracts digest from plain text body",
        IMAGE,
        same_to_all(ok(None, A.encode(), "text/plain")),
        A,
        source=DIGEST,
    ),
    Flow(
        "TestFetchDigest",
        "returns error when no digest header and empty body",
        IMAGE,
        same_to_all(ok(None)),
        "error",
        source=DIGEST,
    ),
    # HandleManifestResponse
    Flow(
        "TestHandleManifestResponse",
        "successful HEAD 200 without digest header returns error",
        IMAGE,
        same_to_all(ok(None)),
        "error",
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "successful GET 200 returns digest from header",
        IMAGE,
        same_to_all(ok(A), head=Response(500, {})),
        A,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -", f"GET {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "HEAD 404 returns error without retry",
        IMAGE,
        same_to_all(Response(404, {})),
        "error",
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "GET 404 returns error without retry",
        IMAGE,
        same_to_all(Response(404, {}), head=Response(500, {})),
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
        same_to_all(FLOW_TOO_MANY),
        "rate limited",
        (f"GET {REG}/v2/ -",) + (f"HEAD {REG}{MANIFEST} -",) * 3,
        source=DIGEST,
    ),
    Flow(
        "TestHandleManifestResponse",
        "GET 429 returns rate-limit error",
        IMAGE,
        same_to_all(FLOW_TOO_MANY, head=Response(500, {})),
        "rate limited",
        source=DIGEST,
    ),
    # ExtractHeadDigest: a HEAD without a usable digest is asked again with GET.
    Flow(
        "TestExtractHeadDigest",
        "extracts digest from Docker-Content-Digest header",
        IMAGE,
        same_to_all(ok(A)),
        A,
        (f"GET {REG}/v2/ -", f"HEAD {REG}{MANIFEST} -"),
        source=DIGEST,
    ),
    Flow(
        "TestExtractHeadDigest",
        "returns error when Docker-Content-Digest header is missing",
        IMAGE,
        same_to_all(ok(None)),
        "error",
        source=DIGEST,
    ),
    Flow(
        "TestExtractHeadDigest",
        "includes www-authenticate header in error for 401",
        IMAGE,
        {
            **same_to_all(bearer("https://auth.example.com/token", "registry.example.com")),
            "GET https://auth.example.com/token": Response(401, {}),
        },
        "error",
        source=DIGEST,
    ),
    Flow(
        "TestExtractHeadDigest",
        "normalizes sha256 prefix from header",
        IMAGE,
        same_to_all(ok("sha256:abc")),
        "sha256:abc",
        source=DIGEST,
    ),
    # ExtractGetDigest: the HEAD fails, so that the GET is what decides.
    *(
        Flow(
            "TestExtractGetDigest",
            case,
            IMAGE,
            same_to_all(get, head=Response(500, {})),
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


@pytest.mark.parametrize("flow", DIGEST_FLOWS, ids=[f"{f.test}:{f.case}" for f in DIGEST_FLOWS])
def test_flow(flow: Flow) -> None:
    check(flow)


# TestCompareDigest: the container's repo digests against the registry's answer.
# (case, local repo digests, answers, up to date). "returns error when container has
# no image info" has no counterpart: a container here always has its image; a locally
# built image (no repo digests) never reaches the registry (tests/core/test_update.py,
# test_local_build_is_compared_locally_and_never_pulled).
COMPARE = [
    (
        "matching digests via HEAD request",
        [f"registry.example.com/test/image@{A}"],
        same_to_all(ok(A)),
        True,
    ),
    (
        "non-matching digests via HEAD request",
        [f"registry.example.com/test/image@sha256:{'a' * 64}"],
        same_to_all(ok("sha256:" + "b" * 64)),
        False,
    ),
    (
        "falls back to GET when HEAD returns non-2xx without 404",
        [f"registry.example.com/test/image@{A}"],
        same_to_all(ok(A), head=Response(500, {})),
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
