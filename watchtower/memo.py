"""One registry answer per question per scan: :class:`DigestMemo`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TypeVar

from .errors import RegistryError
from .model import ImageRef
from .protocols import Registry, TagLister

__all__ = ["DigestMemo"]

T = TypeVar("T")


class DigestMemo:
    """A :class:`~watchtower.protocols.Registry` that asks its registry once per question.

    Every host of a scan shares one: the first host to ask for a reference's
    digest asks the registry, the others wait for and get the same answer
    (or the same error). Make a new one for each scan, so that the next scan
    sees new digests.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
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
        return self._once(("digest", ref), lambda: self.registry.digest(ref))

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
