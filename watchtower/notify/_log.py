"""A notifier that writes to a log or a stream."""

from __future__ import annotations

import logging
from typing import TextIO

from ._base import DEFAULT_TITLE, ReportNotifier
from ._message import Message
from ._templates import Template

__all__ = ["LogNotifier"]


class LogNotifier(ReportNotifier):
    """Writes each notification to a :class:`logging.Logger` (or a stream).

    Its records carry ``notify=False`` so that an
    :class:`~watchtower.notify.EntryCollector` on the same logger does not
    feed notifications back into notifications.

    Args:
        logger: Where the messages go.
        level: The level they are logged at.
        stream: When given, messages are written here instead (one per line,
            the title first), as ``--notification-log-stdout`` does.
        template: The template :meth:`notify` renders with.
        title: The title :meth:`notify` uses.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        level: int = logging.INFO,
        stream: TextIO | None = None,
        template: Template | None = None,
        title: str = DEFAULT_TITLE,
    ) -> None:
        super().__init__(template=template, title=title)
        self._logger = logger
        self._level = level
        self._stream = stream

    @property
    def name(self) -> str:
        """``log``."""
        return "log"

    def send(self, message: Message) -> None:
        """Log (or write) the title and the body."""
        text = f"{message.title}\n{message.body}" if message.title else message.body
        if self._stream is not None:
            self._stream.write(text.rstrip("\n") + "\n")
            self._stream.flush()
            return
        self._logger.log(self._level, "%s", text, extra={"notify": False})
