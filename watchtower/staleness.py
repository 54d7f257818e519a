"""The staleness rule: is a container's image still what its registry serves?

The rule, in the order it is applied:

1. A reference pinned to a digest is never updated.
2. A locally built image (no repo digests) is never pulled; it is stale only
   when the local image its reference names has another id.
3. With no-pull (flag or label), the same local comparison.
4. Otherwise ask the registry once per distinct reference for the digest it
   serves. A digest among the image's repo digests means fresh, no pull.
5. A rate-limited registry means skip, never a blind pull; so does one that
   did not answer within the lookup's or the scan's deadline
   (:class:`~watchtower.errors.RegistryTimeoutError`): a pull from it would
   hold the run. Any other registry failure falls back to a pull; when that
   pull fails too, the container's check has **failed** (a failed pull
   alone, after an answer, is a skip).
6. After a pull, the container is stale when the pulled image's id differs
   from the id of the image it runs.
7. With a registry quota (:mod:`watchtower.quota`), a check or a pull
   beyond the run's share of its registry's quota is deferred to the next
   run: skipped on purpose, never pulled, and the reason says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import TypeVar

from attrs import frozen

from ._emitter import Emitter
from .budget import Budget, too_slow
from .errors import EngineError, RateLimitedError, RegistryError, RegistryTimeoutError
from .events import Checking, Pulled, Pulling
from .model import Container, Image, ImageRef
from .params import UpdateParams
from .plans import Status
from .protocols import ContainerClient, Registry
from .quota import QuotaDeferredError, QuotaRun, quota_of
from .settings import ContainerSettings

__all__ = ["Verdict", "assess", "fan_out", "remote_digests"]

_log = logging.getLogger(__name__)

# Registries that answer a manifest HEAD without counting it as a pull: a
# failed check there costs a pull from the rate limit (the fork's
# WarnOnAPIConsumption), so "auto" warns about it.
_COUNTED_PULLS = frozenset({"docker.io", "ghcr.io"})

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
E = TypeVar("E", bound=BaseException)


def fan_out(
    keys: Iterable[K],
    call: Callable[[K], V],
    concurrency: int,
    catch: type[E],
    *,
    until: tuple[Budget, Callable[[K], E]] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> dict[K, V | E]:
    """Call ``call`` once per distinct key, at most ``concurrency`` at once.

    Exceptions of type ``catch`` become values in the result; others propagate.
    The result's order is the order of first appearance in ``keys``.

    With ``until`` (a budget on the ``monotonic`` clock, and the error of a
    key that ran out of it) nothing waits past the budget's end: a key whose
    call has not returned by then gets its error, calls not yet started are
    not made, and calls under way are left to finish on their own threads.
    """
    distinct = list(dict.fromkeys(keys))

    def guarded(key: K) -> V | E:
        try:
            return call(key)
        except catch as error:
            return error

    if until is not None and distinct:
        return _fan_out_until(distinct, guarded, concurrency, until, monotonic)
    if concurrency <= 1 or len(distinct) <= 1:
        return {key: guarded(key) for key in distinct}
    with ThreadPoolExecutor(max_workers=min(concurrency, len(distinct))) as pool:
        return dict(zip(distinct, pool.map(guarded, distinct), strict=True))


def _fan_out_until(
    distinct: Sequence[K],
    guarded: Callable[[K], V | E],
    concurrency: int,
    until: tuple[Budget, Callable[[K], E]],
    monotonic: Callable[[], float],
) -> dict[K, V | E]:
    budget, late = until
    # Threads even for one key: only a waiting caller can stop waiting.
    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(distinct))))
    try:
        futures = {key: pool.submit(guarded, key) for key in distinct}
        wait(futures.values(), timeout=budget.left(monotonic()))
    finally:
        # Not waited for: a call that outlives the budget ends on its own deadline.
        pool.shutdown(wait=False, cancel_futures=True)
    return {
        key: future.result() if future.done() and not future.cancelled() else late(key)
        for key, future in futures.items()
    }


def scan_deadline(
    scan: Budget | None, what: Callable[[ImageRef], str]
) -> tuple[Budget, Callable[[ImageRef], RegistryTimeoutError]] | None:
    """:func:`fan_out`'s ``until`` for lookups of ``what(ref)`` within the scan's budget.

    ``None`` without a budget.
    """
    if scan is None:
        return None
    return scan, lambda ref: too_slow(ref.domain, scan.seconds, what(ref), scan=True)


def remote_digests(
    registry: Registry,
    refs: Iterable[ImageRef],
    concurrency: int,
    *,
    scan: Budget | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> Mapping[ImageRef, str | RegistryError]:
    """Ask the registry for the digest of each distinct reference, concurrently.

    Returns, for each distinct reference, the digest or the
    :class:`~watchtower.errors.RegistryError` the registry raised. A backend
    exception of another type is wrapped in a ``RegistryError`` naming the
    reference. With ``scan`` (a budget on the ``monotonic`` clock), a
    reference still unanswered at its end gets a
    :class:`~watchtower.errors.RegistryTimeoutError` naming its registry.
    """

    def ask(ref: ImageRef) -> str:
        try:
            return registry.digest(ref)
        except RegistryError:
            raise
        except Exception as error:
            raise RegistryError(f"Checking {ref} failed: {error}") from error

    until = scan_deadline(scan, lambda ref: ref.familiar)
    return fan_out(refs, ask, concurrency, RegistryError, until=until, monotonic=monotonic)


@frozen
class Verdict:
    """The staleness of one container.

    Attributes:
        status: Fresh, stale, skipped, or failed (its check and its pull both failed).
        image: The newest local image for its reference, when one was found.
        reason: Why, in words.
        error: True when it could not be checked (its registry did not
            answer, limited it, or its pull or inspection failed), as
            opposed to a skip on purpose; always true for failed.
    """

    status: Status
    image: Image | None = None
    reason: str = ""
    error: bool = False


def _engine_call(
    call: Callable[[ImageRef], Image | None], what: str
) -> Callable[[ImageRef], Image | None]:
    def guarded(ref: ImageRef) -> Image | None:
        try:
            return call(ref)
        except EngineError:
            raise
        except Exception as error:
            raise EngineError(f"{what} {ref.familiar} failed: {error}") from error

    return guarded


def _told(
    pull: Callable[[ImageRef], Image | None], waiting: Sequence[Container], emit: Emitter | None
) -> Callable[[ImageRef], Image | None]:
    """``pull``, telling when each pull begins and when it is done (by the run's clock)."""
    if emit is None or not emit.listening:
        return pull
    names: dict[ImageRef, list[str]] = {}
    for container in waiting:
        names.setdefault(container.image, []).append(container.name)

    def told(ref: ImageRef) -> Image | None:
        who = tuple(names.get(ref, ()))
        began = emit.now()
        emit(Pulling(at=began, image=ref.familiar, containers=who))
        image = pull(ref)
        if image is not None:
            done = emit.now()
            emit(
                Pulled(
                    at=done,
                    image=ref.familiar,
                    image_id=image.id,
                    size=image.size,
                    duration=done - began,
                    containers=who,
                )
            )
        return image

    return told


def assess(
    containers: Sequence[Container],
    settings: Mapping[str, ContainerSettings],
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams,
    now: datetime,
    *,
    pull: bool = True,
    scan: Budget | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    emit: Emitter | None = None,
) -> dict[str, Verdict]:
    """Apply the staleness rule to every container, with one request per distinct image.

    ``settings`` holds each container's settings by name (no-pull, cooldown).
    With ``pull=False`` nothing is pulled: a container whose registry digest
    differs from its image's is stale without a new image (a check only).

    Registry digests, image ages and pulls are each asked once per distinct
    reference, at most ``params.check_concurrency`` at a time. With ``scan``
    (a budget on the ``monotonic`` clock) no registry lookup is waited for
    past its end: the containers of an image still unanswered are skipped,
    with a sentence naming the registry and the image. Pulls are the
    engine's and not bounded by it.

    With ``emit``, each container checked is told (:class:`~watchtower.events.Checking`)
    before the first request, and each distinct pull as it begins and once
    it is done (:class:`~watchtower.events.Pulling`, :class:`~watchtower.events.Pulled`),
    from the threads that pull.
    """
    verdicts: dict[str, Verdict] = {}
    remote: list[Container] = []
    local: list[Container] = []
    for container in containers:
        if container.image.is_pinned:
            verdicts[container.name] = Verdict(
                Status.SKIPPED, reason="its image is pinned to a digest"
            )
        elif not container.repo_digests or settings[container.name].no_pull:
            local.append(container)
        else:
            remote.append(container)
    if emit is not None and emit.listening:
        for container in containers:
            if not container.image.is_pinned:
                emit(
                    Checking(
                        at=emit.now(), container=container.name, image=container.image.familiar
                    )
                )

    concurrency = params.check_concurrency
    digests = remote_digests(
        registry, (c.image for c in remote), concurrency, scan=scan, monotonic=monotonic
    )
    to_pull: list[Container] = []
    notes: dict[str, str] = {}
    failed_checks: dict[ImageRef, RegistryError] = {}
    for container in remote:
        answer = digests[container.image]
        if isinstance(answer, QuotaDeferredError):
            verdicts[container.name] = Verdict(Status.SKIPPED, reason=str(answer))
        elif isinstance(answer, RateLimitedError):
            verdicts[container.name] = Verdict(
                Status.SKIPPED, reason=f"the registry is rate limiting: {answer}", error=True
            )
        elif isinstance(answer, RegistryTimeoutError):
            verdicts[container.name] = Verdict(Status.SKIPPED, reason=str(answer), error=True)
        elif isinstance(answer, str) and container.current_image.has_digest(answer):
            verdicts[container.name] = Verdict(Status.FRESH, container.current_image)
        else:
            if isinstance(answer, RegistryError):
                notes[container.name] = f"registry check failed, pulled instead: {answer}"
                failed_checks[container.image] = answer
            to_pull.append(container)
    for ref, error in failed_checks.items():
        _log.log(
            _head_failure_level(ref, params.warn_on_head_failure),
            "The digest check of %s failed, falling back to a full pull: %s",
            ref.familiar,
            error,
        )

    to_pull = _apply_cooldown(
        to_pull, settings, digests, registry, params, now, verdicts, scan, monotonic
    )
    if not pull:
        for container in to_pull:
            answer = digests[container.image]
            verdicts[container.name] = (
                Verdict(Status.STALE, reason="the registry serves a newer image")
                if isinstance(answer, str)
                else Verdict(Status.SKIPPED, reason=str(answer), error=True)
            )
        to_pull = []
    to_pull = _within_quota(to_pull, quota_of(registry), verdicts)
    pulled = fan_out(
        (c.image for c in to_pull),
        _told(_engine_call(client.pull_image, "Pulling"), to_pull, emit),
        concurrency,
        EngineError,
    )
    found = fan_out(
        (c.image for c in local),
        _engine_call(lambda ref: client.inspect_image(ref.familiar), "Inspecting"),
        concurrency,
        EngineError,
    )
    # Each container, what its pull or inspection found, and its failed digest check if any.
    seen = [(c, pulled[c.image], failed_checks.get(c.image)) for c in to_pull]
    seen += [(c, found[c.image], None) for c in local]
    for container, image, check in seen:
        if isinstance(image, EngineError) and check is not None:
            verdicts[container.name] = Verdict(
                Status.FAILED,
                reason=f"the registry check failed ({check}) and so did the pull: {image}",
                error=True,
            )
        elif isinstance(image, EngineError):
            verdicts[container.name] = Verdict(Status.SKIPPED, reason=str(image), error=True)
        elif image is None:
            verdicts[container.name] = Verdict(
                Status.SKIPPED,
                reason=f"there is no local image {container.image.familiar}",
                error=True,
            )
        elif image.id == container.image_id:
            verdicts[container.name] = Verdict(Status.FRESH, image, notes.get(container.name, ""))
        else:
            verdicts[container.name] = Verdict(Status.STALE, image, notes.get(container.name, ""))
    return verdicts


def _within_quota(
    to_pull: list[Container], quota: QuotaRun | None, verdicts: dict[str, Verdict]
) -> list[Container]:
    """The containers whose pull the run's quota allows: one counted request per image.

    The others are deferred (skipped, with the quota's sentence), in the
    order they came, so that each run gets further down the same list.
    """
    if quota is None:
        return to_pull
    refusals: dict[ImageRef, str | None] = {}
    for container in to_pull:
        if container.image not in refusals:
            refusals[container.image] = quota.take(container.image.domain)
    for container in to_pull:
        refusal = refusals[container.image]
        if refusal is not None:
            verdicts[container.name] = Verdict(Status.SKIPPED, reason=refusal)
    return [c for c in to_pull if refusals[c.image] is None]


def _head_failure_level(ref: ImageRef, strategy: str) -> int:
    """The log level of a failed digest check, by ``--warn-on-head-failure``."""
    if strategy == "always" or (strategy == "auto" and ref.domain in _COUNTED_PULLS):
        return logging.WARNING
    return logging.DEBUG


def _apply_cooldown(
    candidates: list[Container],
    settings: Mapping[str, ContainerSettings],
    digests: Mapping[ImageRef, str | RegistryError],
    registry: Registry,
    params: UpdateParams,
    now: datetime,
    verdicts: dict[str, Verdict],
    scan: Budget | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> list[Container]:
    """Drop (as skipped) candidates whose new image is younger than their cooldown.

    As the fork: a monitor-only container only reports, so it has no cooldown;
    a failed digest request does not lift it (the age is asked by tag
    instead); and an age that cannot be read keeps the update waiting.
    """
    delays: dict[str, timedelta] = {}
    for container in candidates:
        own = settings[container.name]
        if own.cooldown > timedelta(0) and not own.monitor_only:
            delays[container.name] = own.cooldown
    if not delays:
        return candidates

    def created(ref: ImageRef) -> datetime | None:
        digest = digests[ref]
        return registry.created(ref, digest if isinstance(digest, str) else ref.tag or "latest")

    ages = fan_out(
        (c.image for c in candidates if c.name in delays),
        created,
        params.check_concurrency,
        Exception,
        until=scan_deadline(scan, lambda ref: f"the age of {ref.familiar}"),
        monotonic=monotonic,
    )
    kept: list[Container] = []
    for container in candidates:
        wait = delays.get(container.name)
        if wait is None:
            kept.append(container)
            continue
        built = ages.get(container.image)
        if not isinstance(built, datetime):
            why = f": {built}" if isinstance(built, Exception) else ""
            verdicts[container.name] = Verdict(
                Status.SKIPPED,
                reason=f"the age of its newer image could not be read{why}; "
                f"the cooldown of {_words(wait)} waits",
                error=isinstance(built, Exception),  # its registry failed to say
            )
        elif timedelta(0) <= now - built < wait:  # a future date is clock skew: it passes
            verdicts[container.name] = Verdict(
                Status.SKIPPED,
                reason=(
                    f"its newer image is {_words(now - built)} old, "
                    f"younger than the cooldown of {_words(wait)}"
                ),
            )
        else:
            kept.append(container)
    return kept


def _words(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h"] if hours else []
    if minutes:
        parts.append(f"{minutes}m")
    if seconds or not parts:
        parts.append(f"{seconds}s")
    return "".join(parts)
