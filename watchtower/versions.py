"""What version an image is: read from its OCI labels, shown as a person reads it.

Images built with the OCI annotations carry ``org.opencontainers.image.version``
(``1.25.4``), ``.revision`` (a commit), ``.source`` (the repository's URL),
``.url`` and ``.created``. :class:`Version` holds them; where an image has no
version label, the tag a tag rule moved it to and then its short digest stand
in, so a report always has something to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from .model import ImageRef

__all__ = [
    "CREATED",
    "REVISION",
    "SOURCE",
    "URL",
    "VERSION",
    "Version",
    "change",
    "named_pair",
    "repo_digest",
    "short_digest",
    "shown",
]

_OCI = "org.opencontainers.image"
VERSION = f"{_OCI}.version"
REVISION = f"{_OCI}.revision"
SOURCE = f"{_OCI}.source"
URL = f"{_OCI}.url"
CREATED = f"{_OCI}.created"

# A label is the image author's text: a runaway one is cut, not carried into every report.
_LIMIT = 256


def _label(labels: Mapping[str, str], key: str) -> str:
    value = labels.get(key)
    return str(value).strip()[:_LIMIT] if value else ""


def short_digest(digest: str) -> str:
    """The first 12 hex characters of a digest, without ``sha256:``; empty for none."""
    return digest.partition(":")[2][:12] if ":" in digest else digest[:12]


@frozen(kw_only=True)
class Version:
    """The version of an image, from its OCI labels, with its tag and digest.

    Attributes:
        version: ``org.opencontainers.image.version`` (``1.25.4``).
        revision: ``org.opencontainers.image.revision``, usually a commit.
        source: ``org.opencontainers.image.source``, its repository's URL.
        url: ``org.opencontainers.image.url``, its home page.
        created: ``org.opencontainers.image.created``, as the label says it.
        tag: The tag it is reached by, when that says more than the digest
            (a tag rule's move: ``1.25.4``); empty otherwise.
        digest: Its digest (``sha256:...``): the repo digest, or the image id
            of a locally built image.
    """

    version: str = ""
    revision: str = ""
    source: str = ""
    url: str = ""
    created: str = ""
    tag: str = ""
    digest: str = ""

    @classmethod
    def read(cls, labels: Mapping[str, str], *, tag: str = "", digest: str = "") -> Version:
        """The version that ``labels`` (an image's or a container's) describe.

        Labels that are missing or empty read as empty strings; nothing here
        raises, since an image's labels are its author's free text.
        """
        return cls(
            version=_label(labels, VERSION),
            revision=_label(labels, REVISION),
            source=_label(labels, SOURCE),
            url=_label(labels, URL),
            created=_label(labels, CREATED),
            tag=tag,
            digest=digest,
        )

    @property
    def named(self) -> bool:
        """True when a version label or a tag names it, not its digest alone."""
        return bool(self.version or self.tag)

    @property
    def shown(self) -> str:
        """The version, else the tag, else the short digest, as a person is shown it."""
        return self.version or self.tag or short_digest(self.digest)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the labels read and :attr:`shown`."""
        return {
            "version": self.version,
            "revision": self.revision,
            "source": self.source,
            "url": self.url,
            "created": self.created,
            "shown": self.shown,
        }


def shown(old: Version | None, new: Version | None) -> tuple[str, str]:
    """The old and the new version as a person is shown them, side by side.

    When both read the same (a rebuild under the same version label) and
    their digests differ, each gets its short digest (``1.25.3@0a1b2c3d4e5f``)
    so the two can be told apart. An unknown side is empty.
    """
    before = old.shown if old is not None else ""
    after = new.shown if new is not None else ""
    if old is not None and new is not None and before == after:
        first, second = short_digest(old.digest), short_digest(new.digest)
        if first and second and first != second:
            # A side its digest alone names already shows that digest.
            return (
                f"{before}@{first}" if old.named else before,
                f"{after}@{second}" if new.named else after,
            )
    return before, after


def named_pair(old: Version | None, new: Version | None) -> tuple[str, str]:
    """:func:`shown`, when a version label or a tag names either side; else two empty strings.

    What events and log lines carry: where only the digests tell two images
    apart, the image ids they already hold say as much.
    """
    if any(v is not None and v.named for v in (old, new)):
        return shown(old, new)
    return "", ""


def change(old: Version | None, new: Version | None) -> str:
    """``1.25.3 -> 1.25.4``: the move from ``old`` to ``new``; empty when either is unknown."""
    before, after = shown(old, new)
    return f"{before} -> {after}" if before and after else ""


def repo_digest(repo_digests: Iterable[str], ref: ImageRef) -> str:
    """The digest in ``repo_digests`` (``name@sha256:...`` entries) for ``ref``'s repository.

    Docker writes the names in their short form (``nginx@sha256:...``); both
    forms match. The first entry's digest when none names the repository;
    empty when there is none.
    """
    names = {ref.name, ref.familiar_name}
    found = ""
    for entry in repo_digests:
        repository, at, digest = entry.rpartition("@")
        if not at:
            continue
        if repository in names:
            return digest
        found = found or digest
    return found
