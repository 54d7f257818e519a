"""Release-note links: from a label's template or the source repository (table, properties)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower import labels as L
from watchtower.model import Container, ImageRef
from watchtower.params import UpdateParams
from watchtower.release_notes import notes_url, source_repository, template_problem
from watchtower.settings import ContainerSettings
from watchtower.versions import Version

OLD, NEW = "1111111aaaa", "2222222bbbb"


@pytest.mark.parametrize(
    ("source", "version", "revisions", "url"),
    [
        # GitHub: the release page of the new version, in every form a source takes.
        ("https://github.com/nginx/nginx", "1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/1.25.4"),
        ("https://github.com/nginx/nginx.git", "1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/1.25.4"),
        ("git+https://github.com/nginx/nginx.git", "1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/1.25.4"),
        ("git@github.com:nginx/nginx.git", "v1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/v1.25.4"),
        ("ssh://git@github.com/nginx/nginx", "1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/1.25.4"),
        ("http://www.github.com/nginx/nginx/", "1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/1.25.4"),
        ("github.com/nginx/nginx/tree/main/docker", "1.25.4", None,
         "https://github.com/nginx/nginx/releases/tag/1.25.4"),
        ("https://github.com:443/o/r", "1.0", None, "https://github.com/o/r/releases/tag/1.0"),
        ("HTTPS://GitHub.com/Nginx/Nginx", "1.25.4", None,
         "https://github.com/Nginx/Nginx/releases/tag/1.25.4"),
        # Without a version: the compare page of the two revisions.
        ("https://github.com/o/r", "", (OLD, NEW), f"https://github.com/o/r/compare/{OLD}...{NEW}"),
        ("https://github.com/o/r", "", (NEW, NEW), ""),
        ("https://github.com/o/r", "", ("", NEW), ""),
        ("https://github.com/o/r", "", ("main", "dev"), ""),
        # GitLab keeps its groups, up to its /-/ pages.
        ("https://gitlab.com/g/sub/r", "2.0", None, "https://gitlab.com/g/sub/r/-/releases/2.0"),
        ("https://gitlab.com/g/r/-/tree/main", "2.0", None, "https://gitlab.com/g/r/-/releases/2.0"),
        ("git@gitlab.com:g/r.git", "", (OLD, NEW), f"https://gitlab.com/g/r/-/compare/{OLD}...{NEW}"),
        # Codeberg and gitea.com: Gitea's shapes.
        ("https://codeberg.org/o/r", "3.1", None, "https://codeberg.org/o/r/releases/tag/3.1"),
        ("https://gitea.com/o/r.git", "", (OLD, NEW), f"https://gitea.com/o/r/compare/{OLD}...{NEW}"),
        # A version is quoted into the path, never spliced raw.
        ("https://github.com/o/r", "1.0 beta/../x", None,
         "https://github.com/o/r/releases/tag/1.0%20beta%2F..%2Fx"),
        # Nothing to derive.
        ("https://example.org/o/r", "1.0", None, ""),
        ("https://github.com/o", "1.0", None, ""),
        ("https://github.com/", "1.0", None, ""),
        ("", "1.0", None, ""),
        ("ftp://github.com/o/r", "1.0", None, ""),
        ("https://github.com/o/r", "", None, ""),
        ("https://[::1/o/r", "1.0", None, ""),
        ("https://github.com/../..", "1.0", None, ""),
    ],
)  # fmt: skip
def test_the_link_derived_from_the_source(
    source: str, version: str, revisions: tuple[str, str] | None, url: str
) -> None:
    """A known forge's release or compare page; nothing for anything else."""
    old_revision, new_revision = revisions or ("", "")
    old = Version(version="0.9", revision=old_revision)
    new = Version(version=version, revision=new_revision, source=source)
    assert notes_url(old, new) == url


@pytest.mark.parametrize(
    ("template", "url"),
    [
        ("https://example.org/changes/{version}", "https://example.org/changes/1.25.4"),
        (
            "https://example.org/diff?from={old_version}&to={version}",
            "https://example.org/diff?from=1.25.3&to=1.25.4",
        ),
        ("https://example.org/{old_revision}..{revision}", f"https://example.org/{OLD}..{NEW}"),
        ("https://example.org/t/{tag}", "https://example.org/t/1.25"),
        ("  http://example.org/notes  ", "http://example.org/notes"),
        # Not a URL, or a placeholder without a value: the source's link instead.
        ("example.org/{version}", "https://github.com/o/r/releases/tag/1.25.4"),
        ("javascript:alert(1)", "https://github.com/o/r/releases/tag/1.25.4"),
        ("https://example.org/{url}", "https://example.org/{url}"),
        ("https://example.org/{created}", "https://example.org/{created}"),
    ],
)
def test_a_label_template_comes_first(template: str, url: str) -> None:
    """Its placeholders take the labels' values; an unusable template falls back."""
    old = Version(version="1.25.3", revision=OLD)
    new = Version(version="1.25.4", revision=NEW, source="https://github.com/o/r", tag="1.25")
    assert notes_url(old, new, template) == url


def test_a_placeholder_without_a_value_falls_back() -> None:
    """No old version known: a link with an empty gap would go to the wrong page."""
    new = Version(version="2.0", source="https://github.com/o/r")
    assert notes_url(None, new, "https://example.org/{old_version}...{version}") == (
        "https://github.com/o/r/releases/tag/2.0"
    )
    assert notes_url(None, Version(version="2.0"), "https://x.org/{old_version}") == ""


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("https://example.org/{version}", ""),
        ("http://example.org", ""),
        ("example.org/notes", "is not an http or https URL"),
        ("file:///etc/passwd", "is not an http or https URL"),
        ("https://", "is not an http or https URL"),
        ("https://[::1", "is not a URL"),
        ("https://{version}.example.org/", "has a placeholder in its host"),
        ("https://example.org/" + "x" * 3000, "is longer than 2048 characters"),
    ],
)
def test_template_problems(template: str, problem: str) -> None:
    """Why a label's template is ignored, in words for a sentence."""
    assert template_problem(template) == problem


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("https://github.com/o/r", ("github", "github.com", "o/r")),
        ("git@codeberg.org:o/r.git", ("gitea", "codeberg.org", "o/r")),
        ("https://gitlab.com/a/b/c/d.git", ("gitlab", "gitlab.com", "a/b/c/d")),
        ("https://bitbucket.org/o/r", None),
        ("https://github.com/o/r%2F..", None),
    ],
)
def test_source_repository(source: str, found: tuple[str, str, str] | None) -> None:
    """The forge, host and repository path, or None."""
    assert source_repository(source) == found


FORGES = ("github.com", "gitlab.com", "codeberg.org", "gitea.com", "example.org")
sources = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, path: f"{scheme}{host}/{path}",
        st.sampled_from(["https://", "http://", "git+https://", "ssh://git@", "", "git@"]),
        st.sampled_from(FORGES),
        st.text(max_size=30),
    ),
)
versions = st.builds(
    Version,
    version=st.text(max_size=12),
    revision=st.one_of(st.text(max_size=12), st.sampled_from([OLD, NEW])),
    source=sources,
    tag=st.text(max_size=8),
)


templates = st.one_of(
    st.just(""),
    st.text(max_size=40),
    st.builds(
        lambda host, path: f"https://{host}/{path}",
        st.sampled_from(["example.org", "{version}.example.org", "example.org:8080"]),
        st.lists(
            st.sampled_from(["{version}", "{old_version}", "{tag}", "{revision}", "x", "?a="])
        ).map("".join),
    ),
)


@given(st.one_of(st.none(), versions), versions, templates)
def test_a_link_is_empty_or_https_on_the_sources_host(
    old: Version | None, new: Version, template: str
) -> None:
    """Never raises; a derived link is https on the forge the source names."""
    url = notes_url(old, new, template)
    if url and not (template.strip() and not template_problem(template)):
        parts = urlsplit(url)
        assert parts.scheme == "https"
        found = source_repository(new.source)
        assert found is not None
        assert parts.hostname == found[1]
        assert parts.path.startswith(f"/{found[2]}/")
    elif url:
        assert urlsplit(url).scheme in ("http", "https")
        assert urlsplit(url).hostname == urlsplit(template.strip()).hostname


def test_an_unusable_release_notes_label_is_reported_once() -> None:
    """One sentence naming the container and the label; the derived link is used instead."""

    def read(value: str) -> ContainerSettings:
        container = Container(
            id="c", name="web", image=ImageRef("docker.io", "library/nginx"), image_id="i",
            labels={L.RELEASE_NOTES: value},
        )  # fmt: skip
        return ContainerSettings.read(container, UpdateParams())

    good = read(" https://example.org/{version} ")
    assert (good.release_notes, good.problems) == ("https://example.org/{version}", ())
    bad = read("notes.example.org")
    assert bad.release_notes == ""
    assert bad.problems == (
        f"Container 'web' has label {L.RELEASE_NOTES}='notes.example.org', which is not an "
        "http or https URL; the link its image's labels give is used instead.",
    )
