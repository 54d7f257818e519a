"""An in-memory container engine that can be told to fail at any step.

What it is told to go wrong, and when, is kept in ``_faults``; this
module keeps the containers and images, and records every call.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

import attrs

from ..errors import (
    ContainerError,
    EngineError,
    ImageInUseError,
    InvalidReferenceError,
    RegistryError,
)
from ..labels import replacement_labels
from ..model import Container, ContainerState, HookResult, Image, ImageRef, short_id
from ..probes import Checks, exited
from ..reference import parse_reference
from ..repair import read_name
from ._checks import Misbehaviour, judge
from ._faults import IMAGE_ID, STEPS, Fault, Killed, _Faults, image_key
from ._registry import MemoryRegistry, _ref, _sha
from ._spans import Span, timed

__all__ = ["STEPS", "Fault", "Killed", "MemoryEngine", "Misbehaviour", "Span"]


def _own_name(container: Container) -> str:
    """The name ``container`` stands for: its own, also while a replacement has it aside."""
    leftover = read_name(container)
    return container.name if leftover is None else leftover.name


@attrs.define
class _Record:
    """A container as the engine keeps it."""

    id: str
    name: str
    image: ImageRef
    image_id: str
    labels: dict[str, str]
    state: ContainerState
    links: tuple[str, ...]
    network_mode: str
    healthcheck: bool
    stop_signal: str | None
    stop_timeout: timedelta | None
    data: dict[str, str] = attrs.field(factory=dict)
    volumes: dict[str, str] = attrs.field(factory=dict)  # named volume -> mount path


class MemoryEngine:
    """A container engine in memory: implements :class:`~watchtower.protocols.ContainerClient`.

    Args:
        registry: Where pulls come from.

    Attributes:
        calls: Every call made, in order, as ``(method, subject)`` pairs.
        stops: Every stop, as ``(name, signal, timeout)``.
        hook_exit_codes: Exit codes the hooks return, by (container name,
            command); 0 when absent.
        hook_users: Every hook run, as ``(container name, command, user)``.
            A container renamed aside by a replacement counts under the
            name it stands for, in both.
        unhealthy: Names whose replacements never become healthy.
        misbehaving: How the replacements of a container (by its name)
            behave once started, for their checks (probes, soak, fail pattern).
        checked: Every replacement checked, as ``(name, checks)``.
        delays: How long each step takes, in seconds, by step (none by
            default); the engine serves other calls meanwhile, as a real
            one does.
        spans: Every call with its beginning and end (see :meth:`overlapping`).
        volumes: The named volumes, each as its files (path to bytes).
        snapshots: Each volume's snapshots, oldest first, as ``(name, files)``.
        writes_on_start: What a container (by name) writes into its named
            volumes whenever it starts under that name, by volume: a
            replacement that rewrites its data.
    """

    def __init__(self, registry: MemoryRegistry | None = None) -> None:
        self.registry = registry or MemoryRegistry()
        self._containers: dict[str, _Record] = {}
        self._named: dict[str, _Record] = {}
        self._images: dict[str, Image] = {}
        self._tags: dict[ImageRef, str] = {}
        self._tagged: dict[str, set[str]] = {}  # image id -> every reference it was tagged as
        self._faults = _Faults()
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.calls: list[tuple[str, str]] = []
        self.stops: list[tuple[str, str, timedelta]] = []
        self.hook_exit_codes: dict[tuple[str, str], int | None] = {}
        self.hook_users: list[tuple[str, str, str]] = []
        self.unhealthy: set[str] = set()
        self.misbehaving: dict[str, Misbehaviour] = {}
        self.checked: list[tuple[str, Checks]] = []
        self.delays: dict[str, float] = {}
        self.spans: list[Span] = []
        self._ticks = itertools.count()
        self.volumes: dict[str, dict[str, bytes]] = {}
        self.snapshots: dict[str, list[tuple[str, dict[str, bytes]]]] = {}
        self.writes_on_start: dict[str, dict[str, dict[str, bytes]]] = {}

    # Setting up -----------------------------------------------------------

    def add_image(self, reference: str | ImageRef, image: Image | None = None) -> Image:
        """Tag a local image as ``reference``: pulled from the registry, or ``image``."""
        ref = _ref(reference)
        with self._lock:
            if image is None:
                image = self.registry.image(ref)
            self._images[image.id] = image
            self._tags[ref] = image.id
            self._tagged.setdefault(image.id, set()).add(image_key(ref))
            return image

    def build(self, reference: str | ImageRef, version: object = 1) -> Image:
        """Tag a locally built image (no repo digests) as ``reference``."""
        return self.add_image(reference, Image(_sha("build", reference, version)))

    def run(
        self,
        name: str,
        reference: str | ImageRef,
        *,
        labels: Mapping[str, str] | None = None,
        state: ContainerState = ContainerState.RUNNING,
        links: Sequence[str] = (),
        network_mode: str = "default",
        healthcheck: bool = False,
        stop_signal: str | None = None,
        stop_timeout: timedelta | None = None,
        volumes: Mapping[str, str] | None = None,
    ) -> Container:
        """Create a container from ``reference`` (pulled first if not local).

        ``volumes`` are the named volumes it mounts, each with its path;
        a volume not there yet is created empty.
        """
        ref = _ref(reference)
        with self._lock:
            image_id = self._tags.get(ref) or self.add_image(ref).id
            record = _Record(
                id=self._new_id(),
                name=name,
                image=ref,
                image_id=image_id,
                labels=dict(labels or {}),
                state=state,
                links=tuple(links),
                network_mode=network_mode,
                healthcheck=healthcheck,
                stop_signal=stop_signal,
                stop_timeout=stop_timeout,
                volumes=dict(volumes or {}),
            )
            for volume in record.volumes:
                self.volumes.setdefault(volume, {})
            self._add(record)
            return self._snapshot(record)

    def fail(
        self,
        step: str,
        container: str | None = None,
        *,
        image: str | None = None,
        error: Exception | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``step`` fail: for one container, one image, or any.

        A step of :data:`CONTAINER_STEPS` is about ``container``, by its own
        name (``"web"``), which names it also while a replacement has it aside
        (``web-watchtower-old-…``, ``web-watchtower-failed-…``): so
        ``fail("remove", "web")`` fails the removal of the old ``web``. A
        name held only for a while singles out the calls made under it. A
        step of :data:`IMAGE_STEPS` is about ``image``, a reference or an id
        (``fail("pull", image="example.org/web:1")``), matched under every
        reference the image was tagged as. Without either, the next call of
        ``step`` fails; a fault for one container or image goes first.
        For ``health`` the failure is an unhealthy answer, not an exception.
        What has not happened yet is in :attr:`pending_faults`.

        Args:
            step: One of :data:`STEPS`.
            container: The container's own name, for a container step.
            image: The image's reference or id, for an image step.
            error: What the call raises (a :class:`~watchtower.errors.ContainerError`
                by default).
            times: How many calls fail.

        Raises:
            ConfigurationError: No call could ever match: an unknown step, an
                image for a container step or a container for an image step
                (or either for ``list``), a container name that is not one,
                an image that is neither a reference nor an id.
        """
        with self._lock:
            self._faults.fail(step, container, image, error, times)

    @property
    def pending_faults(self) -> tuple[Fault, ...]:
        """The failures set up by :meth:`fail` that have not happened yet, in order.

        One entry per call still to fail. A test that expects each of its
        faults to fire asserts that this is empty at its end.
        """
        with self._lock:
            return self._faults.pending

    def clear_failures(self) -> None:
        """Forget the failures that :meth:`fail` set up and that have not happened yet."""
        with self._lock:
            self._faults.clear()

    def kill_at(self, call: int | None) -> None:
        """Kill the process using the engine at its ``call``-th engine call from now.

        That call has no effect and raises :class:`Killed`, and so does every
        later one (from any thread), as if the process had died there, until
        ``kill_at(None)`` brings a new process.
        """
        with self._lock:
            self._faults.kill_at(None if call is None else len(self.calls) + call)

    def stop_answering(self, after: int | None = 0) -> None:
        """Answer ``after`` more calls, then none; ``None``: answer again.

        Each unanswered call raises :class:`~watchtower.errors.EngineTimeoutError`
        and has no effect.
        """
        with self._lock:
            self._faults.silent_from(None if after is None else len(self.calls) + after)

    # Looking -----------------------------------------------------------

    def overlapping(self, first: Sequence[str], second: Sequence[str]) -> list[tuple[Span, Span]]:
        """Pairs of calls, one of ``first`` and one of ``second`` steps, in flight together.

        Calls about the same subject are left out: one thread made them.
        """
        with self._lock:
            spans = list(self.spans)
        return [
            (a, b)
            for i, a in enumerate(spans)
            for b in spans[i + 1 :]
            if a.subject != b.subject
            and ((a.step in first and b.step in second) or (a.step in second and b.step in first))
            and a.overlaps(b)
        ]

    def container(self, name: str) -> Container:
        """The container now named ``name``."""
        with self._lock:
            return self._snapshot(self._by_name(name))

    def containers(self) -> list[Container]:
        """Every container, in creation order."""
        with self._lock:
            return [self._snapshot(r) for r in self._containers.values()]

    def names(self) -> set[str]:
        """The names of all containers."""
        with self._lock:
            return set(self._named)

    def images(self) -> set[str]:
        """The ids of all local images."""
        with self._lock:
            return set(self._images)

    def write(self, name: str, path: str, content: str) -> None:
        """Write data into a container's (anonymous) volume; replacements keep it."""
        with self._lock:
            self._by_name(name).data[path] = content

    def read(self, name: str, path: str) -> str | None:
        """Read data from a container's volume."""
        with self._lock:
            return self._by_name(name).data.get(path)

    def count(self, method: str) -> int:
        """How many times ``method`` was called."""
        with self._lock:
            return sum(1 for m, _ in self.calls if m == method)

    # Internals -----------------------------------------------------------

    def _tick(self) -> int:
        with self._lock:
            return next(self._ticks)

    def _own_name(self, record: _Record) -> str:
        return _own_name(self._snapshot(record))

    def _names_of(self, record: _Record) -> set[str]:
        """The names a fault may give ``record`` by: its own, and the one it has now."""
        return {record.name, self._own_name(record)}

    def _image_keys(self, reference: str) -> set[str]:
        """How a fault may name the image ``reference`` (an id or a reference) names."""
        if reference in self._images:
            return {reference, *self._tagged.get(reference, ())}
        try:
            key = image_key(reference)
        except InvalidReferenceError:
            return {reference}
        if key == reference and IMAGE_ID.fullmatch(key):
            return {key}  # an id of no local image
        image_id = self._tags.get(parse_reference(key))
        return {key, image_id, *self._tagged[image_id]} if image_id else {key}

    def _new_id(self) -> str:
        return _sha("container", next(self._ids)).removeprefix("sha256:")

    def _add(self, record: _Record) -> None:
        if record.name in self._named:
            raise ContainerError(f"The name {record.name} is already in use.")
        self._containers[record.id] = record
        self._named[record.name] = record

    def _by_name(self, name: str) -> _Record:
        record = self._named.get(name)
        if record is None:
            raise ContainerError(f"No such container: {name}.")
        return record

    def _find(self, key: str) -> _Record:
        record = self._containers.get(key) or self._named.get(key)
        if record is not None:
            return record
        for record in self._containers.values():
            if record.id.startswith(key):
                return record
        raise ContainerError(f"No such container: {key}.")

    def _call(
        self,
        step: str,
        subject: str,
        *,
        containers: Iterable[str] = (),
        images: Iterable[str] = (),
    ) -> None:
        """Log the call and raise an injected failure, if one is due.

        ``containers`` are the names the call's container goes by, ``images``
        the keys of the call's image (:func:`image_key`).
        """
        self._faults.check_alive(len(self.calls), step, subject)
        self.calls.append((step, subject))
        self._faults.check_answer(len(self.calls), step, subject, set(containers), set(images))

    def _snapshot(self, record: _Record) -> Container:
        image = self._images.get(record.image_id)
        return Container(
            id=record.id,
            name=record.name,
            image=record.image,
            image_id=record.image_id,
            repo_digests=image.repo_digests if image else (),
            # As Docker's: the image's labels, under the container's own.
            labels={**(image.labels if image else {}), **record.labels},
            state=record.state,
            links=record.links,
            network_mode=record.network_mode,
            stop_signal=record.stop_signal,
            stop_timeout=record.stop_timeout,
            has_healthcheck=record.healthcheck,
            volumes=record.volumes,
        )

    # The protocol -----------------------------------------------------------

    @timed("list")
    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> list[Container]:
        """Containers that are running or paused, and optionally others."""
        wanted = {ContainerState.RUNNING, ContainerState.PAUSED}
        if include_stopped:
            wanted |= {ContainerState.CREATED, ContainerState.EXITED}
        if include_restarting:
            wanted.add(ContainerState.RESTARTING)
        with self._lock:
            self._call("list", "")
            return [self._snapshot(r) for r in self._containers.values() if r.state in wanted]

    @timed("get")
    def get_container(self, container_id: str) -> Container:
        """A snapshot of one container."""
        with self._lock:
            record = self._find(container_id)
            self._call("get", record.name, containers=self._names_of(record))
            return self._snapshot(record)

    @timed("inspect_image")
    def inspect_image(self, reference: str) -> Image | None:
        """The local image for a reference or id."""
        with self._lock:
            self._call("inspect_image", reference, images=self._image_keys(reference))
            if reference in self._images:
                return self._images[reference]
            image_id = self._tags.get(_ref(reference))
            return self._images[image_id] if image_id else None

    @timed("pull")
    def pull_image(self, ref: ImageRef) -> Image:
        """Pull from the registry and tag locally."""
        with self._lock:
            self._call("pull", ref.familiar, images={image_key(ref)})
        try:
            image = self.registry.image(ref)
        except RegistryError as error:
            raise EngineError(f"Could not pull {ref.familiar}: {error}") from error
        return self.add_image(ref, image)

    def tag_image(self, image_id: str, ref: ImageRef) -> None:
        """Make ``ref`` name the local image ``image_id``."""
        with self._lock:
            self._call("tag", ref.familiar, images={image_key(ref)})
            image = self._images.get(image_id)
            if image is None:
                raise EngineError(f"No such image: {image_id}.")
        self.add_image(ref, image)

    @timed("stop")
    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        """Stop a running container."""
        with self._lock:
            record = self._find(container.id)
            self._call("stop", record.name, containers=self._names_of(record))
            self.stops.append((container.name, signal, timeout))
            if record.state.is_running:
                record.state = ContainerState.EXITED

    @timed("start")
    def start_container(self, container_id: str) -> None:
        """Start a container."""
        with self._lock:
            record = self._find(container_id)
            self._call("start", record.name, containers=self._names_of(record))
            record.state = ContainerState.RUNNING
            for volume, files in self.writes_on_start.get(record.name, {}).items():
                if volume in record.volumes:
                    self.volumes[volume].update(files)

    @timed("rename")
    def rename_container(self, container_id: str, new_name: str) -> None:
        """Rename a container; the name must be free."""
        with self._lock:
            record = self._find(container_id)
            self._call("rename", record.name, containers=self._names_of(record))
            if self._named.get(new_name, record) is not record:
                raise ContainerError(f"The name {new_name} is already in use.")
            del self._named[record.name]
            record.name = new_name
            self._named[new_name] = record

    @timed("create")
    def create_replacement(self, old: Container, image: Image) -> str:
        """Create a copy of ``old`` on ``image``, under ``old``'s name, with its data."""
        with self._lock:
            self._call("create", old.name, containers={old.name, _own_name(old)})
            source = self._find(old.id)
            if image.id not in self._images:
                raise ContainerError(f"No such image: {image.id}.")
            record = attrs.evolve(
                source,
                id=self._new_id(),
                name=old.name,
                image=old.image,  # another tag when a tag rule moved it
                image_id=image.id,
                labels=replacement_labels(source.labels, source.image_id, image.id),
                state=ContainerState.CREATED,
                data=source.data,  # the anonymous volumes are carried over, not copied
            )
            self._add(record)
            return record.id

    @timed("health")
    def wait_until_healthy(self, container_id: str, timeout: timedelta) -> bool:
        """Healthy unless the container's name is in :attr:`unhealthy` or a failure is due."""
        with self._lock:
            record = self._find(container_id)
            try:
                self._call("health", record.name, containers=self._names_of(record))
            except Exception:
                return False
            return record.state is ContainerState.RUNNING and record.name not in self.unhealthy

    @timed("verify")
    def check_replacement(self, container_id: str, checks: Checks) -> str:
        """Judge ``checks`` by the container's entry in :attr:`misbehaving`; a stop is kept.

        A container that is not running fails (it stopped).
        """
        with self._lock:
            record = self._find(container_id)
            self._call("verify", record.name, containers=self._names_of(record))
            self.checked.append((record.name, checks))
            if record.state is not ContainerState.RUNNING:
                return exited(None, timedelta(0), checks.soak)
            misbehaviour = self.misbehaving.get(record.name)
            why = judge(checks, misbehaviour) if misbehaviour else ""
            if why.startswith("exited"):
                record.state = ContainerState.EXITED
            return why

    @timed("snapshot")
    def snapshot_volume(self, container: Container, volume: str, keep: int) -> str:
        """Copy the volume's files into a new snapshot; keep the ``keep`` newest."""
        with self._lock:
            record = self._find(container.id)
            self._call("snapshot", record.name, containers=self._names_of(record))
            if volume not in record.volumes:
                raise ContainerError(f"{record.name} does not mount volume {volume}.")
            taken = self.snapshots.setdefault(volume, [])
            name = f"watchtower-snapshot-{volume}-{self._tick()}"
            taken.append((name, dict(self.volumes[volume])))
            del taken[: max(0, len(taken) - keep)]
            return name

    @timed("restore")
    def restore_volume(self, container: Container, volume: str, snapshot: str) -> None:
        """Make the volume's files those of ``snapshot``."""
        with self._lock:
            record = self._find(container.id)
            self._call("restore", record.name, containers=self._names_of(record))
            for name, files in self.snapshots.get(volume, ()):
                if name == snapshot:
                    self.volumes[volume] = dict(files)
                    return
            raise ContainerError(f"No such snapshot: {snapshot}.")

    @timed("remove")
    def remove_container(self, container_id: str, *, remove_volumes: bool = False) -> None:
        """Remove a stopped container."""
        with self._lock:
            record = self._find(container_id)
            self._call("remove", record.name, containers=self._names_of(record))
            if record.state.is_running:
                raise ContainerError(f"Container {record.name} is running; stop it first.")
            del self._containers[record.id]
            del self._named[record.name]

    @timed("hook")
    def run_hook(
        self, container_id: str, command: str, timeout: timedelta, *, user: str = ""
    ) -> HookResult:
        """Return the exit code set in :attr:`hook_exit_codes` (0 by default); note the user."""
        with self._lock:
            record = self._find(container_id)
            name = self._own_name(record)
            self._call("hook", name, containers=self._names_of(record))
            self.hook_users.append((name, command, user))
            code = self.hook_exit_codes.get((name, command), 0)
            return HookResult(code, f"ran {command}")

    @timed("remove_image")
    def remove_image(self, image_id: str) -> None:
        """Remove a local image that no container uses."""
        with self._lock:
            self._call("remove_image", image_id, images=self._image_keys(image_id))
            if any(r.image_id == image_id for r in self._containers.values()):
                raise ImageInUseError(f"Image {short_id(image_id)} is in use by a container.")
            self._images.pop(image_id, None)
            for ref, tagged in list(self._tags.items()):
                if tagged == image_id:
                    del self._tags[ref]
