"""What a run reads of its history before it starts: nothing, when the history cannot say."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from .._emitter import Emitter
from ..events import Step
from ._values import History

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def read_kept(
    history: History | None,
    read: Callable[[History], Mapping[K, V]],
    unread: str,
    emit: Emitter,
) -> Mapping[K, V]:
    """``read(history)``; empty without a history, or when it fails.

    A failure never fails the run: it is told as a ``Failed`` event (step
    ``history``) whose reason is ``unread``, then the error.
    """
    return read_or(history, read, {}, unread, emit)


def read_or(
    history: History | None, read: Callable[[History], T], nothing: T, unread: str, emit: Emitter
) -> T:
    """``read(history)``; ``nothing`` without a history, or when it fails (as :func:`read_kept`)."""
    if history is None:
        return nothing
    try:
        return read(history)
    except Exception as error:
        emit.failed(Step.HISTORY, f"{unread}: {error}")
        return nothing
