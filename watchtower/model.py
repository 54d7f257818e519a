"""Value types shared by the orchestrator, its backends and its users.

Every class here is a frozen attrs class: a snapshot of something, never a
handle to it. Backends build them; :func:`watchtower.update` reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import field, frozen

__all__ = [
    "Container",
    "ContainerState",
    "HookResult",
    "Image",
    "ImageRef",
    "Rollout",
    "RolloutState",
    "Service",
    "VolumeSnapshot",
    "short_id",
]


def short_id(value: str | None) -> str:
    """An id as the docker CLI shows it: 12 characters, without ``sha256:``."""
    return (value or "").removeprefix("sha256:")[:12]


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _labels(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return dict(value or {})


@frozen(order=True)
class ImageRef:
    """A normalised image reference, as Docker understands it.

    Build one with :func:`watchtower.parse_reference`, which applies Docker's
    rules (``nginx`` is ``docker.io/library/nginx:latest``).

    Attributes:
        domain: The registry host, with its port if it has one
            (``docker.io``, ``ghcr.io``, ``localhost:5000``).
        path: The repository path within the registry (``library/nginx``).
        tag: The tag, or ``None`` when the reference has only a digest.
        digest: The pinned digest (``sha256:...``), or ``None``.
    """

    domain: str
    path: str
    tag: str | None = "latest"
    digest: str | None = None

    @property
    def name(self) -> str:
        """The repository name with its registry, such as ``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The name as the docker CLI shows it, such as ``nginx``, ``user/app``, ``ghcr.io/o/a``.

        Docker Hub names lose ``docker.io/`` (and ``library/`` for official
        images), except when the path's first component would then read as a
        registry host (``docker.io/example.com/app``): the familiar form always
        parses back to the same reference.
        """
        if self.domain != "docker.io":
            return self.name
        path = self.path
        first, slash, rest = path.partition("/")
        if first == "library" and slash and "/" not in rest:
            return rest
        if slash and (first == "localhost" or "." in first or ":" in first):
            return self.name
        return path

    @property
    def is_pinned(self) -> bool:
        """True when the reference names a digest; such containers are never updated."""
        return self.digest is not None

    def with_tag(self, tag: str) -> ImageRef:
        """This repository at another tag, without a digest.

        Raises:
            InvalidReferenceError: ``tag`` is not a tag by Docker's grammar
                (``-foo``, ``a b``, ``x`` * 129), so the result would not parse back.
        """
        from .reference import check_tag  # reference builds on this module

        check_tag(self.name, tag)
        return attrs.evolve(self, tag=tag, digest=None)

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text

    @property
    def familiar(self) -> str:
        """The whole reference in the docker CLI's short form, such as ``nginx:1.25``."""
        text = self.familiar_name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


class ContainerState(str, enum.Enum):
    """The engine's view of a container, with Docker's names."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"

    @property
    def is_running(self) -> bool:
        """True when running, paused or restarting, with a live process to stop."""
        return self in (ContainerState.RUNNING, ContainerState.PAUSED, ContainerState.RESTARTING)


@frozen
class Image:
    """A local image: what a pull or an inspect returns.

    Attributes:
        id: The image id (``sha256:...``): its config digest.
        repo_digests: ``name@sha256:...`` entries, one per repository the
            image was pulled from or pushed to. Empty for a locally built image.
        labels: The image's own labels (its config's ``Labels``), such as
            the OCI ``org.opencontainers.image.version``
            (:class:`watchtower.versions.Version`). Not compared: the id
            already covers them.
        size: Its size in bytes, as the engine tells it (``docker image
            inspect``'s ``Size``); ``None`` when the engine does not say.
            Not compared: the id already covers it.
    """

    id: str
    repo_digests: tuple[str, ...] = field(default=(), converter=_tuple)
    labels: Mapping[str, str] = field(factory=dict, converter=_labels, eq=False)
    size: int | None = field(default=None, eq=False)

    def has_digest(self, digest: str) -> bool:
        """True when one of the repo digests (``name@digest``) is ``digest``.

        As the fork's DigestsMatch: a ``sha256:`` prefix may be left out on
        either side, and an entry without ``@`` or an empty digest matches
        nothing.
        """
        wanted = digest.removeprefix("sha256:")
        return bool(wanted) and any(
            at and found.removeprefix("sha256:") == wanted
            for _, at, found in (entry.rpartition("@") for entry in self.repo_digests)
        )


@frozen(eq=True, hash=False)
class Container:
    """A snapshot of one container: everything the orchestrator decides from.

    The backend that made it keeps whatever else it needs to recreate the
    container (the docker backend keeps the whole inspect answer in ``raw``).

    Attributes:
        id: The engine's id of the container.
        name: Its name, without Docker's leading slash.
        image: The reference it was created from (its ``Config.Image``).
        image_id: The id of the image it runs.
        repo_digests: The repo digests of that image (empty for a local build).
        labels: Its labels.
        state: Its state.
        links: Names of the containers it links to.
        network_mode: ``bridge``, ``host``, ``none``, a network name, or
            ``container:<name or id>``.
        stop_signal: The stop signal from its config, if it set one.
        stop_timeout: The stop timeout from its config, if it set one.
        has_healthcheck: True when it (or its image) defines a health check.
        volumes: The named volumes it mounts, each with the path it is
            mounted at (anonymous volumes and bind mounts are left out).
        raw: Backend-specific data, opaque to the orchestrator.
    """

    id: str
    name: str
    image: ImageRef
    image_id: str
    repo_digests: tuple[str, ...] = field(default=(), converter=_tuple)
    labels: Mapping[str, str] = field(factory=dict, converter=_labels)
    state: ContainerState = ContainerState.RUNNING
    links: tuple[str, ...] = field(default=(), converter=_tuple)
    network_mode: str = "default"
    stop_signal: str | None = None
    stop_timeout: timedelta | None = None
    has_healthcheck: bool = False
    volumes: Mapping[str, str] = field(factory=dict, converter=_labels)
    raw: Any = field(default=None, eq=False, repr=False)

    @property
    def short_id(self) -> str:
        """The first twelve characters of the id, as the docker CLI shows it."""
        return short_id(self.id)

    @property
    def current_image(self) -> Image:
        """The image this container runs, as an :class:`Image`."""
        return Image(self.image_id, self.repo_digests)


@frozen
class VolumeSnapshot:
    """A copy of a protected volume, taken before its container was replaced.

    Attributes:
        volume: The volume it copies (the ``snapshot-volumes`` label names it).
        name: The snapshot volume's own name.
        at: When it was taken.
        container_id: The id of the old container it was taken for.
        complete: The copy finished; an incomplete one (its run was killed
            while copying) is never restored.
        keep: How many of the volume's snapshots were kept when it was
            taken, it among them (older ones were removed: ``--snapshot-keep``);
            0 when unknown.
        held: The names of the volume's snapshots the engine held once it
            was taken, it among them; ``None`` when the engine could not
            tell (then ``keep`` says which remain).
    """

    volume: str
    name: str
    at: datetime
    container_id: str = ""
    complete: bool = True
    keep: int = 0
    held: tuple[str, ...] | None = None


@frozen
class HookResult:
    """What a lifecycle hook command did.

    Attributes:
        exit_code: Its exit code; ``None`` when it timed out.
        output: What it printed (stdout and stderr), possibly shortened.
    """

    exit_code: int | None
    output: str = ""

    @property
    def timed_out(self) -> bool:
        """True when the command was stopped at its timeout."""
        return self.exit_code is None


@frozen(eq=True, hash=False)
class Service:
    """A snapshot of one service: a workload whose engine rolls its replicas out itself.

    A swarm service is one; a Kubernetes deployment would be another. The
    engine replaces the service's tasks (its containers) on every node, with
    the service's own update and rollback settings; watchtower only points
    the service at a new digest (see :class:`~watchtower.protocols.ServiceClient`).

    Attributes:
        id: The engine's id of the service.
        name: Its name.
        image: The reference its spec names, usually ``name:tag@digest``: the
            tag it follows and the digest its tasks run. A reference with a
            digest and no tag is pinned: never updated.
        labels: Its labels (the service's own, not its containers').
        replicas: How many tasks it asks for; ``None`` for a global service
            (one per node).
        raw: Backend-specific data, opaque to the orchestrator.
    """

    id: str
    name: str
    image: ImageRef
    labels: Mapping[str, str] = field(factory=dict, converter=_labels)
    replicas: int | None = None
    raw: Any = field(default=None, eq=False, repr=False)

    @property
    def short_id(self) -> str:
        """The first twelve characters of the id, as the docker CLI shows it."""
        return short_id(self.id)

    @property
    def followed(self) -> ImageRef:
        """The tag it follows, without the digest it runs now."""
        return self.image.with_tag(self.image.tag or "latest")


class RolloutState(str, enum.Enum):
    """How an engine's rollout of a service ended."""

    COMPLETED = "completed"
    """Every task runs the new image."""
    ROLLED_BACK = "rolled_back"
    """The new tasks failed and the engine rolled the service back."""
    FAILED = "failed"
    """The rollout stopped (paused, or a rollback that failed) with the service half done."""
    TIMED_OUT = "timed_out"
    """It had not ended when the backend stopped waiting."""


@frozen
class Rollout:
    """What became of a service's rollout.

    Attributes:
        state: How it ended.
        message: What the engine said about it (empty when it said nothing).
    """

    state: RolloutState
    message: str = ""
