"""What the conformance checks are given, and how they fail: the subjects and the error."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta

import attrs

from ..model import Container, ImageRef
from ..protocols import ContainerClient, Registry
from ..reference import parse_reference

__all__ = ["ConformanceError", "EngineSubject", "RegistrySubject", "Stage", "expect"]


class ConformanceError(AssertionError):
    """A backend broke its protocol's contract; the message names the check and what was seen."""


def expect(condition: object, message: str) -> None:
    """Raise :class:`ConformanceError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConformanceError(message)


def _fresh_names() -> Callable[[str], str]:
    counter = itertools.count(1)
    return lambda stem: f"watchtower-conformance-{next(counter)}-{stem}"


def _fresh_references() -> Callable[[str], ImageRef]:
    counter = itertools.count(1)
    return lambda stem: parse_reference(f"example.org/conformance-{next(counter)}-{stem}:1")


@attrs.frozen
class EngineSubject:
    """A :class:`~watchtower.protocols.ContainerClient` under test, and how to set its stage.

    Attributes:
        client: The backend under test.
        run: Runs a container on the backend's engine, as its user would
            (``docker run``), not through ``client``: given a name and labels,
            it starts a container of :attr:`image` that keeps running until it
            is stopped, has no health check, and can run ``sh -c``; it returns
            the container's id.
        image: The image :attr:`run` uses: a tag that a registry the engine
            pulls from serves.
        names: A fresh container name for a stem, on each call. The checks
            remove what they make; a test may also remove whatever carries one
            of these names afterwards.
        timeout: What a stop and a health wait are given.
    """

    client: ContainerClient
    run: Callable[[str, Mapping[str, str]], str]
    image: ImageRef
    names: Callable[[str], str] = attrs.field(factory=_fresh_names)
    timeout: timedelta = timedelta(seconds=10)


@attrs.frozen
class RegistrySubject:
    """A :class:`~watchtower.protocols.Registry` under test, and how to publish to it.

    Attributes:
        registry: The backend under test.
        publish: Pushes a new version of a reference's tag, as its user would
            (``docker push``), not through ``registry``: each call pushes an
            image that differs from the last one pushed there.
        references: A fresh reference (a repository and tag nobody has
            pushed to) for a stem, on each call.
    """

    registry: Registry
    publish: Callable[[ImageRef], object]
    references: Callable[[str], ImageRef] = attrs.field(factory=_fresh_references)


class Stage:
    """The containers one check runs; the check's end stops and removes them (best effort)."""

    def __init__(self, subject: EngineSubject) -> None:
        self.subject = subject
        self.client = subject.client
        self._made: list[str] = []

    def run(self, stem: str, labels: Mapping[str, str] | None = None) -> Container:
        """Run a container named from ``stem``; its snapshot, as the client gives it."""
        name = self.subject.names(stem)
        container_id = self.subject.run(name, dict(labels or {}))
        self._made.append(container_id)
        return self.client.get_container(container_id)

    def made(self, container_id: str) -> None:
        """Remove the container ``container_id`` at the end as well."""
        self._made.append(container_id)

    def stop(self, container: Container) -> None:
        """Stop ``container`` with SIGTERM and the subject's timeout."""
        self.client.stop_container(container, signal="SIGTERM", timeout=self.subject.timeout)

    def listed(self, container_id: str, *, include_stopped: bool = False) -> Container | None:
        """The listing's entry for ``container_id``, if it has one."""
        listing = self.client.list_containers(include_stopped=include_stopped)
        return next((c for c in listing if c.id == container_id), None)

    def close(self) -> None:
        """Stop and remove every container of the check that is still there."""
        for container_id in reversed(self._made):
            with contextlib.suppress(Exception):
                self.stop(self.client.get_container(container_id))
            with contextlib.suppress(Exception):
                self.client.remove_container(container_id, remove_volumes=True)

    @classmethod
    @contextlib.contextmanager
    def of(cls, subject: EngineSubject) -> Iterator[Stage]:
        """A stage for one check, cleared when the check ends."""
        stage = cls(subject)
        try:
            yield stage
        finally:
            stage.close()
