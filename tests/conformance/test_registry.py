"""The fork's pkg/registry tests: WarnOnAPIConsumption and digest's DigestsMatch.

Sources: nicholas-fedor/watchtower pkg/registry/registry_test.go
TestWarnOnAPIConsumption, against how loudly ``auto`` logs a failed digest
check (:func:`watchtower.staleness._head_failure_level`); and
pkg/registry/digest/digest_test.go TestDigestsMatch, against
:meth:`watchtower.model.Image.has_digest`.
"""

from __future__ import annotations

import logging

import pytest

from watchtower import parse_reference
from watchtower.model import Image
from watchtower.staleness import _head_failure_level

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
