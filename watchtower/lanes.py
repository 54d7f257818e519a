"""Who may call the engine when, during a run: the rule that keeps an engine alive.

**The rule.** On one engine, a rename of ours never runs beside another
rename, nor beside a stop or a start of ours (a stop lasts until the
container's exit is over: :meth:`ContainerClient.stop_container
<watchtower.protocols.ContainerClient.stop_container>` returns only then).
Everything else (creates, removals, health checks, hooks, pulls) overlaps
freely.

Why: Docker 20.10 before 20.10.27, still Debian 12's engine, takes two
network locks in opposite orders when it renames a container and when
another container exits (moby/moby#46661, moby/libnetwork#2632 and #2649).
A rename beside an exit can hang the whole engine for good.

How a run keeps it, at no cost to a container's downtime:

- :class:`Lanes` is a readers-writer lock on the engine: renames take it
  alone, stops and starts share it. A rename waits until no stop or start
  is in flight; a stop or start that comes meanwhile goes first, since its
  unit may have a container down. The wait is bounded: no unit begins
  before its renames, so only the units already in flight call meanwhile.
- Renames therefore come in batches, ahead of the stops
  (:class:`~watchtower.replacement.Replacer`): the unit that begins a batch
  renames its own containers and those of the units that will run beside
  it, while the engine is quiet. A container then waits, running under its
  aside name, for at most one batch of units; its downtime (stop to start)
  is unchanged. The aside name stays the journal of :mod:`watchtower.repair`.
- :class:`Turns`: from a unit's first stop to its replacement's start, one
  unit at a time has the engine, since an engine starts containers one at a
  time about as fast as several at once. A stop that outlasts
  :data:`PATIENCE` lends the turn meanwhile.
- :class:`EngineWatch`: the first call that the engine does not answer in
  time (:class:`~watchtower.errors.EngineTimeoutError`) is noticed once. The
  run starts no new unit on that engine; the units in flight finish or roll
  back.

:class:`ScheduledClient` applies the rule and the watch to every call of a
:class:`~watchtower.protocols.ContainerClient`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from .errors import ContainerError, EngineTimeoutError
from .model import Container, HookResult, Image, ImageRef, VolumeSnapshot
from .probes import UNCHECKED, Checks
from .protocols import (
    ContainerClient,
    ImageTagger,
    ReplacementChecker,
    SnapshotFinder,
    VolumeSnapshotter,
)

__all__ = ["PATIENCE", "EngineWatch", "Lanes", "ScheduledClient", "Turn", "Turns"]

_T = TypeVar("_T")

#: How long a stop or a pre-update hook may hold the engine's turn (seconds):
#: enough for a container that exits on its stop signal; a stop that waits
#: out its timeout lends the turn to the other units meanwhile.
PATIENCE = 0.25


class Lanes:
    """The rule as a lock: renames alone, stops and starts together.

    Stops and starts go before a waiting rename. The thread that holds the
    lock alone may call anything again.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sharing = 0  # stops and starts in flight
        self._owner: int | None = None  # the thread renaming
        self._depth = 0

    @contextmanager
    def alone(self) -> Iterator[None]:
        """Hold the engine alone: no rename, stop or start of another thread runs meanwhile."""
        me = threading.get_ident()
        with self._changed:
            if self._owner != me:
                while self._owner is not None or self._sharing:
                    self._changed.wait()
                self._owner = me
            self._depth += 1
        try:
            yield
        finally:
            with self._changed:
                self._depth -= 1
                if not self._depth:
                    self._owner = None
                    self._changed.notify_all()

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Stop or start: beside other stops and starts, never beside a rename."""
        me = threading.get_ident()
        if self._owner == me:  # inside this thread's own rename batch
            yield
            return
        with self._changed:
            while self._owner is not None:
                self._changed.wait()
            self._sharing += 1
        try:
            yield
        finally:
            with self._changed:
                self._sharing -= 1
                if not self._sharing:
                    self._changed.notify_all()


class EngineWatch:
    """Whether the engine stopped answering during this run; the first silence only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._silence: EngineTimeoutError | None = None

    def notice(self, error: EngineTimeoutError) -> None:
        """Record a call the engine did not answer in time (the first one is kept)."""
        with self._lock:
            if self._silence is None:
                self._silence = error

    @property
    def silent(self) -> bool:
        """True once a call went unanswered."""
        return self._silence is not None

    def sentence(self, not_started: int) -> str:
        """The one sentence that tells of it; empty while the engine answers."""
        if self._silence is None:
            return ""
        where = f" at {self._silence.engine}" if self._silence.engine else ""
        units = "unit" if not_started == 1 else "units"
        return f"The engine{where} stopped answering; {not_started} {units} not started."


class Turns:
    """Whose turn it is at the engine; a unit with a container down goes first."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._down = 0  # units waiting with a container down

    def acquire(self, *, down: bool) -> None:
        """Wait for the engine; ``down``: a container of the waiting unit is down."""
        with self._changed:
            if down:
                self._down += 1
            while self._busy or (self._down and not down):
                self._changed.wait()
            if down:
                self._down -= 1
            self._busy = True

    def release(self) -> None:
        """Hand the engine to the next unit."""
        with self._changed:
            self._busy = False
            self._changed.notify_all()


class Turn:
    """A unit's turn at the engine: from its first stop to a start, from a create to its start.

    Units replaced in parallel take turns there: an engine creates and starts
    containers one at a time about as fast as several at once, and several
    at once make each container's downtime longer. The rest of a
    replacement (health waits, removals, hooks) overlaps freely.
    """

    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        self._guard = threading.Lock()  # the lending timer gives the turn back too
        self._held = False

    def take(self, *, down: bool = True) -> None:
        """Wait for the turn, unless this unit holds it; ``down``: a container of it is down."""
        if not self._held:
            self._turns.acquire(down=down)
            self._held = True

    def give_back(self) -> None:
        """Let the next unit have the engine."""
        with self._guard:
            if self._held:
                self._held = False
                self._turns.release()

    @contextmanager
    def lent_after(self, seconds: float) -> Iterator[None]:
        """Lend the turn out once the block outlasts ``seconds``; hold it again after.

        Without the turn, the block just runs.
        """
        if not self._held:
            yield
            return
        timer = threading.Timer(seconds, self.give_back)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            timer.join()  # it may be giving the turn back right now
            self.take()


class ScheduledClient:
    """A :class:`~watchtower.protocols.ContainerClient` whose calls keep the rule.

    Renames take :class:`Lanes` alone, stops and starts share it, and any
    call the engine does not answer in time is told to the :class:`EngineWatch`.

    Args:
        client: The engine's client.
        lanes: The engine's lanes, shared by every caller of this run.
        watch: Where a silence is recorded.
    """

    def __init__(
        self, client: ContainerClient, lanes: Lanes | None = None, watch: EngineWatch | None = None
    ) -> None:
        self.client = client
        self.lanes = lanes or Lanes()
        self.watch = watch or EngineWatch()

    @classmethod
    def around(cls, client: ContainerClient) -> ScheduledClient:
        """``client`` scheduled for one run, unless it is already."""
        return client if isinstance(client, ScheduledClient) else cls(client)

    def _call(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except EngineTimeoutError as error:
            self.watch.notice(error)
            raise

    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> Sequence[Container]:
        """As the client's."""
        return self._call(
            lambda: self.client.list_containers(
                include_stopped=include_stopped, include_restarting=include_restarting
            )
        )

    def get_container(self, container_id: str) -> Container:
        """As the client's."""
        return self._call(lambda: self.client.get_container(container_id))

    def inspect_image(self, reference: str) -> Image | None:
        """As the client's."""
        return self._call(lambda: self.client.inspect_image(reference))

    def pull_image(self, ref: ImageRef) -> Image:
        """As the client's."""
        return self._call(lambda: self.client.pull_image(ref))

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        """As the client's, never beside a rename."""
        with self.lanes.shared():
            self._call(
                lambda: self.client.stop_container(container, signal=signal, timeout=timeout)
            )

    def start_container(self, container_id: str) -> None:
        """As the client's, never beside a rename."""
        with self.lanes.shared():
            self._call(lambda: self.client.start_container(container_id))

    def rename_container(self, container_id: str, new_name: str) -> None:
        """As the client's, alone at the engine."""
        with self.lanes.alone():
            self._call(lambda: self.client.rename_container(container_id, new_name))

    def create_replacement(self, old: Container, image: Image) -> str:
        """As the client's."""
        return self._call(lambda: self.client.create_replacement(old, image))

    def wait_until_healthy(self, container_id: str, timeout: timedelta) -> bool:
        """As the client's."""
        return self._call(lambda: self.client.wait_until_healthy(container_id, timeout))

    def check_replacement(self, container_id: str, checks: Checks) -> str:
        """As the client's.

        Raises:
            ContainerError: The client does not run a replacement's checks
                (it is no :class:`~watchtower.protocols.ReplacementChecker`).
        """
        client = self.client
        if not isinstance(client, ReplacementChecker):
            raise ContainerError(UNCHECKED)
        return self._call(lambda: client.check_replacement(container_id, checks))

    def tag_image(self, image_id: str, ref: ImageRef) -> None:
        """As the client's.

        Raises:
            ContainerError: The client cannot tag images (it is no
                :class:`~watchtower.protocols.ImageTagger`).
        """
        client = self.client
        if not isinstance(client, ImageTagger):
            raise ContainerError("this engine's client cannot tag images")
        self._call(lambda: client.tag_image(image_id, ref))

    def snapshot_volume(self, container: Container, volume: str, keep: int) -> str:
        """As the client's.

        Raises:
            ContainerError: The client cannot snapshot volumes (it is no
                :class:`~watchtower.protocols.VolumeSnapshotter`).
        """
        client = self.client
        if not isinstance(client, VolumeSnapshotter):
            raise ContainerError("this engine's client cannot snapshot volumes")
        return self._call(lambda: client.snapshot_volume(container, volume, keep))

    def restore_volume(self, container: Container, volume: str, snapshot: str) -> None:
        """As the client's.

        Raises:
            ContainerError: The client cannot restore volumes.
        """
        client = self.client
        if not isinstance(client, VolumeSnapshotter):
            raise ContainerError("this engine's client cannot restore volumes")
        self._call(lambda: client.restore_volume(container, volume, snapshot))

    def snapshots_of(self, volume: str) -> list[str] | None:
        """As the client's; ``None`` from a client that cannot tell."""
        client = self.client
        if not isinstance(client, SnapshotFinder):
            return None
        return self._call(lambda: client.snapshots_of(volume))

    def snapshots_for(self, container: Container) -> list[VolumeSnapshot]:
        """As the client's; none from a client that finds none (it took none to find)."""
        client = self.client
        if not isinstance(client, SnapshotFinder):
            return []
        return self._call(lambda: client.snapshots_for(container))

    def remove_container(self, container_id: str, *, remove_volumes: bool = False) -> None:
        """As the client's."""
        self._call(
            lambda: self.client.remove_container(container_id, remove_volumes=remove_volumes)
        )

    def run_hook(
        self, container_id: str, command: str, timeout: timedelta, *, user: str = ""
    ) -> HookResult:
        """As the client's; ``user`` is passed on only when given, as clients may lack it."""
        if user:
            return self._call(
                lambda: self.client.run_hook(container_id, command, timeout, user=user)
            )
        return self._call(lambda: self.client.run_hook(container_id, command, timeout))

    def remove_image(self, image_id: str) -> None:
        """As the client's."""
        self._call(lambda: self.client.remove_image(image_id))
