"""Digests that failed, kept from every host, and the circuit breaker of a run.

In a run with a history, a digest whose replacement fails anywhere (it
does not start, is not healthy, is rolled back) is *quarantined*: no other container, on this host
or another, is moved to it, in this run or a later one, until a person
releases it (``watchtower release-digest``,
:meth:`History.release_digest <watchtower.history.History.release_digest>`)
or the registry serves a newer digest for its reference. The quarantine is
by digest: a newer push of the same tag is tried as usual.

Two places apply it. The planner skips a container whose new digest is in
``UpdateParams.quarantined`` (what the history kept before the run), on
purpose, with the reason. Within a run, a :class:`Breaker` that every host
of the run shares learns each failure as it happens, and a replacement not
yet begun is skipped before it stops anything, when its digest failed
meanwhile or when ``UpdateParams.max_failures`` replacements have failed
(the circuit breaker). A replacement under way finishes as usual.

:func:`record_quarantines` keeps the new quarantines in the history; the
report names each one once (:attr:`Report.quarantined
<watchtower.report.Report.quarantined>`), when it starts.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import attrs

from ._emitter import Emitter
from .events import Step
from .history import History, Quarantine
from .history._reading import read_kept
from .lanes import EngineWatch
from .model import short_id
from .params import UpdateParams
from .plans import Action, Plan, PlanEntry
from .report import ContainerReport, Outcome
from .versions import repo_digest

__all__ = [
    "Breaker",
    "BreakerGuard",
    "breaker_reason",
    "entry_digest",
    "quarantines_of",
    "record_quarantines",
    "superseded",
    "with_quarantines",
]


def entry_digest(entry: PlanEntry) -> str:
    """The digest ``entry`` updates to: the registry's digest of its new image, else its id."""
    image = entry.new_image
    if image is None:
        return ""
    return repo_digest(image.repo_digests, entry.target_reference) or image.id


#: The steps whose failure is not the new image's: before it runs, or a stack's
#: member rolled back because another member failed.
_NOT_THE_IMAGES = frozenset({Step.RENAME, Step.STOP, Step.HOOK, Step.STACK})


def breaker_reason(failures: int) -> str:
    """What a replacement the circuit breaker stopped is reported with."""
    return f"circuit breaker: {failures} replacements failed in this run"


class Breaker:
    """What one run has learned of failures, shared by all its hosts; safe across threads.

    Args:
        max_failures: After this many failed replacements, no more begin
            (0: the run never stops).
        quarantined: Digests no container goes to, each with the reason it is skipped with.
        learns: Whether a failure quarantines its digest; a run with a
            history does (:func:`watchtower.update` sets it), a run that
            keeps nothing only counts failures, for the circuit breaker.
    """

    def __init__(
        self,
        max_failures: int = 0,
        quarantined: Mapping[str, str] | None = None,
        *,
        learns: bool = True,
    ) -> None:
        self.max_failures = max_failures
        self.learns = learns
        self._lock = threading.Lock()
        self._known: dict[str, str] = dict(quarantined or {})
        self.failures = 0
        """How many replacements failed so far in the run."""

    def know(self, quarantined: Mapping[str, str]) -> None:
        """Add digests that no container may go to (a host's history, read at its start)."""
        with self._lock:
            for digest, reason in quarantined.items():
                self._known.setdefault(digest, reason)

    def stops(self, entry: PlanEntry) -> str:
        """Why ``entry`` must not begin now (empty: it may): the breaker, or its digest."""
        with self._lock:
            if self.max_failures and self.failures >= self.max_failures:
                return breaker_reason(self.failures)
            if entry.action is Action.UPDATE:
                return self._known.get(entry_digest(entry), "")
            return ""

    def learn(
        self, entry: PlanEntry, report: ContainerReport, *, host: str, emit: Emitter, blamed: bool
    ) -> Quarantine | None:
        """Count ``report`` if it failed; the new quarantine its failure starts, if any.

        A failed update to another image quarantines that image's digest
        when the image is ``blamed``: not when the engine stopped answering,
        nor when the old container could not be renamed or stopped, or its
        pre-update hook failed, before the new image ran at all.
        """
        if report.outcome is not Outcome.FAILED:
            return None
        with self._lock:
            self.failures += 1
            image = entry.new_image
            if (
                not blamed
                or not self.learns
                or entry.action is not Action.UPDATE
                or image is None
                or image.id == entry.container.image_id
            ):
                return None
            digest = entry_digest(entry)
            if not digest or digest in self._known:
                return None
            quarantine = Quarantine(
                digest=digest,
                image=entry.target_reference.familiar,
                reason=report.reason,
                container=entry.name,
                host=host,
                at=emit.now(),
            )
            self._known[digest] = quarantine.skip_reason
            return quarantine


class BreakerGuard:
    """The :class:`~watchtower.replacement.Guard` of a run's :class:`Breaker` on one engine.

    A :class:`~watchtower.replacement.Replacer` given it asks the breaker
    before each replacement's pre-update hook and stop (one it stops gets
    its name back and is reported skipped) and teaches it each outcome as
    its unit ends.

    Args:
        breaker: The run's breaker.
        host: The engine's name, for the quarantines this host starts.
        emit: The run's events, for the time a quarantine starts.
        watch: The engine's watch: a failure while it is silent blames no image.
    """

    def __init__(self, breaker: Breaker, host: str, emit: Emitter, watch: EngineWatch) -> None:
        self.breaker = breaker
        self.host = host
        self.emit = emit
        self.watch = watch
        self._new_lock = threading.Lock()
        self.quarantined: list[Quarantine] = []
        """The quarantines this host's replacements started, in the order they failed."""

    def stops(self, entry: PlanEntry) -> str:
        """See :meth:`Breaker.stops`."""
        return self.breaker.stops(entry)

    def ended(self, entry: PlanEntry, report: ContainerReport, failed_at: Step | None) -> None:
        """Teach the breaker ``report``; keep the quarantine it starts, if any."""
        blamed = not self.watch.silent and failed_at not in _NOT_THE_IMAGES
        new = self.breaker.learn(entry, report, host=self.host, emit=self.emit, blamed=blamed)
        if new is not None:
            with self._new_lock:
                self.quarantined.append(new)


def quarantines_of(history: History | None, emit: Emitter) -> Mapping[str, Quarantine]:
    """The quarantines ``history`` keeps now; none when it cannot say (logged and told)."""
    unread = "The quarantined digests could not be read from the history"
    return read_kept(history, lambda kept: kept.quarantined(), unread, emit)


def with_quarantines(params: UpdateParams, quarantines: Mapping[str, Quarantine]) -> UpdateParams:
    """``params`` with the active ``quarantines`` added to ``params.quarantined``."""
    active = {d: q.skip_reason for d, q in quarantines.items() if q.active}
    if not active:
        return params
    return attrs.evolve(params, quarantined={**params.quarantined, **active})


def superseded(plan: Plan, quarantines: Mapping[str, Quarantine]) -> dict[str, str]:
    """The active quarantines whose reference ``plan`` finds at another digest now, and that digest.

    The registry serves a newer image for that reference: the quarantine has
    done its work, and ends.
    """
    served: dict[str, str] = {}
    for entry in plan.entries:
        digest = entry_digest(entry)
        if digest:
            served[entry.target_reference.familiar] = digest
    return {
        q.digest: served[q.image]
        for q in quarantines.values()
        if q.active and q.image in served and served[q.image] != q.digest
    }


def record_quarantines(
    history: History | None,
    new: Sequence[Quarantine],
    ended: Mapping[str, str],
    emit: Emitter,
) -> tuple[Quarantine, ...]:
    """Keep ``new`` in ``history`` and release those ``ended`` names; the ones new to it.

    A history that cannot be written is logged and told (step ``history``),
    never raised; without a history every one of ``new`` is new.
    """
    if history is None:
        return tuple(new)
    for digest, now in ended.items():
        try:
            history.release_digest(digest, by=f"the registry serves {short_id(now)} now")
        except Exception as error:
            emit.failed(Step.HISTORY, f"The quarantine of {digest} could not end: {error}")
    kept: list[Quarantine] = []
    for quarantine in new:
        try:
            if history.quarantine(quarantine):
                kept.append(quarantine)
        except Exception as error:
            reason = f"The quarantine of {quarantine.shown} was not kept: {error}"
            emit.failed(Step.HISTORY, reason, quarantine.container)
            kept.append(quarantine)
    return tuple(kept)
