"""One registry answer per question per scan: :class:`DigestMemo`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TypeVar

from .errors import ConfigurationError, RegistryError
from .model import ImageRef
from .protocols import Registry, TagLister
from .quota import QuotaBook, QuotaDeferredError, QuotaRun, quota_of

__all__ = ["DigestMemo", "close_quota", "with_quota"]

T = TypeVar("T")


class DigestMemo:
    """A :class:`~watchtower.protocols.Registry` that asks its registry once per question.

    Every host of a scan shares one: the first host to ask for a reference's
    digest asks the registry, the others wait for and get the same answer
    (or the same error). Make a new one for each scan, so that the next scan
    sees new digests.

    With ``quota`` (the scan's allowance of each registry's request quota,
    :meth:`QuotaBook.open_run <watchtower.quota.QuotaBook.open_run>`), a
    digest whose registry has no share left this scan is not asked: it
    raises :class:`~watchtower.quota.QuotaDeferredError`, and its
    containers wait for the next scan.
    """

    def __init__(self, registry: Registry, *, quota: QuotaRun | None = None) -> None:
        self.registry = registry
        self.quota = quota
        self._answers: dict[Hashable, Future[object]] = {}
        self._lock = threading.Lock()

    def _once(self, key: Hashable, call: Callable[[], T]) -> T:
        with self._lock:
            answer = self._answers.get(key)
            mine = answer is None
            if answer is None:
                answer = self._answers[key] = Future()
        if mine:
            try:
                answer.set_result(call())
            except Exception as error:
                answer.set_exception(error)
        return answer.result()  # type: ignore[return-value]

    def digest(self, ref: ImageRef) -> str:
        """The digest its registry serves for ``ref``, asked once per scan."""
        return self._once(("digest", ref), lambda: self._digest(ref))

    def _digest(self, ref: ImageRef) -> str:
        if self.quota is not None and ref.tag is not None:
            refusal = self.quota.check(ref.domain)
            if refusal is not None:
                raise QuotaDeferredError(refusal)
        return self.registry.digest(ref)

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        """When the image behind ``digest`` was built, asked once per scan."""
        return self._once(("created", ref, digest), lambda: self.registry.created(ref, digest))

    def tags(self, ref: ImageRef) -> Sequence[str]:
        """The tags of ``ref``'s repository, asked once per scan, for tag rules.

        Raises:
            RegistryError: Its registry cannot list tags (it is no
                :class:`~watchtower.protocols.TagLister`), or failed to.
        """
        registry = self.registry
        if not isinstance(registry, TagLister):
            raise RegistryError("its registry cannot list tags")
        return self._once(("tags", ref.name), lambda: registry.tags(ref))


def with_quota(registry: Registry, share: float | None, quota: QuotaBook | None) -> Registry:
    """``registry`` for one scan that spends at most ``share`` of each registry's quota.

    A digest memo carrying a new run of ``quota``
    (:meth:`QuotaBook.open_run <watchtower.quota.QuotaBook.open_run>`); ``registry``
    itself without a ``share``, or when it already carries a run (a scan over
    several hosts opened one for all of them).

    Raises:
        ConfigurationError: ``share`` is given without a book.
    """
    if share is None or quota_of(registry) is not None:
        return registry
    if quota is None:
        raise ConfigurationError(
            "UpdateParams.registry_quota_share needs a QuotaBook: pass quota=, the book "
            "the registry client records its answers into (HttpRegistry(quota=book))."
        )
    inner = registry.registry if isinstance(registry, DigestMemo) else registry
    return DigestMemo(inner, quota=quota.open_run(share))


def close_quota(registry: Registry) -> None:
    """End the quota run ``registry`` carries, if any (:meth:`~watchtower.quota.QuotaRun.close`)."""
    run = quota_of(registry)
    if run is not None:
        run.close()
