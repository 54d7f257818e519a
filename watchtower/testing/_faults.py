"""What a :class:`~watchtower.testing.MemoryEngine` is told to go wrong, and when it does.

Three kinds: a step that fails (an error queued for a step, for one
container or any), a process that dies at a given call (:class:`Killed`), and
an engine that stops answering (every later call times out).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ContainerError, EngineTimeoutError

__all__ = ["STEPS", "Killed"]

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
    "remove",
    "hook",
    "remove_image",
)
"""The engine steps that :meth:`MemoryEngine.fail` can make fail."""


class Killed(BaseException):
    """The process using a :class:`MemoryEngine` died (see :meth:`MemoryEngine.kill_at`).

    A ``BaseException``, so that nothing in :func:`watchtower.update` catches
    it: the run stops where it is, as a killed process does.
    """


class _Faults:
    """The failures due, counted in engine calls; the engine calls it under its lock."""

    def __init__(self) -> None:
        self._queued: dict[tuple[str, str | None], list[Exception]] = {}
        self._kill_at: int | None = None
        self._dead = False
        self._silent_from: int | None = None

    def fail(self, step: str, name: str | None, error: Exception | None, times: int) -> None:
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}; the steps are {', '.join(STEPS)}")
        error = error or ContainerError(f"simulated {step} failure")
        self._queued.setdefault((step, name), []).extend([error] * times)

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

    def check_answer(self, made: int, step: str, subject: str, names: Sequence[str]) -> None:
        """Raise the failure due for the call just counted (``made`` so far), if any."""
        if self._silent_from is not None and made > self._silent_from:
            doing = f"{step} {subject}".rstrip()
            raise EngineTimeoutError(
                f"Could not {doing}: the engine at memory did not answer in time.", "memory"
            )
        for key in ((step, n) for n in (*names, subject)):
            queue = self._queued.get(key)
            if queue:
                raise queue.pop(0)
        queue = self._queued.get((step, None))
        if queue:
            raise queue.pop(0)
