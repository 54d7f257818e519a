"""The log of a run as notification input: :class:`LogEntry` and :class:`EntryCollector`.

Watchtower's notification templates see the log lines of a run next to its
report. The command line installs an :class:`EntryCollector` on its logger
for the length of a run and hands :meth:`EntryCollector.drain` to
:meth:`~watchtower.notify.Notifications.send_report`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from .._text import LOG_LEVELS, level_name

__all__ = ["EntryCollector", "LogEntry"]


def _frozen_fields(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@frozen(kw_only=True)
class LogEntry:
    """One log line of a run, as templates see it.

    Attributes:
        level: Watchtower's level name: ``fatal``, ``error``, ``warning``,
            ``info``, ``debug`` or ``trace``.
        message: The message, without its fields.
        time: When it was logged.
        fields: Its structured fields (``container``, ``image``, ...).
    """

    level: str
    message: str
    time: datetime
    fields: Mapping[str, Any] = field(factory=dict, converter=_frozen_fields)

    @property
    def levelno(self) -> int:
        """The :mod:`logging` level of :attr:`level`."""
        return LOG_LEVELS.get(self.level, logging.INFO)

    @property
    def data(self) -> Mapping[str, Any]:
        """:attr:`fields` under the name Watchtower's templates use."""
        return self.fields

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict shaped like Watchtower's ``json.v1`` entries."""
        return {
            "level": self.level,
            "message": self.message,
            "data": dict(self.fields),
            "time": self.time.isoformat(),
        }


# Attributes every LogRecord has; anything else came from ``extra=`` and is a field.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class EntryCollector(logging.Handler):
    """A logging handler that keeps the records of a run as :class:`LogEntry` values.

    Fields come from ``extra=``; a record with ``extra={"notify": False}``
    (or ``"no"``) is not kept, the way Watchtower's ``notify=no`` works, so
    the notification machinery's own log lines never become notifications.

    Args:
        level: The least level kept.
    """

    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._entries: list[LogEntry] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep ``record`` unless it says ``notify=no``."""
        notify = getattr(record, "notify", True)
        if notify is False or notify == "no":
            return
        fields = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _RECORD_ATTRIBUTES and key != "notify"
        }
        entry = LogEntry(
            level=level_name(record.levelno),
            message=record.getMessage(),
            time=datetime.fromtimestamp(record.created, tz=timezone.utc),
            fields=fields,
        )
        with self._guard:
            self._entries.append(entry)

    @property
    def entries(self) -> tuple[LogEntry, ...]:
        """The entries kept so far."""
        with self._guard:
            return tuple(self._entries)

    def drain(self) -> tuple[LogEntry, ...]:
        """The entries kept so far; the collector starts empty again."""
        with self._guard:
            entries, self._entries = tuple(self._entries), []
        return entries
