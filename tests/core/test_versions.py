"""Versions: reading an image's OCI labels (table), and showing a move (table, properties)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower.model import ImageRef
from watchtower.versions import (
    CREATED,
    REVISION,
    SOURCE,
    URL,
    VERSION,
    Version,
    change,
    repo_digest,
    short_digest,
    shown,
)

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def test_the_oci_labels_are_read() -> None:
    """Each of the five labels lands in its field; tag and digest are the caller's."""
    labels = {
        VERSION: " 1.25.4 ",
        REVISION: "abc1234",
        SOURCE: "https://github.com/nginx/nginx",
        URL: "https://nginx.org",
        CREATED: "2026-01-01T00:00:00Z",
        "other": "x",
    }
    version = Version.read(labels, tag="1.25", digest=A)
    assert version == Version(
        version="1.25.4",
        revision="abc1234",
        source="https://github.com/nginx/nginx",
        url="https://nginx.org",
        created="2026-01-01T00:00:00Z",
        tag="1.25",
        digest=A,
    )
    assert version.to_dict() == {
        "version": "1.25.4",
        "revision": "abc1234",
        "source": "https://github.com/nginx/nginx",
        "url": "https://nginx.org",
        "created": "2026-01-01T00:00:00Z",
        "shown": "1.25.4",
    }


def test_a_runaway_label_is_cut() -> None:
    """A label of a megabyte is not carried into every report."""
    assert len(Version.read({VERSION: "9" * 1_000_000}).version) == 256


@pytest.mark.parametrize(
    ("version", "shows"),
    [
        (Version(version="1.25.4", tag="1.25", digest=A), "1.25.4"),
        (Version(tag="1.25.4", digest=A), "1.25.4"),
        (Version(digest=A), "aaaaaaaaaaaa"),
        (Version(digest="a" * 64), "aaaaaaaaaaaa"),
        (Version(), ""),
        (Version(revision="abc1234", digest=B), "bbbbbbbbbbbb"),
    ],
)
def test_shown_is_the_version_else_the_tag_else_the_short_digest(
    version: Version, shows: str
) -> None:
    """The first of the three that is known."""
    assert version.shown == shows


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            Version(version="1.25.3", digest=A),
            Version(version="1.25.4", digest=B),
            "1.25.3 -> 1.25.4",
        ),
        (Version(tag="1.0.0", digest=A), Version(tag="1.0.1", digest=B), "1.0.0 -> 1.0.1"),
        (Version(digest=A), Version(digest=B), "aaaaaaaaaaaa -> bbbbbbbbbbbb"),
        (Version(digest=A), Version(version="2.0", digest=B), "aaaaaaaaaaaa -> 2.0"),
        # A rebuild under the same version: the digests tell them apart.
        (
            Version(version="1.0", digest=A),
            Version(version="1.0", digest=B),
            "1.0@aaaaaaaaaaaa -> 1.0@bbbbbbbbbbbb",
        ),
        (Version(version="1.0", digest=A), Version(version="1.0", digest=A), "1.0 -> 1.0"),
        (None, Version(version="1.0"), ""),
        (Version(version="1.0"), None, ""),
        (Version(), Version(version="1.0"), ""),
    ],
)
def test_change_shows_the_move(old: Version | None, new: Version | None, words: str) -> None:
    """``old -> new``, or nothing when a side is unknown."""
    assert change(old, new) == words


@pytest.mark.parametrize(
    ("digests", "ref", "digest"),
    [
        ((f"nginx@{A}",), ImageRef("docker.io", "library/nginx"), A),
        ((f"docker.io/library/nginx@{A}",), ImageRef("docker.io", "library/nginx"), A),
        ((f"other/app@{B}", f"127.0.0.1:5000/app@{A}"), ImageRef("127.0.0.1:5000", "app"), A),
        ((f"other/app@{B}",), ImageRef("127.0.0.1:5000", "app"), B),
        (("nginx",), ImageRef("docker.io", "library/nginx"), ""),
        ((), ImageRef("docker.io", "library/nginx"), ""),
    ],
)
def test_the_repo_digest_of_a_repository(
    digests: tuple[str, ...], ref: ImageRef, digest: str
) -> None:
    """Docker's short names and the full ones both match; another repository's is a fallback."""
    assert repo_digest(digests, ref) == digest


versions = st.builds(
    Version,
    version=st.text(max_size=8),
    tag=st.text(max_size=8),
    digest=st.one_of(st.just(""), st.just(A), st.just(B), st.text(max_size=20)),
)


@given(st.one_of(st.none(), versions), st.one_of(st.none(), versions))
def test_change_never_raises_and_names_both_sides(old: Version | None, new: Version | None) -> None:
    """Either nothing, or the two shown sides with an arrow; a known side is never lost."""
    words = change(old, new)
    before, after = shown(old, new)
    if words:
        assert words == f"{before} -> {after}"
        assert old is not None and new is not None
        assert before.startswith(old.shown) and after.startswith(new.shown)
    else:
        assert not before or not after


@given(st.text())
def test_short_digest_is_at_most_twelve_characters(text: str) -> None:
    """Whatever the digest's form."""
    assert len(short_digest(text)) <= 12
