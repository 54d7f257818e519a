"""The staleness rule: is a container's image still what its registry serves?

The rule, in the order it is applied:

1. A reference pinned to a digest is never updated.
2. A locally built image (no repo digests) is never pulled; it is stale only
   when the local image its reference names has another id.
3. With no-pull (flag or label), the same local comparison.
4. Otherwise ask the registry once per distinct reference for the digest it
   serves. A digest among the image's repo digests means fresh, no pull.
5. A rate-limited registry means skip, never a blind pull. Any other registry
   failure falls back to a pull.
6. After a pull, the container is stale when the pulled image's id differs
   from the id of the image it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .errors import RegistryError
from .model import ImageRef
from .protocols import Registry

__all__ = ["fan_out", "remote_digests"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
E = TypeVar("E", bound=BaseException)


def fan_out(
    keys: Iterable[K],
    call: Callable[[K], V],
    concurrency: int,
    catch: type[E],
) -> dict[K, V | E]:
    """Call ``call`` once per distinct key, at most ``concurrency`` at once.

    Exceptions of type ``catch`` become values in the result; others propagate.
    The result's order is the order of first appearance in ``keys``.
    """
    distinct = list(dict.fromkeys(keys))

    def guarded(key: K) -> V | E:
        try:
            return call(key)
        except catch as error:
            return error

    if concurrency <= 1 or len(distinct) <= 1:
        return {key: guarded(key) for key in distinct}
    with ThreadPoolExecutor(max_workers=min(concurrency, len(distinct))) as pool:
        return dict(zip(distinct, pool.map(guarded, distinct), strict=True))


def remote_digests(
    registry: Registry, refs: Iterable[ImageRef], concurrency: int
) -> Mapping[ImageRef, str | RegistryError]:
    """Ask the registry for the digest of each distinct reference, concurrently.

    Returns, for each distinct reference, the digest or the
    :class:`~watchtower.errors.RegistryError` the registry raised. A backend
    exception of another type is wrapped in a ``RegistryError`` naming the
    reference.
    """

    def ask(ref: ImageRef) -> str:
        try:
            return registry.digest(ref)
        except RegistryError:
            raise
        except Exception as error:
            raise RegistryError(f"Checking {ref} failed: {error}") from error

    return fan_out(refs, ask, concurrency, RegistryError)
