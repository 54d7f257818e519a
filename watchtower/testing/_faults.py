"""What a :class:`~watchtower.testing.MemoryEngine` is told to go wrong, and when it does.

Three kinds: a step that fails (a :class:`Fault` queued for a step, for one
container, one image or any), a process that dies at a given call
(:class:`Killed`), and an engine that stops answering (every later call
times out).

A fault is keyed the way a test author thinks of it: a container step by
the container's own name, whatever it is called while a replacement has it
aside; an image step by the image's reference (or id). A key that no call
could ever carry is refused when it is set up, and whatever has not fired
stays in view (:attr:`MemoryEngine.pending_faults`), so a fault can neither
be misspelt nor lost silently.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import attrs

from ..errors import ConfigurationError, ContainerError, EngineTimeoutError, InvalidReferenceError
from ..model import ImageRef
from ..reference import parse_reference

__all__ = ["CONTAINER_STEPS", "IMAGE_STEPS", "STEPS", "Fault", "Killed"]

STEPS = (
    "list",
    "get",
    "inspect_image",
    "pull",
    "stop",
    "start",
    "rename",
    "create",
    "health",
    "verify",
    "remove",
    "hook",
    "remove_image",
    "snapshot",
    "restore",
)
"""The engine steps that :meth:`MemoryEngine.fail` can make fail."""

CONTAINER_STEPS = (
    "get",
    "stop",
    "start",
    "rename",
    "create",
    "health",
    "verify",
    "remove",
    "hook",
    "snapshot",
    "restore",
)
"""The steps that act on one container, which :meth:`MemoryEngine.fail` names by ``container``."""

IMAGE_STEPS = ("inspect_image", "pull", "remove_image")
"""The steps that act on one image, which :meth:`MemoryEngine.fail` names by ``image``."""

# Docker's grammar for a container name (a leading slash is the API's own).
_CONTAINER_NAME = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]*")
IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")


class Killed(BaseException):
    """The process using a :class:`MemoryEngine` died (see :meth:`MemoryEngine.kill_at`).

    A ``BaseException``, so that nothing in :func:`watchtower.update` catches
    it: the run stops where it is, as a killed process does.
    """


@attrs.frozen
class Fault:
    """One failure set up by :meth:`MemoryEngine.fail` that has not happened yet.

    Attributes:
        step: The step it fails, one of :data:`STEPS`.
        container: The container it waits for, by the name given; ``None``
            for any (and for image steps).
        image: The image it waits for: a normalised reference
            (``example.org/web:1``) or an image id; ``None`` for any (and
            for container steps).
        error: What the call raises (for ``health``: the answer is unhealthy).
    """

    step: str
    container: str | None
    image: str | None
    error: Exception = attrs.field(eq=False)

    @property
    def keyed(self) -> bool:
        """True when it waits for one container or image, not for any."""
        return self.container is not None or self.image is not None

    def matches(self, step: str, containers: Collection[str], images: Collection[str]) -> bool:
        """True when this fault is for a ``step`` call about these names or images."""
        if step != self.step:
            return False
        if self.container is not None:
            return self.container in containers
        if self.image is not None:
            return self.image in images
        return True


def image_key(reference: str | ImageRef) -> str:
    """How a fault names an image: its id as it is, a reference normalised (tag over digest).

    Raises:
        InvalidReferenceError: ``reference`` is neither.
    """
    if isinstance(reference, str) and IMAGE_ID.fullmatch(reference):
        return reference
    ref = parse_reference(reference) if isinstance(reference, str) else reference
    return str(ref if ref.digest is None or ref.tag is None else ref.with_tag(ref.tag))


def _checked(step: str, container: str | None, image: str | None) -> tuple[str | None, str | None]:
    """The fault's keys as calls carry them; a key that no call could carry is refused."""
    if step not in STEPS:
        raise ConfigurationError(
            f"{step!r} is not a step of the memory engine; the steps are {', '.join(STEPS)}."
        )
    if step == "list" and (container is not None or image is not None):
        raise ConfigurationError(
            "A listing is about no container or image: fail('list') fails the next one."
        )
    if step in IMAGE_STEPS and container is not None:
        raise ConfigurationError(
            f"{step} acts on an image, never on a container such as {container!r}: "
            f"name the image, as in fail({step!r}, image='example.org/web:1')."
        )
    if step in CONTAINER_STEPS and image is not None:
        raise ConfigurationError(
            f"{step} acts on a container, never on an image such as {image!r}: "
            f"name the container, as in fail({step!r}, 'web')."
        )
    if container is not None and not _CONTAINER_NAME.fullmatch(container):
        raise ConfigurationError(
            f"{container!r} is not a container name, so no {step} call can ever be about it."
        )
    if image is not None:
        try:
            image = image_key(image)
        except InvalidReferenceError:
            raise ConfigurationError(
                f"{image!r} is neither an image reference nor an image id (sha256:...), "
                f"so no {step} call can ever be about it."
            ) from None
    return (container.lstrip("/") if container is not None else None), image


class _Faults:
    """The failures due, counted in engine calls; the engine calls it under its lock."""

    def __init__(self) -> None:
        self._queued: list[Fault] = []
        self._kill_at: int | None = None
        self._dead = False
        self._silent_from: int | None = None

    def fail(
        self,
        step: str,
        container: str | None,
        image: str | None,
        error: Exception | None,
        times: int,
    ) -> None:
        container, image = _checked(step, container, image)
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ConfigurationError(f"times={times!r} is not a count of calls (1 or more).")
        error = error or ContainerError(f"simulated {step} failure")
        self._queued.extend([Fault(step, container, image, error)] * times)

    @property
    def pending(self) -> tuple[Fault, ...]:
        return tuple(self._queued)

    def clear(self) -> None:
        self._queued.clear()

    def kill_at(self, call: int | None) -> None:
        """Die at the ``call``-th call counted from zero; ``None``: a new process."""
        self._kill_at = call
        self._dead = False

    def silent_from(self, call: int | None) -> None:
        """Answer no call after the ``call``-th; ``None``: answer again."""
        self._silent_from = call

    def check_alive(self, made: int, step: str, subject: str) -> None:
        """Die now if the process is due to, before the call is counted (``made`` so far)."""
        if self._dead or (self._kill_at is not None and made + 1 >= self._kill_at):
            self._dead = True
            raise Killed(f"killed at {step} {subject}".rstrip())

    def check_answer(
        self,
        made: int,
        step: str,
        subject: str,
        containers: Collection[str] = (),
        images: Collection[str] = (),
    ) -> None:
        """Raise the failure due for the call just counted (``made`` so far), if any.

        A fault for this container or image goes before one for any.
        """
        if self._silent_from is not None and made > self._silent_from:
            doing = f"{step} {subject}".rstrip()
            raise EngineTimeoutError(
                f"Could not {doing}: the engine at memory did not answer in time.", "memory"
            )
        queued = list(enumerate(self._queued))
        keyed = (i for i, f in queued if f.matches(step, containers, images) and f.keyed)
        due = next(keyed, next((i for i, f in queued if f.matches(step, (), ())), None))
        if due is not None:
            raise self._queued.pop(due).error
