"""distribution/reference's test tables, case by case, run against :func:`parse_reference`.

Every case names its Go source file and test. Where the Go test parses
without normalising (TestReferenceParse, TestValidateReferenceName), the
case holds the answer of ``ParseNormalizedNamed`` followed by
``TagNameOnly``, which is what a container's image goes through. Cases
decided differently are in deviations.py. Commit 0965666.
"""

from __future__ import annotations

from typing import Any

import pytest
from attrs import frozen
from hypothesis import given
from hypothesis import strategies as st

from tests.conformance.deviations import deviation
from watchtower import ImageRef, InvalidReferenceError, parse_reference
from watchtower.reference import is_image_id

NORMALIZE = "distribution/reference normalize_test.go"
REFERENCE = "distribution/reference reference_test.go"
DIGEST = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
BUSYBOX_DIGEST = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
HEX64 = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
FFFF = "sha256:" + "f" * 64
IMAGE_ID = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
SONG = "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"
LONG_NAMESPACE = (
    "_".join(["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"] * 4)
    + "/docker"
)


@frozen
class Refused:
    """The case is an error; our message says ``problem``."""

    problem: str


def case(source: str, test: str, text: str, expected: str | ImageRef | Refused) -> Any:
    """One case of a Go test: the normalised string, the parsed reference, or a refusal."""
    return pytest.param(source, test, text, expected, id=f"{test}:{text[:80]}")


def ref(domain: str, path: str, tag: str | None = "latest", digest: str | None = None) -> ImageRef:
    return ImageRef(domain, path, tag, digest)


def _valid_name(text: str, expected: str) -> Any:
    return case(NORMALIZE, "TestValidateReferenceName", text, expected)


def _invalid_name(text: str, problem: str) -> Any:
    return case(NORMALIZE, "TestValidateReferenceName", text, Refused(problem))


def _remote(text: str, expected: str | Refused) -> Any:
    return case(NORMALIZE, "TestValidateRemoteName", text, expected)


def _parse(text: str, expected: ImageRef | Refused) -> Any:
    return case(REFERENCE, "TestReferenceParse", text, expected)


def _split(text: str, domain: str, path: str) -> Any:
    return case(NORMALIZE, "TestNormalizedSplitHostname", text, ref(domain, path))


def _any(text: str, expected: str) -> Any:
    return case(NORMALIZE, "TestParseAnyReference", text, expected)


def _docker_ref(text: str, expected: str) -> Any:
    return case(NORMALIZE, "TestParseDockerRef", text, expected)


CASES = [
    _valid_name("docker/docker", "docker.io/docker/docker:latest"),
    _valid_name("library/debian", "docker.io/library/debian:latest"),
    _valid_name("debian", "docker.io/library/debian:latest"),
    _valid_name("localhost/library/debian", "localhost/library/debian:latest"),
    _valid_name("localhost/debian", "localhost/debian:latest"),
    _valid_name("LOCALDOMAIN/library/debian", "LOCALDOMAIN/library/debian:latest"),
    _valid_name("LOCALDOMAIN/debian", "LOCALDOMAIN/debian:latest"),
    _valid_name("docker.io/docker/docker", "docker.io/docker/docker:latest"),
    _valid_name("docker.io/library/debian", "docker.io/library/debian:latest"),
    _valid_name("docker.io/debian", "docker.io/library/debian:latest"),
    _valid_name("index.docker.io/docker/docker", "docker.io/docker/docker:latest"),
    _valid_name("index.docker.io/library/debian", "docker.io/library/debian:latest"),
    _valid_name("index.docker.io/debian", "docker.io/library/debian:latest"),
    _valid_name("127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker:latest"),
    _valid_name("127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest"),
    _valid_name("127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest"),
    # A single component is never a host: these are Docker Hub images.
    _valid_name("192.168.0.1", "docker.io/library/192.168.0.1:latest"),
    _valid_name("192.168.0.1:80", "docker.io/library/192.168.0.1:80"),
    _valid_name("192.168.0.1:8/debian", "192.168.0.1:8/debian:latest"),
    _valid_name("192.168.0.2:25000/debian", "192.168.0.2:25000/debian:latest"),
    _valid_name(SONG, f"docker.io/library/{SONG}:latest"),
    _valid_name("[fc00::1]:5000/docker", "[fc00::1]:5000/docker:latest"),
    _valid_name("[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker:latest"),
    _valid_name(
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
    ),
    # With a registry, 64 hex digits are a repository name, not an image id.
    _valid_name(f"docker.io/{IMAGE_ID}", f"docker.io/library/{IMAGE_ID}:latest"),
    _valid_name("Docker/docker", "Docker/docker:latest"),
    _valid_name("DOCKER/docker", "DOCKER/docker:latest"),
    _invalid_name("https://github.com/docker/docker", "registry host 'https:'"),
    _invalid_name("docker/Docker", "must be lowercase"),
    _invalid_name("-docker", "component '-docker'"),
    _invalid_name("-docker/docker", "component '-docker'"),
    _invalid_name("-docker.io/docker/docker", "registry host '-docker.io'"),
    _invalid_name("docker///docker", "empty path component"),
    _invalid_name("docker.io/docker/Docker", "must be lowercase"),
    _invalid_name("docker.io/docker///docker", "empty path component"),
    _invalid_name("[fc00::1]", "component '[fc00'"),
    _invalid_name("[fc00::1]:5000", "component '[fc00'"),
    _invalid_name("fc00::1:5000/debian", "registry host 'fc00::1:5000'"),
    _invalid_name("[fe80::1%eth0]:5000/debian", "registry host '[fe80::1%eth0]:5000'"),
    _invalid_name("[2001:db8:3:4::192.0.2.33]:5000/debian", "registry host"),
    _invalid_name(IMAGE_ID, "64-character hexadecimal string is an image id"),
    _remote("docker/docker", "docker.io/docker/docker:latest"),
    _remote(SONG, f"docker.io/library/{SONG}:latest"),
    _remote("docker-rules/docker", "docker.io/docker-rules/docker:latest"),
    _remote("docker---rules/docker", "docker.io/docker---rules/docker:latest"),
    _remote("doc/docker", "docker.io/doc/docker:latest"),
    _remote("d/docker", "docker.io/d/docker:latest"),
    _remote("jess/t", "docker.io/jess/t:latest"),
    _remote("dock__er/docker", "docker.io/dock__er/docker:latest"),
    _remote("docker/Docker", Refused("must be lowercase")),
    _remote("docker///docker", Refused("empty path component")),
    _remote(IMAGE_ID, Refused("64-character hexadecimal string is an image id")),
    _remote("-docker/docker", Refused("component '-docker'")),
    _remote("docker-/docker", Refused("component 'docker-'")),
    _remote("-docker-/docker", Refused("component '-docker-'")),
    _remote("____/____", Refused("component '____'")),
    _remote("_docker/_docker", Refused("component '_docker'")),
    _remote("dock..er/docker", Refused("registry host 'dock..er'")),
    _remote("dock_.er/docker", Refused("registry host 'dock_.er'")),
    _remote("dock-.er/docker", Refused("registry host 'dock-.er'")),
    _remote("docker/", Refused("empty path component")),
    _remote(LONG_NAMESPACE, Refused("more than the 255 allowed")),
    # ParseNormalizedNamed("-foo"); WithTag(busybox, "-foo"); WithDigest(busybox, "foo").
    case(NORMALIZE, "TestInvalidReferenceComponents", "-foo", Refused("component '-foo'")),
    case(NORMALIZE, "TestInvalidReferenceComponents", "busybox:-foo", Refused("tag '-foo'")),
    case(NORMALIZE, "TestInvalidReferenceComponents", "busybox@foo", Refused("digest 'foo'")),
    _parse("test_com", ref("docker.io", "library/test_com")),
    _parse("test.com:tag", ref("docker.io", "library/test.com", "tag")),
    _parse("test.com:5000", ref("docker.io", "library/test.com", "5000")),
    _parse("test.com/repo:tag", ref("test.com", "repo", "tag")),
    _parse("test:5000/repo", ref("test:5000", "repo")),
    _parse("test:5000/repo:tag", ref("test:5000", "repo", "tag")),
    _parse(f"test:5000/repo@{FFFF}", ref("test:5000", "repo", None, FFFF)),
    _parse(f"test:5000/repo:tag@{FFFF}", ref("test:5000", "repo", "tag", FFFF)),
    _parse("", Refused("it is empty")),
    _parse(":justtag", Refused("no repository name")),
    _parse(f"@{FFFF}", Refused("no repository name")),
    _parse("repo@sha256:" + "f" * 34, Refused("sha256 needs 64 lowercase hexadecimal digits")),
    _parse(
        "validname@invaliddigest:" + "f" * 64,
        Refused("algorithm 'invaliddigest' is not supported"),
    ),
    _parse("validname@sha512:" + "f" * 128, Refused("algorithm 'sha512' is not supported")),
    _parse("Uppercase:tag", Refused("'Uppercase' must be lowercase")),
    _parse("test:5000/Uppercase/lowercase:tag", Refused("'Uppercase/lowercase' must be lowercase")),
    _parse("lowercase:Uppercase", ref("docker.io", "library/lowercase", "Uppercase")),
    _parse("domain/" + "a" * 256 + ":tag", Refused("more than the 255 allowed")),
    _parse(
        "a/" * 127 + "a:tag-puts-this-over-max",
        ref("docker.io", "a/" * 127 + "a", "tag-puts-this-over-max"),
    ),
    _parse("aa/asdf$$^/aa", Refused("component 'asdf$$^'")),
    _parse("sub-dom1.foo.com/bar/baz/quux", ref("sub-dom1.foo.com", "bar/baz/quux")),
    _parse(
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        ref("sub-dom1.foo.com", "bar/baz/quux", "some-long-tag"),
    ),
    _parse(
        "b.gcr.io/test.example.com/my-app:test.example.com",
        ref("b.gcr.io", "test.example.com/my-app", "test.example.com"),
    ),
    _parse("xn--n3h.com/myimage:xn--n3h.com", ref("xn--n3h.com", "myimage", "xn--n3h.com")),
    _parse(
        f"xn--7o8h.com/myimage:xn--7o8h.com@{FFFF}",
        ref("xn--7o8h.com", "myimage", "xn--7o8h.com", FFFF),
    ),
    _parse("foo_bar.com:8080", ref("docker.io", "library/foo_bar.com", "8080")),
    _parse("foo/foo_bar.com:8080", ref("docker.io", "foo/foo_bar.com", "8080")),
    _parse("192.168.1.1", ref("docker.io", "library/192.168.1.1")),
    _parse("192.168.1.1:tag", ref("docker.io", "library/192.168.1.1", "tag")),
    _parse("192.168.1.1:5000", ref("docker.io", "library/192.168.1.1", "5000")),
    _parse("192.168.1.1/repo", ref("192.168.1.1", "repo")),
    _parse("192.168.1.1:5000/repo", ref("192.168.1.1:5000", "repo")),
    _parse("192.168.1.1:5000/repo:5050", ref("192.168.1.1:5000", "repo", "5050")),
    _parse("[2001:db8::1]", Refused("component '[2001'")),
    _parse("[2001:db8::1]:5000", Refused("component '[2001'")),
    _parse("[2001:db8::1]:tag", Refused("component '[2001'")),
    _parse("[2001:db8::1]/repo", ref("[2001:db8::1]", "repo")),
    _parse("[2001:db8:1:2:3:4:5:6]/repo:tag", ref("[2001:db8:1:2:3:4:5:6]", "repo", "tag")),
    _parse("[2001:db8::1]:5000/repo", ref("[2001:db8::1]:5000", "repo")),
    _parse("[2001:db8::1]:5000/repo:tag", ref("[2001:db8::1]:5000", "repo", "tag")),
    _parse(f"[2001:db8::1]:5000/repo@{FFFF}", ref("[2001:db8::1]:5000", "repo", None, FFFF)),
    _parse(f"[2001:db8::1]:5000/repo:tag@{FFFF}", ref("[2001:db8::1]:5000", "repo", "tag", FFFF)),
    _parse("[2001:db8::]:5000/repo", ref("[2001:db8::]:5000", "repo")),
    _parse("[::1]:5000/repo", ref("[::1]:5000", "repo")),
    _parse("[fe80::1%eth0]:5000/repo", Refused("registry host '[fe80::1%eth0]:5000'")),
    _parse(
        "[fe80::1%@invalidzone]:5000/repo",
        Refused("registry host '[fe80::1%@invalidzone]:5000'"),
    ),
    _parse("example.com/" + "a" * 255 + ":tag", ref("example.com", "a" * 255, "tag")),
    _split("test.com/foo", "test.com", "foo"),
    _split("test_com/foo", "docker.io", "test_com/foo"),
    _split("docker/migrator", "docker.io", "docker/migrator"),
    _split("test.com:8080/foo", "test.com:8080", "foo"),
    _split("test-com:8080/foo", "test-com:8080", "foo"),
    _split("foo", "docker.io", "library/foo"),
    _split("xn--n3h.com/foo", "xn--n3h.com", "foo"),
    _split("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    _split("docker.io/foo", "docker.io", "library/foo"),
    _split("docker.io/library/foo", "docker.io", "library/foo"),
    _split("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
    _any("redis", "docker.io/library/redis:latest"),
    _any("redis:latest", "docker.io/library/redis:latest"),
    _any("docker.io/library/redis:latest", "docker.io/library/redis:latest"),
    _any(f"redis@sha256:{HEX64}", f"docker.io/library/redis@sha256:{HEX64}"),
    _any(f"docker.io/library/redis@sha256:{HEX64}", f"docker.io/library/redis@sha256:{HEX64}"),
    _any("dmcgowan/myapp", "docker.io/dmcgowan/myapp:latest"),
    _any("dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest"),
    _any("docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest"),
    _any(f"dmcgowan/myapp@sha256:{HEX64}", f"docker.io/dmcgowan/myapp@sha256:{HEX64}"),
    _any(f"docker.io/dmcgowan/myapp@sha256:{HEX64}", f"docker.io/dmcgowan/myapp@sha256:{HEX64}"),
    # 63 hex digits are a name.
    _any(HEX64[:-1], f"docker.io/library/{HEX64[:-1]}:latest"),
    _any("dbcc1", "docker.io/library/dbcc1:latest"),
    case(
        NORMALIZE,
        "TestParseReferenceWithTagAndDigest",
        f"busybox:latest@{BUSYBOX_DIGEST}",
        f"docker.io/library/busybox:latest@{BUSYBOX_DIGEST}",
    ),
    _docker_ref("busybox", "docker.io/library/busybox:latest"),
    _docker_ref("busybox:latest", "docker.io/library/busybox:latest"),
    _docker_ref(f"busybox@{DIGEST}", f"docker.io/library/busybox@{DIGEST}"),
    _docker_ref("library/busybox", "docker.io/library/busybox:latest"),
    _docker_ref("docker.io/busybox", "docker.io/library/busybox:latest"),
    _docker_ref("docker.io/library/busybox", "docker.io/library/busybox:latest"),
    _docker_ref("docker.io/busybox:latest", "docker.io/library/busybox:latest"),
    _docker_ref("library/busybox:latest", "docker.io/library/busybox:latest"),
    _docker_ref("docker.io/library/busybox:latest", "docker.io/library/busybox:latest"),
    _docker_ref("gcr.io/library/busybox", "gcr.io/library/busybox:latest"),
    _docker_ref(f"gcr.io/library/busybox:latest@{DIGEST}", f"gcr.io/library/busybox@{DIGEST}"),
]


def _outcome(text: str, expected: str | ImageRef | Refused) -> str | ImageRef | Refused:
    """What parse_reference gives, in the form the case states it."""
    try:
        parsed = parse_reference(text)
    except InvalidReferenceError as error:
        message = str(error)
        assert message.startswith(f"Invalid image reference {text!r}: ")
        assert message.endswith(".") and "\n" not in message
        if isinstance(expected, Refused) and expected.problem in message:
            return expected
        return Refused(message)
    if isinstance(expected, ImageRef):
        return parsed
    assert parse_reference(str(parsed)) == parsed  # the normalised form parses again
    return str(parsed)


@pytest.mark.parametrize(("source", "test", "text", "expected"), CASES)
def test_case(source: str, test: str, text: str, expected: str | ImageRef | Refused) -> None:
    marked = deviation(source, test, text)
    if marked is not None:
        outcome = _outcome(text, expected)
        assert outcome != expected and str(outcome) == marked.ours
    else:
        assert _outcome(text, expected) == expected


# TestParseRepositoryInfo: (spellings, domain, path, familiar name); every
# spelling gives the same repository.
REPOSITORY_INFO = [
    (["localhost/fooo"], "localhost", "fooo", "localhost/fooo"),
    (["localhost/fooo/bar"], "localhost", "fooo/bar", "localhost/fooo/bar"),
    (["LOCALDOMAIN/fooo"], "LOCALDOMAIN", "fooo", "LOCALDOMAIN/fooo"),
    (["LOCALDOMAIN/fooo/bar"], "LOCALDOMAIN", "fooo/bar", "LOCALDOMAIN/fooo/bar"),
    (
        ["fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar"],
        "docker.io",
        "fooo/bar",
        "fooo/bar",
    ),
    (
        ["ubuntu", "docker.io/library/ubuntu", "library/ubuntu"],
        "docker.io",
        "library/ubuntu",
        "ubuntu",
    ),
    (
        ["nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu"],
        "docker.io",
        "nonlibrary/ubuntu",
        "nonlibrary/ubuntu",
    ),
    (["other/library", "docker.io/other/library"], "docker.io", "other/library", "other/library"),
    (
        ["127.0.0.1:8000/private/moonbase"],
        "127.0.0.1:8000",
        "private/moonbase",
        "127.0.0.1:8000/private/moonbase",
    ),
    (["127.0.0.1:8000/privatebase"], "127.0.0.1:8000", "privatebase", "127.0.0.1:8000/privatebase"),
    (
        ["example.com/private/moonbase"],
        "example.com",
        "private/moonbase",
        "example.com/private/moonbase",
    ),
    (["example.com/privatebase"], "example.com", "privatebase", "example.com/privatebase"),
    (
        ["example.com:8000/private/moonbase"],
        "example.com:8000",
        "private/moonbase",
        "example.com:8000/private/moonbase",
    ),
    (
        ["example.com:8000/privatebasee"],
        "example.com:8000",
        "privatebasee",
        "example.com:8000/privatebasee",
    ),
    (
        [
            "ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base",
            "index.docker.io/library/ubuntu-12.04-base",
        ],
        "docker.io",
        "library/ubuntu-12.04-base",
        "ubuntu-12.04-base",
    ),
    (["foo", "docker.io/library/foo", "docker.io/foo"], "docker.io", "library/foo", "foo"),
    (
        ["library/foo/bar", "docker.io/library/foo/bar"],
        "docker.io",
        "library/foo/bar",
        "library/foo/bar",
    ),
    (["store/foo/bar", "docker.io/store/foo/bar"], "docker.io", "store/foo/bar", "store/foo/bar"),
    (["Foo/bar"], "Foo", "bar", "Foo/bar"),
    (["FOO/bar"], "FOO", "bar", "FOO/bar"),
]


@pytest.mark.parametrize(
    ("text", "domain", "path", "familiar"),
    [(s, d, p, f) for spellings, d, p, f in REPOSITORY_INFO for s in spellings],
)
def test_parse_repository_info(text: str, domain: str, path: str, familiar: str) -> None:
    """normalize_test.go TestParseRepositoryInfo."""
    parsed = parse_reference(text)
    assert (parsed.domain, parsed.path, parsed.tag, parsed.digest) == (domain, path, "latest", None)
    assert parsed.name == f"{domain}/{path}"
    assert parsed.familiar_name == familiar


@pytest.mark.parametrize("text", [HEX64, f"sha256:{HEX64}"])
def test_parse_any_reference_ids(text: str) -> None:
    """normalize_test.go TestParseAnyReference: an image id is an id, never a repository."""
    assert is_image_id(text)
    if ":" not in text:  # with its algorithm, it reads as the image "sha256" at a tag
        with pytest.raises(InvalidReferenceError):
            parse_reference(text)


def test_parse_reference_with_tag_and_digest_names() -> None:
    """normalize_test.go TestParseReferenceWithTagAndDigest: the familiar form keeps both."""
    parsed = parse_reference(f"busybox:latest@{BUSYBOX_DIGEST}")
    assert (parsed.tag, parsed.digest) == ("latest", BUSYBOX_DIGEST)
    assert parsed.familiar == f"busybox:latest@{BUSYBOX_DIGEST}"
    assert parsed.is_pinned


# reference_test.go TestWithTag: (name, digest, tag, combined); WithTag's tag grammar
# (ErrTagInvalidFormat) for the rest. with_tag moves an image to another tag, so it drops
# a digest where Go's WithTag keeps it (deviations.py).
WITH_TAG = [
    ("test.com/foo", "", "tag", "test.com/foo:tag"),
    ("foo", "", "tag2", "foo:tag2"),
    ("test.com:8000/foo", "", "tag4", "test.com:8000/foo:tag4"),
    ("test.com:8000/foo", "", "TAG5", "test.com:8000/foo:TAG5"),
    (
        "test.com:8000/foo",
        "sha256:1234567890098765432112345667890098765",
        "TAG5",
        "test.com:8000/foo:TAG5@sha256:1234567890098765432112345667890098765",
    ),
]


@pytest.mark.parametrize(("name", "digest", "tag", "combined"), WITH_TAG)
def test_with_tag(name: str, digest: str, tag: str, combined: str) -> None:
    """reference_test.go TestWithTag."""
    # Go's WithDigest takes this short digest unchecked; our parser would refuse it.
    named = parse_reference(name)
    ref = ImageRef(named.domain, named.path, None, digest or None).with_tag(tag)
    marked = deviation(REFERENCE, "TestWithTag", combined)
    expected = parse_reference(combined) if marked is None else parse_reference(marked.ours)
    assert ref == expected
    assert parse_reference(ref.familiar) == ref


@pytest.mark.parametrize(
    "tag", ["-foo", ".foo", "", "a b", "a:b", "a/b", "a@b", "é", "x" * 129, "tag\n"]
)
def test_with_tag_refuses_what_does_not_parse_back(tag: str) -> None:
    """WithTag's ErrTagInvalidFormat: one sentence naming the tag and the repository."""
    with pytest.raises(InvalidReferenceError) as raised:
        parse_reference("test.com/foo:1").with_tag(tag)
    message = str(raised.value)
    assert message.startswith("The tag ") and "test.com/foo" in message
    assert message.endswith(".") and message.count(". ") == 0, message
    assert "\n" not in message


@given(tag=st.from_regex(r"\w[\w.-]{0,127}", fullmatch=True).filter(str.isascii))
def test_with_tag_parses_back_for_every_valid_tag(tag: str) -> None:
    """Any tag of the grammar: the reference with it reads back as itself."""
    ref = parse_reference(f"test.com:8000/foo@{FFFF}").with_tag(tag)
    assert (ref.tag, ref.digest) == (tag, None)
    assert parse_reference(str(ref)) == ref
    assert parse_reference(ref.familiar) == ref
