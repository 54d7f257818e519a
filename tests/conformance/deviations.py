"""The cases of the peers' own tests that watchtower decides differently, on purpose.

The one place they are listed: a conformance test checks a case named here
against :attr:`Deviation.ours` instead of the peer's expectation, so the list
cannot outlive a difference, and the migration guide shows the same list
(its test compares them).
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Deviation:
    """One case of a peer's test that we decide differently.

    Attributes:
        source: The peer's repository and test file.
        test: The Go test function.
        case: The case's input, as the test writes it.
        theirs: What the peer's test expects.
        ours: What watchtower gives instead.
        reason: Why we differ, one sentence.
    """

    source: str
    test: str
    case: str
    theirs: str
    ours: str
    reason: str

    def guide_line(self) -> str:
        """The bullet the migration guide shows for it."""
        return (
            f"* ``{self.case}`` ({self.source}, ``{self.test}``): ``{self.ours}`` here, "
            f"``{self.theirs}`` there. {self.reason}"
        )


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "distribution/reference normalize_test.go",
        "TestParseDockerRef",
        "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
        "gcr.io/library/busybox@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
        "gcr.io/library/busybox:latest@sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
        "A container created from name:tag@digest keeps its tag, so that the report names "
        "the tag it follows; the digest pins it, and a pinned image is never updated.",
    ),
    Deviation(
        "distribution/reference reference_test.go",
        "TestWithTag",
        "test.com:8000/foo:TAG5@sha256:1234567890098765432112345667890098765",
        "test.com:8000/foo:TAG5@sha256:1234567890098765432112345667890098765",
        "test.com:8000/foo:TAG5",
        "ImageRef.with_tag moves an image to another tag, the way a tag rule does; a digest "
        "would pin it to the old image, so it is dropped.",
    ),
    Deviation(
        "distribution/reference reference_test.go",
        "TestReferenceParse",
        "validname@sha512:" + "f" * 128,
        "ErrDigestUnsupported",
        "docker.io/library/validname@sha512:" + "f" * 128,
        "The Go test refuses sha512 only because its test binary does not link the algorithm; "
        "Docker's engine links it and accepts such a digest, so we do too.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestFetchDigest",
        "extracts digest from GET response JSON body",
        "sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890",
        "the hash of the manifest",
        "A manifest's digest is the hash of its bytes, as the engine computes it when it pulls; "
        "a field of the body is not read as the digest.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestFetchDigest",
        "extracts digest from plain text body",
        "sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890",
        "error",
        "A manifest is JSON: a body that is a bare digest is not a manifest, and is refused "
        "rather than trusted.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestExtractHeadDigest",
        "normalizes sha256 prefix from header",
        "sha256:abc",
        "error",
        "A Docker-Content-Digest that is not a whole digest is refused, so that a cut-off header "
        "never reads as an update.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestExtractGetDigest",
        "extracts digest from JSON manifest body with valid content type",
        "sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890",
        "the hash of the manifest",
        "A manifest's digest is the hash of its bytes, as the engine computes it when it pulls; "
        "a field of the body is not read as the digest.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestExtractGetDigest",
        "returns error when JSON body has empty digest field",
        "error",
        "the hash of the manifest",
        "A manifest's digest is the hash of its bytes, as the engine computes it when it pulls; "
        "a field of the body is not read as the digest.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestExtractGetDigest",
        "rejects JSON body with unsupported content type",
        "error",
        "the hash of the manifest",
        "The manifest's digest is the hash of its bytes whatever its Content-Type says, as the "
        "engine computes it when it pulls.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestExtractGetDigest",
        "extracts digest from plain text body starting with sha256",
        "sha256:abcdef1234567890abcdef1234567890abcdef1234567890abcdef1234567890",
        "error",
        "A manifest is JSON: a body that is a bare digest is not a manifest, and is refused "
        "rather than trusted.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/sorter/sorter_test.go",
        "SortByDependencies",
        "handles missing dependencies gracefully",
        "c3, c1",
        "c1, c3",
        "Containers that do not depend on each other are ordered by name, not by the order "
        "the engine lists them, so the same containers are always updated in the same order.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/sorter/sorter_test.go",
        "SortByDependencies",
        "multiple dependencies with slashes",
        "d, c, b, a",
        "c, d, b, a",
        "Containers that do not depend on each other are ordered by name, not by the order "
        "the engine lists them, so the same containers are always updated in the same order.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/sorter/sorter_test.go",
        "SortByDependencies",
        "no dependencies",
        "c, b, a",
        "a, b, c",
        "Containers that do not depend on each other are ordered by name, not by the order "
        "the engine lists them, so the same containers are always updated in the same order.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/sorter/sorter_test.go",
        "SortByDependencies",
        "detects circular references",
        "an error: circular reference detected: c1 -> c2 -> c1",
        "c1 and c2 on a cycle, skipped; the others ordered",
        "A cycle among some containers does not stop the updates of all the others; the "
        "containers on it are skipped and the report says why.",
    ),
    Deviation(
        "nicholas-fedor/watchtower internal/flags/flags_test.go",
        "TestEnvConfig",
        "tls host conversion",
        "https://example.com:2376",
        "tcp://example.com:2376",
        "The engine address is kept as written; with DOCKER_TLS_VERIFY the docker backend "
        "speaks TLS to a tcp:// address, so the scheme need not be rewritten.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/auth/bearer_test.go",
        "Test_computeTokenExpiry",
        "uses issued_at with default TTL when expires_in is zero",
        "issued_at + 60s (already past)",
        "now + 60s",
        "An issued_at so old that the token would be dead on arrival says the two clocks "
        "disagree; the token then lives from the local time, instead of being fetched again "
        "for every check.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/auth/bearer_test.go",
        "Test_readBearerTokenWithExpiry",
        "empty token returns empty string",
        "an empty token",
        "one sentence: the token server answered without a token",
        "An answer without a token is an error that names the token server, not an empty "
        "Bearer header the registry refuses later.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/auth/bearer_test.go",
        "Test_readBearerTokenWithExpiry",
        "missing token field returns empty string",
        "an empty token",
        "one sentence: the token server answered without a token",
        "An answer without a token is an error that names the token server, not an empty "
        "Bearer header the registry refuses later.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestBuildManifestURL",
        "builds HTTPS manifest URL with empty override",
        "https://index.docker.io/v2/library/nginx/manifests/latest",
        "https://registry-1.docker.io/v2/library/nginx/manifests/latest",
        "Docker Hub's registry API is asked at registry-1.docker.io, the host the docker "
        "engine itself uses; index.docker.io serves the same answers.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/registry/digest/digest_test.go",
        "TestBuildManifestURL",
        "builds HTTP manifest URL when TLS is skipped",
        "http://index.docker.io/v2/library/nginx/manifests/latest",
        "https://registry-1.docker.io/v2/library/nginx/manifests/latest",
        "--registry-tls-skip stops checking certificates but still speaks TLS to a registry "
        "that offers it; plain HTTP is used only where TLS is not spoken at all.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/notifications/shoutrrr_test.go",
        "Ginkgo spec",
        "using legacy templates / given an invalid custom template / "
        "should format the messages using the default template",
        "the default template is used instead",
        "refused at start (exit 2, one sentence naming the flag and Go's reason)",
        "Falling back silently hides the user's mistake until a notification looks wrong; "
        "a bad flag is refused like every other bad value.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/notifications/shoutrrr_test.go",
        "Ginkgo spec",
        "using report templates / the default template / all containers are fresh / "
        "should return the summary",
        "a summary of fresh containers",
        "nothing (and nothing is sent); stale monitor-only containers are listed too",
        "A report of nothing every poll interval trains people to ignore notifications; "
        "Watchtower's default source, given as a template, still renders as Watchtower's.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/notifications/shoutrrr_test.go",
        "Ginkgo spec",
        "rendering porcelain JSON / should produce valid JSON with container details",
        "containers sorted by id",
        "containers in the order of the run (dependency order)",
        "The order of the run says what happened first; an id order says nothing.",
    ),
    Deviation(
        "nicholas-fedor/watchtower internal/actions/update.go",
        "Update",
        "a failed pull of Watchtower's own image",
        "a 5-minute sleep (PullFailureDelay) before the run ends",
        "the run ends at once; the container is skipped, the pull's error in the report",
        "The fork pauses against a restart loop; here a failed pull replaces nothing, so "
        "nothing restarts, and a sleeping run would hold up --run-once, the HTTP API's "
        "updates and a shutdown for five minutes.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/notifications/common_templates.go",
        "default-legacy",
        "Stopping linked container / Started linked container",
        "Stopping linked container / Started linked container",
        "Stopping container / Started new container",
        "The Stopping and Started events do not say whether a container restarts for a "
        "dependency; the report's Restarted list does.",
    ),
    Deviation(
        "nicholas-fedor/watchtower pkg/container/container.go",
        "GetCreateConfig",
        "com.docker.compose.image=<the old image's id> on the old container",
        "the old image's id, copied",
        "the new image's id",
        "Compose v2 recreates a container whose label differs from the id its tag names, "
        "so a copied label has the next docker compose up -d recreate every updated "
        "container once more (containrrr/watchtower #339, #696); a label holding "
        "anything else is copied.",
    ),
)
"""Every deliberate deviation, in one place."""


def deviation(source: str, test: str, case: str) -> Deviation | None:
    """The deviation recorded for that case, if any."""
    for item in DEVIATIONS:
        if (item.source, item.test, item.case) == (source, test, case):
            return item
    return None
