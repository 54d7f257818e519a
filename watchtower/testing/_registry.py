"""An in-memory registry that serves the versions a test publishes."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from ..clock import Clock
from ..errors import RateLimitedError, RegistryError
from ..model import Image, ImageRef
from ..reference import parse_reference
from ._clock import FixedClock

__all__ = ["IMAGE_SIZE", "MemoryRegistry"]


def _sha(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


def _ref(reference: str | ImageRef) -> ImageRef:
    return reference if isinstance(reference, ImageRef) else parse_reference(reference)


@attrs.frozen
class _Published:
    digest: str
    image_id: str
    created: datetime
    labels: Mapping[str, str] = attrs.field(factory=dict)
    size: int | None = None


IMAGE_SIZE = 1_048_576
"""The size in bytes of an image :meth:`MemoryRegistry.publish` publishes, unless told another."""


class MemoryRegistry:
    """A registry in memory: a :class:`~watchtower.protocols.Registry` and a
    :class:`~watchtower.protocols.TagLister`, listing the tags published.

    Attributes:
        requests: How often each method was asked, by method and reference
            (``requests["digest", "docker.io/library/web:latest"]``).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or FixedClock()
        self._tags: dict[ImageRef, _Published] = {}
        self._repositories: dict[str, dict[str, None]] = {}
        self._errors: dict[str, list[Exception]] = {}
        self._versions = itertools.count(1)
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()

    def publish(
        self,
        reference: str | ImageRef,
        *,
        created: datetime | None = None,
        labels: Mapping[str, str] | None = None,
        size: int | None = IMAGE_SIZE,
    ) -> ImageRef:
        """Push a new version of ``reference``: its tag now serves a new digest.

        ``labels`` are the new image's own labels (``org.opencontainers.image.version``
        and the like), which a pull of it carries; ``size`` is its size in
        bytes, which a pull of it tells (``None``: an engine that does not say).

        Returns the normalised reference, to run containers from.
        """
        ref = _ref(reference)
        with self._lock:
            version = next(self._versions)
            self._tags[ref] = _Published(
                digest=_sha("manifest", ref, version),
                image_id=_sha("config", ref, version),
                created=created or self._clock(),
                labels=dict(labels or {}),
                size=size,
            )
            self._repositories.setdefault(ref.name, {})[ref.tag or "latest"] = None
        return ref

    def served(self, reference: str | ImageRef) -> tuple[str, str]:
        """The digest and image id the tag serves now."""
        published = self._tags[_ref(reference)]
        return published.digest, published.image_id

    def fail(self, reference: str | ImageRef, error: Exception, *, times: int = 1) -> None:
        """Make the next ``times`` requests for ``reference`` raise ``error``.

        An :class:`~watchtower.model.ImageRef` without a tag (``tag=None``)
        fails the listing of its repository's tags instead.
        """
        key = str(_ref(reference))
        with self._lock:
            self._errors.setdefault(key, []).extend([error] * times)

    def rate_limit(self, reference: str | ImageRef, *, times: int = 1) -> None:
        """Make the next ``times`` requests for ``reference`` answer as rate limited."""
        self.fail(
            reference,
            RateLimitedError("the registry answered 429 Too Many Requests", timedelta(seconds=60)),
            times=times,
        )

    def _answer(self, method: str, ref: ImageRef) -> _Published:
        key = str(ref.with_tag(ref.tag or "latest"))
        with self._lock:
            self.requests[method, key] += 1
            errors = self._errors.get(key)
            if errors:
                raise errors.pop(0)
            published = self._tags.get(ref.with_tag(ref.tag or "latest"))
        if published is None:
            raise RegistryError(f"The registry has no manifest for {ref.familiar}.")
        return published

    def digest(self, ref: ImageRef) -> str:
        """The digest the tag serves now."""
        return self._answer("digest", ref).digest

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        """When the version behind ``digest`` or the tag was published (``None``: an older one)."""
        published = self._answer("created", ref)
        return published.created if digest in (published.digest, ref.tag) else None

    def image(self, ref: ImageRef) -> Image:
        """The image a pull of ``ref`` gets now (used by :class:`MemoryEngine`)."""
        published = self._answer("pull", ref)
        return Image(
            published.image_id,
            (f"{ref.name}@{published.digest}",),
            published.labels,
            size=published.size,
        )

    def tags(self, ref: ImageRef) -> tuple[str, ...]:
        """The tags published for ``ref``'s repository, in the order first published."""
        with self._lock:
            self.requests["tags", ref.name] += 1
            errors = self._errors.get(ref.name)
            if errors:
                raise errors.pop(0)
            return tuple(self._repositories.get(ref.name, ()))

    @property
    def digest_requests(self) -> int:
        """How many digest requests were made in all."""
        return sum(n for (method, _), n in self.requests.items() if method == "digest")
