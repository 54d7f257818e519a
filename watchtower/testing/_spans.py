"""How long each :class:`~watchtower.testing.MemoryEngine` call lasted, on its own count."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

import attrs

__all__ = ["Span", "timed"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


@attrs.frozen
class Span:
    """One engine call from its beginning to its end, on the engine's own count of events.

    Attributes:
        step: The call, one of :data:`STEPS`.
        subject: The container or image id (or reference) it was about.
        begin: When it began.
        end: When it ended (after its :attr:`MemoryEngine.delays`).
    """

    step: str
    subject: str
    begin: int
    end: int

    def overlaps(self, other: Span) -> bool:
        """True when the two calls were in flight at the same time."""
        return self.begin < other.end and other.begin < self.end


class _Timed(Protocol):
    """What :func:`timed` needs of the engine."""

    delays: dict[str, float]
    spans: list[Span]

    @property
    def _lock(self) -> threading.RLock: ...

    def _tick(self) -> int: ...


_E = TypeVar("_E", bound=_Timed)


def timed(
    step: str,
) -> Callable[[Callable[Concatenate[_E, _P], _R]], Callable[Concatenate[_E, _P], _R]]:
    """Record the method's call as a :class:`Span`, lasting its step's delay."""

    def wrap(method: Callable[Concatenate[_E, _P], _R]) -> Callable[Concatenate[_E, _P], _R]:
        def timed(engine: _E, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            first = args[0] if args else ""
            subject = str(getattr(first, "id", first))
            begin = engine._tick()
            try:
                return method(engine, *args, **kwargs)
            finally:
                delay = engine.delays.get(step, 0.0)
                if delay:
                    time.sleep(delay)  # outside the lock: other calls go on meanwhile
                with engine._lock:
                    engine.spans.append(Span(step, subject, begin, engine._tick()))

        functools.update_wrapper(timed, method)  # its name, docstring and signature
        return timed

    return wrap
