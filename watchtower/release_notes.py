"""Where to read what changed between two versions: a link, never fetched.

:func:`notes_url` makes it from a container's
``com.centurylinklabs.watchtower.release-notes`` label (a URL template), or
else from the new image's ``org.opencontainers.image.source`` label, for the
forges whose pages have a known shape: GitHub, GitLab, Codeberg and other
Gitea or Forgejo hosts. A release page when the new version is known, a
compare page between the two revisions when only those are. Nothing here
does I/O: the link is made from the labels alone.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from .versions import Version

__all__ = ["PLACEHOLDERS", "notes_url", "source_repository", "template_problem"]

PLACEHOLDERS = ("{version}", "{old_version}", "{revision}", "{old_revision}", "{tag}")
"""What a release-notes label's template may contain, each replaced by a label's value."""

# Hosts whose URL shape is known, by host; other hosts that call themselves
# Gitea or Forgejo cannot be told apart by name, so only these are derived.
_GITHUB = "github"
_GITLAB = "gitlab"
_GITEA = "gitea"
_FORGES = {
    "github.com": _GITHUB,
    "www.github.com": _GITHUB,
    "gitlab.com": _GITLAB,
    "www.gitlab.com": _GITLAB,
    "codeberg.org": _GITEA,
    "gitea.com": _GITEA,
}
_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+\.[a-z]{2,}):(?P<path>[^/][^:]*)$", re.I)
_SEGMENT = re.compile(r"^[\w.~-]+$")
_REVISION = re.compile(r"^[0-9a-f]{7,64}$", re.I)
_LIMIT = 2048


def _value(text: str) -> str:
    """A label's value made safe inside a URL's path or query."""
    return quote(text, safe="+")


def source_repository(source: str) -> tuple[str, str, str] | None:
    """The forge kind, host and ``owner/repo`` path that ``source`` names, if it is a known forge.

    ``https://github.com/o/r``, ``git+https://github.com/o/r.git``,
    ``git@github.com:o/r.git`` and ``github.com/o/r/tree/main`` all name
    ``("github", "github.com", "o/r")``. GitLab keeps its groups
    (``group/sub/repo``), up to its ``/-/`` pages.
    """
    text = source.strip()
    if not text or len(text) > _LIMIT:
        return None
    scp = _SCP.match(text)
    if scp and "://" not in text:
        host, path = scp["host"], scp["path"]
    else:
        text = text.removeprefix("git+")
        if "://" not in text:
            text = "https://" + text
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").lower()
        except ValueError:
            return None
        if parts.scheme not in ("http", "https", "ssh", "git"):
            return None
        path = parts.path
    host = host.lower()
    kind = _FORGES.get(host)
    if kind is None:
        return None
    segments = [s for s in path.split("/") if s]
    if kind == _GITLAB:
        segments = segments[: segments.index("-")] if "-" in segments else segments
    else:
        segments = segments[:2]
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    if len(segments) < 2 or not all(_SEGMENT.match(s) and s.strip(".") for s in segments):
        return None
    return kind, host.removeprefix("www."), "/".join(segments)


def _derived(old: Version | None, new: Version) -> str:
    found = source_repository(new.source)
    if found is None:
        return ""
    kind, host, path = found
    base = f"https://{host}/{path}"
    dash = "/-" if kind == _GITLAB else ""
    if new.version:
        return f"{base}{dash}/releases{'' if kind == _GITLAB else '/tag'}/{_value(new.version)}"
    if (
        old is not None
        and old.revision != new.revision
        and _REVISION.match(old.revision)
        and _REVISION.match(new.revision)
    ):
        return f"{base}{dash}/compare/{old.revision}...{new.revision}"
    return ""


def template_problem(template: str) -> str:
    """Why a release-notes template cannot make a link, in a few words; empty when it can."""
    text = template.strip()
    if len(text) > _LIMIT:
        return f"is longer than {_LIMIT} characters"
    try:
        parts = urlsplit(text)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http or https URL"
    if "{" in parts.netloc:
        # The host is the label's, never the image's: an image cannot send readers elsewhere.
        return "has a placeholder in its host"
    return ""


def notes_url(old: Version | None, new: Version, template: str = "") -> str:
    """The link to what changed from ``old`` to ``new``; empty when none can be made.

    ``template`` (a container's release-notes label) comes first: each of
    :data:`PLACEHOLDERS` in it is replaced by the labels' value (URL-quoted),
    and it is used when it is an http or https URL
    (:func:`template_problem`) and every placeholder it names has a
    value. Otherwise the link is derived from
    ``new.source``: the release page of ``new.version``
    (``https://github.com/o/r/releases/tag/1.25.4``, GitLab's
    ``/-/releases/1.25.4``), or, with no version, the compare page of the
    two revisions (``/compare/abc1234...def5678``). Never raises.
    """
    if template.strip() and not template_problem(template):
        values = {
            "{version}": new.version or new.tag,
            "{old_version}": (old.version or old.tag) if old is not None else "",
            "{revision}": new.revision,
            "{old_revision}": old.revision if old is not None else "",
            "{tag}": new.tag,
        }
        text = template.strip()
        # A placeholder without a value would make a link to the wrong page.
        if all(value or placeholder not in text for placeholder, value in values.items()):
            for placeholder, value in values.items():
                text = text.replace(placeholder, _value(value))
            return text
    return _derived(old, new)
