"""Image reference parsing: our own cases, and properties against Docker's grammar.

The cases of distribution's reference tests are in
tests/conformance/test_reference.py; the grammar property runs over them too.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.conformance.test_reference import CASES as CONFORMANCE
from watchtower import ImageRef, InvalidReferenceError, parse_reference
from watchtower.reference import is_image_id

HEX64 = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
FFFF = "sha256:" + "f" * 64
BUSYBOX_DIGEST = "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
IMAGE_ID = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"


def ref(domain: str, path: str, tag: str | None = "latest", digest: str | None = None) -> ImageRef:
    return ImageRef(domain, path, tag, digest)


# --- valid references --------------------------------------------------------

# Our own valid rows, beyond the Go tables (which are in
# tests/conformance/test_reference.py): (input, domain, path, tag, digest).
OWN_VALID = [
    ("localhost:5000/app:v1", "localhost:5000", "app", "v1", None),
    ("localhost", "docker.io", "library/localhost", "latest", None),
    ("localhost:5000", "docker.io", "library/localhost", "5000", None),
    ("ghcr.io/owner/app", "ghcr.io", "owner/app", "latest", None),
    ("a" * 247, "docker.io", "library/" + "a" * 247, "latest", None),
    ("nginx:" + "t" * 128, "docker.io", "library/nginx", "t" * 128, None),
    ("nginx:_x", "docker.io", "library/nginx", "_x", None),
    # ParseNormalizedNamed reads an image id with its algorithm as the
    # Docker Hub image "sha256" at a tag; callers check is_image_id first.
    (f"sha256:{HEX64}", "docker.io", "library/sha256", HEX64, None),
    (f"{HEX64}:latest", "docker.io", f"library/{HEX64}", "latest", None),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), OWN_VALID)
def test_own_valid(text: str, domain: str, path: str, tag: str | None, digest: str | None) -> None:
    assert parse_reference(text) == ImageRef(domain, path, tag, digest)


def test_digest_only_has_no_tag() -> None:
    parsed = parse_reference(f"busybox@{BUSYBOX_DIGEST}")
    assert parsed.tag is None
    assert parsed.digest == BUSYBOX_DIGEST
    assert parsed.familiar == f"busybox@{BUSYBOX_DIGEST}"


# --- invalid references -------------------------------------------------------

# Our own invalid rows, beyond the Go tables: (input, what the message must say).
INVALID = [
    ("a" * 250, "258 characters long"),
    (" nginx", "whitespace"),
    ("nginx ", "whitespace"),
    ("nginx\n", "whitespace"),
    ("ngi\tnx", "whitespace"),
    ("nginx:", "tag ''"),
    ("nginx:" + "t" * 129, "is not valid (up to 128"),
    ("nginx:.x", "tag '.x'"),
    ("nginx:a:b", "tag 'a:b'"),
    ("nginx:\u00e4", "tag '\u00e4'"),
    ("\u00f1ginx", "component '\u00f1ginx'"),
    ("nginx@", "digest ''"),
    ("nginx@sha256:abc", "digest 'sha256:abc'"),
    (f"nginx@{FFFF}@{FFFF}", "is not valid (expected algorithm:hex"),
    ("nginx@sha256:" + "F" * 64, "sha256 needs 64 lowercase"),
    ("nginx@sha256:" + "f" * 65, "sha256 needs 64 lowercase"),
    ("nginx@sha384:" + "f" * 64, "sha384 needs 96"),
    ("nginx@md5:" + "f" * 32, "algorithm 'md5' is not supported"),
    ("/nginx", "empty path component"),
    ("Nginx", "'Nginx' must be lowercase"),
    ("my_host.example/app", "registry host 'my_host.example'"),
    ("host:port/app", "registry host 'host:port'"),
    ("MY_HOST/app", "registry host 'MY_HOST'"),
    ("localhost/", "no repository name"),
]


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_invalid_references(text: str, problem: str) -> None:
    with pytest.raises(InvalidReferenceError) as caught:
        parse_reference(text)
    message = str(caught.value)
    assert problem in message
    assert_one_sentence_naming(message, text)


def assert_one_sentence_naming(message: str, text: str) -> None:
    if len(text) <= 512:
        assert message.startswith(f"Invalid image reference {text!r}: ")
    else:
        shown = f"{text[:512]!r}... ({len(text)} characters)"
        assert message.startswith(f"Invalid image reference {shown}: ")
    assert message.endswith(".")
    assert "\n" not in message


def test_invalid_reference_is_a_configuration_error() -> None:
    from watchtower import ConfigurationError

    with pytest.raises(ConfigurationError):
        parse_reference("UPPER")
    with pytest.raises(ValueError):
        parse_reference("UPPER")


# --- image ids ----------------------------------------------------------------

IMAGE_IDS = [
    (HEX64, True),
    (f"sha256:{HEX64}", True),
    (IMAGE_ID, True),
    (HEX64[:-1], False),
    (HEX64 + "0", False),
    (HEX64.upper(), False),
    (f"sha512:{HEX64}", False),
    (f"sha256:{HEX64}\n", False),
    ("nginx", False),
    ("dbcc1", False),
    (f"docker.io/{HEX64}", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "expected"), IMAGE_IDS)
def test_image_ids(text: str, expected: bool) -> None:
    assert is_image_id(text) is expected


def test_a_bare_image_id_is_not_a_reference() -> None:
    assert is_image_id(HEX64)
    with pytest.raises(InvalidReferenceError):
        parse_reference(HEX64)


# --- ImageRef's names ---------------------------------------------------------

NAMES = [
    # (reference, name, familiar_name, familiar)
    (ref("docker.io", "library/nginx"), "docker.io/library/nginx", "nginx", "nginx:latest"),
    (ref("docker.io", "user/app", "v1"), "docker.io/user/app", "user/app", "user/app:v1"),
    (
        ref("docker.io", "library/a/b"),
        "docker.io/library/a/b",
        "library/a/b",
        "library/a/b:latest",
    ),
    (
        ref("ghcr.io", "o/a", None, FFFF),
        "ghcr.io/o/a",
        "ghcr.io/o/a",
        f"ghcr.io/o/a@{FFFF}",
    ),
    (
        ref("localhost:5000", "library/app", "1", FFFF),
        "localhost:5000/library/app",
        "localhost:5000/library/app",
        f"localhost:5000/library/app:1@{FFFF}",
    ),
    # A Docker Hub path whose first component reads as a host keeps its
    # registry, so that the familiar form parses back to the same reference.
    (
        ref("docker.io", "example.com/app"),
        "docker.io/example.com/app",
        "docker.io/example.com/app",
        "docker.io/example.com/app:latest",
    ),
    (
        ref("docker.io", "localhost/app"),
        "docker.io/localhost/app",
        "docker.io/localhost/app",
        "docker.io/localhost/app:latest",
    ),
    (
        ref("docker.io", "localhostx/app"),
        "docker.io/localhostx/app",
        "localhostx/app",
        "localhostx/app:latest",
    ),
    (ref("docker.io", "library/a.b"), "docker.io/library/a.b", "a.b", "a.b:latest"),
]


@pytest.mark.parametrize(("image", "name", "familiar_name", "familiar"), NAMES)
def test_names(image: ImageRef, name: str, familiar_name: str, familiar: str) -> None:
    assert image.name == name
    assert image.familiar_name == familiar_name
    assert image.familiar == familiar
    assert parse_reference(familiar) == image
    assert parse_reference(str(image)) == image


def test_with_tag_drops_the_digest() -> None:
    pinned = parse_reference(f"nginx:1.25@{FFFF}")
    assert pinned.with_tag("1.26") == parse_reference("nginx:1.26")


# --- properties ---------------------------------------------------------------

_domain_label = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?", fullmatch=True)
_port = st.integers(min_value=0, max_value=65535).map(lambda p: f":{p}")
_ipv6 = st.from_regex(r"\[[a-fA-F0-9:]{0,10}:[a-fA-F0-9:]{0,10}\]", fullmatch=True)
_dotted = st.lists(_domain_label, min_size=2, max_size=4).map(".".join)
_upper_label = _domain_label.filter(lambda label: label.lower() != label)

domains = st.one_of(
    st.just("docker.io"),
    st.just("localhost"),
    st.tuples(st.sampled_from(["localhost", "registry"]), _port).map("".join),
    _dotted.filter(lambda d: d != "index.docker.io"),
    st.tuples(_dotted, _port).map("".join),
    st.tuples(_domain_label, _port).map("".join),
    _ipv6,
    st.tuples(_ipv6, _port).map("".join),
    _upper_label,
)
_component = st.from_regex(r"[a-z0-9]{1,6}(?:(?:[._]|__|-{1,3})[a-z0-9]{1,6}){0,3}", fullmatch=True)
paths = st.lists(_component, min_size=1, max_size=4).map("/".join)
tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", fullmatch=True)
digests = st.one_of(
    st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex()),
    st.binary(min_size=48, max_size=48).map(lambda b: "sha384:" + b.hex()),
    st.binary(min_size=64, max_size=64).map(lambda b: "sha512:" + b.hex()),
)
tag_and_digest = st.one_of(
    st.tuples(tags, st.none()),
    st.tuples(st.none(), digests),
    st.tuples(tags, digests),
)


@st.composite
def image_refs(draw: st.DrawFn) -> ImageRef:
    """Normalised references: what parse_reference can return."""
    domain = draw(domains)
    path = draw(paths)
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    assume(len(path) <= 255)
    tag, digest = draw(tag_and_digest)
    return ImageRef(domain, path, tag, digest)


@given(image_refs())
@example(ImageRef("docker.io", "example.com/app"))
@example(ImageRef("docker.io", "localhost/app", None, FFFF))
@example(ImageRef("docker.io", f"library/{HEX64}", None, FFFF))
@example(ImageRef("Foo", "bar"))
@example(ImageRef("[::1]:5000", "a/b"))
def test_round_trip(image: ImageRef) -> None:
    assert parse_reference(str(image)) == image
    assert parse_reference(image.familiar) == image
    assert_agrees_with_docker(image.familiar, image)


# Text from the characters references are made of, so that deep paths of the
# parser are reached more often than with arbitrary text.
reference_like = st.text(alphabet="abAB09:/@._-[]%sh256 \n", max_size=40)


@given(st.one_of(st.text(max_size=80), reference_like))
@example("sha256:" + "a" * 64)
@example("a" * 300)
@example("A" * 600)
@example("x:" + "t" * 600)
def test_parse_raises_only_invalid_reference_error(text: str) -> None:
    try:
        parsed = parse_reference(text)
    except InvalidReferenceError as error:
        assert_one_sentence_naming(str(error), text)
    else:
        # What it accepts, it accepts again in both long and short forms.
        assert parse_reference(str(parsed)) == parsed
        assert parse_reference(parsed.familiar) == parsed
        assert_agrees_with_docker(text, parsed)


@given(reference_like)
def test_parse_agrees_with_docker_grammar(text: str) -> None:
    try:
        parsed: ImageRef | None = parse_reference(text)
    except InvalidReferenceError:
        parsed = None
    assert_agrees_with_docker(text, parsed)


# An independent transcription of ParseNormalizedNamed and TagNameOnly, step
# by step, over distribution's single reference regular expression: the
# oracle for the property above.
_G_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_G_REMOTE = rf"{_G_PATH_COMPONENT}(?:/{_G_PATH_COMPONENT})*"
_G_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_G_DOMAIN = (
    rf"(?:{_G_DOMAIN_COMPONENT}(?:\.{_G_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])(?::[0-9]+)?"
)
_G_NAME = rf"(?:{_G_DOMAIN}/)?{_G_REMOTE}"
_G_REFERENCE = re.compile(
    rf"^({_G_NAME})(?::([\w][\w.-]{{0,127}}))?"
    r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}))?\Z",
    re.ASCII,
)
_G_ANCHORED_NAME = re.compile(rf"^(?:({_G_DOMAIN})/)?({_G_REMOTE})\Z", re.ASCII)
_G_DIGEST_SIZES = {"sha256": 64, "sha384": 96, "sha512": 128}


def docker_parse(text: str) -> tuple[str, str, str | None, str | None] | None:
    if re.fullmatch(r"[a-f0-9]{64}", text):
        return None
    first, slash, rest = text.partition("/")
    if not slash:
        domain, remainder = "docker.io", "library/" + text
    elif first == "localhost" or re.search("[.:]", first) or first.lower() != first:
        domain, remainder = ("docker.io" if first == "index.docker.io" else first), rest
    else:
        domain, remainder = "docker.io", text
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        return None
    match = _G_REFERENCE.match(f"{domain}/{remainder}")
    if match is None:
        return None
    name, tag, digest = match.groups()
    name_match = _G_ANCHORED_NAME.match(name)
    assert name_match is not None
    parsed_domain, path = name_match.group(1) or "", name_match.group(2)
    if len(path) > 255:
        return None
    if digest is not None:
        algorithm, _, encoded = digest.partition(":")
        size = _G_DIGEST_SIZES.get(algorithm)
        if size is None or len(encoded) != size or not re.fullmatch("[a-f0-9]+", encoded):
            return None
    if tag is None and digest is None:
        tag = "latest"
    return parsed_domain, path, tag, digest


def assert_agrees_with_docker(text: str, parsed: ImageRef | None) -> None:
    expected = docker_parse(text)
    if expected is not None and expected[0] == "":
        # Docker keeps an invalid host as part of a registry-less path
        # ("my_host.example/app"); watchtower rejects it instead.
        assert parsed is None
        return
    if expected is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed.domain, parsed.path, parsed.tag, parsed.digest) == expected


@pytest.mark.parametrize(
    "text",
    [t for t, *_ in OWN_VALID] + [t for t, _ in INVALID] + [p.values[2] for p in CONFORMANCE],
)
def test_tables_agree_with_docker_grammar(text: str) -> None:
    try:
        parsed: ImageRef | None = parse_reference(text)
    except InvalidReferenceError:
        parsed = None
    assert_agrees_with_docker(text, parsed)
