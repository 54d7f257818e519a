"""distribution/reference's TestParseDockerRef, run against :func:`parse_reference`.

The other tables of distribution/reference (normalize_test.go and
reference_test.go: TestValidateReferenceName, TestValidateRemoteName,
TestReferenceParse, TestParseRepositoryInfo, TestNormalizedSplitHostname,
TestParseAnyReference, TestInvalidReferenceComponents) are ported in
tests/core/test_reference.py, table by table. Commit 0965666.
"""

from __future__ import annotations

import pytest

from tests.conformance.deviations import deviation
from watchtower import parse_reference

SOURCE = "distribution/reference normalize_test.go"
DIGEST = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"

# (subtest, input, expected): every case of TestParseDockerRef.
PARSE_DOCKER_REF = [
    ("nothing", "busybox", "docker.io/library/busybox:latest"),
    ("tag only", "busybox:latest", "docker.io/library/busybox:latest"),
    ("digest only", f"busybox@{DIGEST}", f"docker.io/library/busybox@{DIGEST}"),
    ("path only", "library/busybox", "docker.io/library/busybox:latest"),
    ("hostname only", "docker.io/busybox", "docker.io/library/busybox:latest"),
    ("no tag", "docker.io/library/busybox", "docker.io/library/busybox:latest"),
    ("no path", "docker.io/busybox:latest", "docker.io/library/busybox:latest"),
    ("no hostname", "library/busybox:latest", "docker.io/library/busybox:latest"),
    (
        "full reference with tag",
        "docker.io/library/busybox:latest",
        "docker.io/library/busybox:latest",
    ),
    ("gcr reference without tag", "gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
    (
        "both tag and digest",
        f"gcr.io/library/busybox:latest@{DIGEST}",
        f"gcr.io/library/busybox@{DIGEST}",
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "expected"), PARSE_DOCKER_REF, ids=[c[0] for c in PARSE_DOCKER_REF]
)
def test_parse_docker_ref(case: str, text: str, expected: str) -> None:
    """normalize_test.go TestParseDockerRef: the normalised form, which parses again."""
    marked = deviation(SOURCE, "TestParseDockerRef", text)
    output = str(parse_reference(text))
    if marked is not None:
        assert (marked.theirs, output) == (expected, marked.ours)
    else:
        assert output == expected
    assert str(parse_reference(output)) == output
