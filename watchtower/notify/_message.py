"""What a notifier sends: :class:`Message`, and the :class:`Sender` seam."""

from __future__ import annotations

from attrs import frozen
from typing_extensions import Protocol, runtime_checkable

from ..report import Report

__all__ = ["Message", "Sender"]


@frozen(kw_only=True)
class Message:
    """One notification, rendered.

    Attributes:
        title: The title (an e-mail's subject); empty when titles are skipped.
        body: The rendered text.
        host: The host name the notification speaks for.
        report: The report it was rendered from; None for the startup message.
    """

    title: str
    body: str
    host: str = ""
    report: Report | None = None


@runtime_checkable
class Sender(Protocol):
    """Something that delivers a rendered :class:`Message`.

    Every notifier in :mod:`watchtower.notify` is one; it raises when the
    delivery fails, and :class:`~watchtower.notify.Notifications` logs and
    counts the failure.
    """

    @property
    def name(self) -> str:
        """A short name for logs: ``log``, ``webhook``, ``smtp``, ``apprise:discord``."""
        ...

    def send(self, message: Message) -> None:
        """Deliver ``message``; raise when that fails."""
        ...
