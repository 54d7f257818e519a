"""The three seams of watchtower: a container engine, a registry, a notifier.

:func:`watchtower.update` does all its I/O through these protocols. A new
backend implements them and gets every feature: selection, staleness,
ordering, hooks, rollback, cleanup and reporting are decided above them.
:mod:`watchtower.testing` has in-memory implementations of the first two.

Methods raise the exceptions of :mod:`watchtower.errors`; anything else a
backend raises is treated like :class:`~watchtower.errors.EngineError`
(engine) or :class:`~watchtower.errors.RegistryError` (registry).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from typing_extensions import Protocol, runtime_checkable

from .model import Container, HookResult, Image, ImageRef, Rollout, Service, VolumeSnapshot

if TYPE_CHECKING:
    from .probes import Checks
    from .report import Report

__all__ = [
    "ContainerClient",
    "ImageTagger",
    "Notifier",
    "Registry",
    "ReplacementChecker",
    "ServiceClient",
    "SnapshotFinder",
    "TagLister",
    "VolumeSnapshotter",
]


@runtime_checkable
class ContainerClient(Protocol):
    """A container engine: lists, pulls, stops, recreates and starts containers.

    The orchestrator replaces a container as a transaction built from these
    calls: rename the old one aside, stop it, create the replacement under the
    old name, start it, wait for it to be healthy, and only then remove the
    old one. On any failure it removes the replacement, starts the old one
    and renames it back. Methods therefore do one thing each and must not
    remove or rename anything they were not asked to.

    All methods may be called from several threads at once, but never a
    rename beside another rename, stop or start (:mod:`watchtower.lanes`).
    A call the engine does not answer in time raises
    :class:`~watchtower.errors.EngineTimeoutError`.
    """

    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> Sequence[Container]:
        """Every container of the engine that is running or paused.

        Args:
            include_stopped: Also containers that are created or exited.
            include_restarting: Also containers that are restarting.

        Raises:
            EngineError: The engine could not be asked.
        """
        ...

    def get_container(self, container_id: str) -> Container:
        """A fresh snapshot of one container, by id or name.

        Raises:
            ContainerError: There is no such container.
        """
        ...

    def inspect_image(self, reference: str) -> Image | None:
        """The local image for a reference (``name:tag``) or an image id.

        Returns ``None`` when the engine has no such image.
        """
        ...

    def pull_image(self, ref: ImageRef) -> Image:
        """Pull ``ref`` from its registry and return the local image it now names.

        Raises:
            EngineError: The pull failed (the message says why).
        """
        ...

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        """Stop a running container: send ``signal``, then kill it after ``timeout``.

        Act on ``container.id``: during an update the container has already
        been renamed aside (``<name>-watchtower-old-<id>``), so
        ``container.name`` is the name it had when it was listed, no longer
        its name on the engine. Stopping a container that is not running does nothing. Return only
        once the engine has finished with the container's exit (its network
        released): the orchestrator renames other containers right after,
        and some engines deadlock on a rename during an exit
        (:mod:`watchtower.lanes`).

        Raises:
            ContainerError: The container could not be stopped.
        """
        ...

    def start_container(self, container_id: str) -> None:
        """Start a created or stopped container.

        Raises:
            ContainerError: It did not start.
        """
        ...

    def rename_container(self, container_id: str, new_name: str) -> None:
        """Give a container another name.

        Raises:
            ContainerError: The rename failed, for example the name is taken.
        """
        ...

    def create_replacement(self, old: Container, image: Image) -> str:
        """Create, without starting, a copy of ``old`` that runs ``image``.

        The copy takes ``old``'s name (the orchestrator has renamed ``old``
        aside first) and runs ``old.image``: when a tag rule moves the
        container to another tag, the orchestrator passes ``old`` with that
        tag as its ``image``, and the copy is created from it. It keeps
        everything the user configured (environment, labels, volumes and
        their data, networks with their addresses, host configuration) and
        takes the new image's defaults for the rest.

        Returns:
            The id of the new container.

        Raises:
            ContainerError: It could not be created; nothing was left behind.
        """
        ...

    def wait_until_healthy(self, container_id: str, timeout: timedelta) -> bool:
        """Wait until a started container's health check passes.

        Returns ``True`` at once for a container without a health check, and
        ``False`` when it turned unhealthy, stopped, or ``timeout`` passed.

        Raises:
            ContainerError: Its state could not be read.
        """
        ...

    def remove_container(self, container_id: str, *, remove_volumes: bool = False) -> None:
        """Remove a stopped container; with ``remove_volumes`` also its anonymous volumes.

        Raises:
            ContainerError: It could not be removed.
        """
        ...

    def run_hook(
        self, container_id: str, command: str, timeout: timedelta, *, user: str = ""
    ) -> HookResult:
        """Run a lifecycle hook command inside a running container.

        The command runs with ``sh -c``; it is stopped after ``timeout``
        (a zero timeout means no limit). ``user`` is who it runs as, as
        ``docker exec --user`` reads it (``uid``, ``uid:gid``, ``:gid``);
        empty is the container's own user. It is passed only when the run
        asks for one, so a backend without it keeps working otherwise.

        Raises:
            ContainerError: The command could not be run at all.
        """
        ...

    def remove_image(self, image_id: str) -> None:
        """Remove an image by id.

        Raises:
            ImageInUseError: A container still uses it; nothing was removed.
            EngineError: It could not be removed for another reason.
        """
        ...


@runtime_checkable
class ReplacementChecker(Protocol):
    """A container engine that can run a replacement's own checks: optional.

    The orchestrator checks a :class:`ContainerClient` with ``isinstance``
    and asks it only for a replacement whose labels (or ``UpdateParams.soak``)
    ask for probes, a soak or a fail pattern. A client without it keeps
    working for every other container; a replacement that asks for checks
    there fails, with a sentence that says so, rather than pass unchecked.
    """

    def check_replacement(self, container_id: str, checks: Checks) -> str:
        """Run ``checks`` on a started replacement: empty when it passed, else why not.

        Each probe is tried again, a short while apart, until it passes or
        ``checks.timeout`` (for all probes together) has passed; HTTP and TCP
        probes connect only to the container's own addresses, or to a port
        it publishes on the host's loopback. Then, until ``checks.soak``
        after its start, the container must keep running and never restart,
        and no line of its log since its start may match
        ``checks.fail_pattern``. The answer is one clause, worded by the
        functions of :mod:`watchtower.probes` (``probe http://:8080/health
        answered 503``, ``exited with code 1 after 5.0 s within the 10 s
        soak``, ``log line matched 'FATAL'``).

        Raises:
            ContainerError: Its state could not be read.
        """
        ...


@runtime_checkable
class ImageTagger(Protocol):
    """A container engine that can point a local tag at another image: optional.

    When a stack is rolled back (:mod:`watchtower.stacks`), each tag its
    update pulled anew is pointed back at the image the stack runs again,
    so that ``docker compose up -d``, which compares the image its tag
    names, does not recreate the stack on the images that failed. A client
    without it leaves the tags on the new images.
    """

    def tag_image(self, image_id: str, ref: ImageRef) -> None:
        """Make the local reference ``ref`` (a name and a tag) name the image ``image_id``.

        Raises:
            EngineError: The engine could not tag it.
        """
        ...


@runtime_checkable
class VolumeSnapshotter(Protocol):
    """A container engine that can snapshot a named volume and restore it: optional.

    Asked only for a container whose ``snapshot-volumes`` label names
    volumes to protect. Once its old container is stopped, each is
    snapshotted on the engine; when the replacement is rolled back, each is
    restored from its snapshot, byte for byte, before the old container
    starts again. A client without it cannot protect them: such a container
    is not updated, with a sentence that says so, rather than updated
    unprotected.
    """

    def snapshot_volume(self, container: Container, volume: str, keep: int) -> str:
        """Copy ``volume``, which the stopped ``container`` mounts, into a new snapshot.

        Only what the user already has may be used (``container``'s own
        image, never a new one). Of the volume's snapshots, the ``keep``
        newest are kept, this one with them; older ones are removed.

        Returns:
            The new snapshot's name.

        Raises:
            EngineError: No snapshot was taken (the message says why).
        """
        ...

    def restore_volume(self, container: Container, volume: str, snapshot: str) -> None:
        """Make ``volume`` hold exactly what ``snapshot`` holds: files, modes, owners, times.

        ``container`` mounts the volume and is stopped.

        Raises:
            EngineError: It could not be restored.
        """
        ...


@runtime_checkable
class SnapshotFinder(Protocol):
    """A container engine that finds the snapshots it holds: optional.

    The crash repair (:mod:`watchtower.repair`) asks it for the old container
    of an update it undoes, to restore its protected volumes as a rollback
    would. A client without it took no snapshot the repair could restore.
    After each snapshot, a run asks it which snapshots of that volume the
    engine still holds, so that a history lists no other as available.
    """

    def snapshots_of(self, volume: str) -> list[str]:
        """The names of ``volume``'s snapshots the engine holds, oldest first.

        Raises:
            EngineError: They could not be listed.
        """
        ...

    def snapshots_for(self, container: Container) -> list[VolumeSnapshot]:
        """The snapshots taken for ``container`` (by its id), oldest first.

        Raises:
            EngineError: They could not be listed.
        """
        ...


@runtime_checkable
class ServiceClient(Protocol):
    """An engine that rolls services out itself: swarm services, and the like.

    Watchtower decides which services are stale exactly as it does for
    containers (labels, scope, monitor-only, cooldown); the engine does the
    rest with the service's own update and rollback settings. A backend for
    Kubernetes deployments would list deployments, set a container's image
    and watch the rollout's status; one for Podman pods would do the same
    with a pod's containers.

    All methods may be called from several threads at once, but never a
    rename beside another rename, stop or start (:mod:`watchtower.lanes`).
    A call the engine does not answer in time raises
    :class:`~watchtower.errors.EngineTimeoutError`.
    """

    def list_services(self) -> Sequence[Service]:
        """Every service of the engine.

        Raises:
            EngineError: The engine could not be asked.
        """
        ...

    def update_service(self, service: Service, image: ImageRef) -> Rollout:
        """Point ``service`` at ``image`` (``name:tag@digest``) and wait for its rollout to end.

        The backend sends the registry credentials the nodes need to pull,
        leaves every other part of the service's spec as it is, and stops
        waiting after a timeout of its own (a :attr:`~watchtower.model.RolloutState.TIMED_OUT`
        rollout).

        Raises:
            EngineError: The update was refused; nothing changed.
        """
        ...


@runtime_checkable
class Registry(Protocol):
    """A registry client: which digest does the registry serve for a reference now?

    A run asks about several images at once (``check_concurrency`` at a
    time), so every method is called from several threads together: keep
    shared state (sessions, token caches) safe for that.
    """

    def digest(self, ref: ImageRef) -> str:
        """The manifest digest (``sha256:...``) the registry serves for ``ref``'s tag.

        This is a single cheap request (a manifest ``HEAD``) where the
        registry allows it; callers ask once per distinct reference per scan.

        Raises:
            RateLimitedError: The registry is rate limiting; do not pull now.
            RegistryError: Anything else went wrong; a pull may still work.
        """
        ...

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        """When the image behind ``digest`` was built, for the cooldown rule.

        Returns ``None`` when the registry does not say.

        Raises:
            RegistryError: The registry could not be asked.
        """
        ...


@runtime_checkable
class TagLister(Protocol):
    """A registry that can also list a repository's tags, for tag rules.

    Optional: the planner checks a :class:`Registry` with ``isinstance`` and
    applies containers' tag rules only when it is also a ``TagLister``;
    without it they follow their tag's digest, as before.
    """

    def tags(self, ref: ImageRef) -> Sequence[str]:
        """Every tag of ``ref``'s repository (its tag and digest are ignored).

        Callers ask once per repository per scan.

        Raises:
            RateLimitedError: The registry is rate limiting.
            RegistryError: Anything else went wrong.
        """
        ...


@runtime_checkable
class Notifier(Protocol):
    """Somewhere a report goes after a run: a log, a webhook, an e-mail."""

    def notify(self, report: Report) -> None:
        """Deliver ``report``.

        A notifier that fails raises; the caller logs and counts the failure
        and never lets it fail the update itself.
        """
        ...
