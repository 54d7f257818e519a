"""Log output: levels and formats as Watchtower's (logfmt, json, pretty, auto).

Everything is logged through the standard :mod:`logging` module under the
``watchtower`` logger; :func:`configure` attaches one handler to it and
:func:`log_event` turns the orchestrator's events into log lines.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING

from .._text import LOG_LEVELS, TRACE, go_duration
from ..events import (
    Event,
    Failed,
    LabelIgnored,
    Repaired,
    RolledBack,
    Skipped,
    Started,
    Stopped,
    Stopping,
    UpdateAvailable,
    Updated,
)
from ..model import short_id

if TYPE_CHECKING:
    from .config import LogFormat

__all__ = ["configure", "log_event"]

logging.addLevelName(TRACE, "TRACE")

_SHORT = {
    "TRACE": "TRC",
    "DEBUG": "DBG",
    "INFO": "INF",
    "WARNING": "WRN",
    "ERROR": "ERR",
    "CRITICAL": "FTL",
}
_NAMES = {"WARNING": "warning", "CRITICAL": "fatal"}
_COLORS = {
    "TRACE": "\x1b[35m",
    "DEBUG": "\x1b[33m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[31m",
    "ERROR": "\x1b[1;31m",
    "CRITICAL": "\x1b[1;31m",
}
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _RESERVED and k != "notify"}


def _level(record: logging.LogRecord) -> str:
    return _NAMES.get(record.levelname, record.levelname.lower())


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="seconds")


def _quote(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' ="\\\n'):
        return json.dumps(text)
    return text


class LogfmtFormatter(logging.Formatter):
    """``time="..." level=info msg="..." key=value``, as logrus/zerolog write logfmt."""

    def format(self, record: logging.LogRecord) -> str:
        """One logfmt line."""
        parts = [
            f"time={_quote(_time(record))}",
            f"level={_level(record)}",
            f"msg={_quote(record.getMessage())}",
        ]
        parts += [f"{key}={_quote(value)}" for key, value in _fields(record).items()]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(f"error={_quote(record.exc_info[1])}")
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``{"level": ..., "time": ..., "message": ...}``."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line."""
        data: dict[str, object] = {
            "level": _level(record),
            "time": _time(record),
            "message": record.getMessage(),
        }
        data.update(
            {
                k: v if isinstance(v, (int, float, bool)) or v is None else str(v)
                for k, v in _fields(record).items()
            }
        )
        if record.exc_info and record.exc_info[1] is not None:
            data["error"] = str(record.exc_info[1])
        return json.dumps(data)


class PrettyFormatter(logging.Formatter):
    """``12:00:01 INF message key=value``, coloured unless told not to."""

    def __init__(self, color: bool) -> None:
        super().__init__()
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        """One line for a person."""
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        level = _SHORT.get(record.levelname, record.levelname[:3])
        if self.color:
            level = f"{_COLORS.get(record.levelname, '')}{level}\x1b[0m"
        fields = " ".join(f"{k}={_quote(v)}" for k, v in _fields(record).items())
        line = f"{stamp} {level} {record.getMessage()}"
        return f"{line} {fields}" if fields else line


# The name of the handler configure() installs, to tell it from handlers of others.
_HANDLER = "watchtower-cli"


def configure(
    level: str, fmt: LogFormat, *, no_color: bool = False, stream: IO[str] | None = None
) -> logging.Logger:
    """Set up the ``watchtower`` logger: one handler on ``stream`` (stderr by default).

    ``auto`` is ``pretty`` on a terminal and ``logfmt`` otherwise. A second
    call replaces the handler of the first.
    """
    stream = stream if stream is not None else sys.stderr
    if fmt == "auto":
        fmt = "pretty" if stream.isatty() else "logfmt"
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter()
    elif fmt == "pretty":
        formatter = PrettyFormatter(color=not no_color and stream.isatty())
    else:
        formatter = LogfmtFormatter()
    logger = logging.getLogger("watchtower")
    for old in [h for h in logger.handlers if h.name == _HANDLER]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream)
    handler.name = _HANDLER
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel(LOG_LEVELS[level])
    logger.propagate = False
    return logger


def _versions(old: str, new: str, notes: str) -> dict[str, str]:
    """``version=1.25.3->1.25.4`` and ``notes=URL``, for the fields that are known."""
    fields = {"version": f"{old}->{new}"} if old and new else {}
    if notes:
        fields["notes"] = notes
    return fields


def log_event(logger: logging.Logger, event: Event) -> None:
    """Log one orchestrator event at the level a person would want it.

    The steps of an update use Watchtower's words and fields, which its
    notification templates (``default-legacy`` and users' own) look for, at
    info: ``Found new image`` (container, image, new_id; version and notes
    when labels name the versions: ``version=1.25.3->1.25.4``), ``Stopping
    container`` (container, id, signal, timeout), logged as the stop begins,
    and ``Started new container`` (container, new_id). ``Container
    stopped`` and ``Container updated`` (container, old_id, new_id: the
    images' ids) are debug lines, as Watchtower has none at info.
    """
    fields = {"container": event.container} if event.container else {}
    if event.host:
        fields["host"] = event.host
    if isinstance(event, Updated):
        ids = {"old_id": short_id(event.old_image_id), "new_id": short_id(event.new_image_id)}
        ids.update(_versions(event.old_version, event.new_version, event.notes))
        message = "Container restarted" if event.restart_only else "Container updated"
        # Watchtower logs no such line at info: its notifications show the steps above.
        logger.debug(message, extra={**fields, **ids})
    elif isinstance(event, UpdateAvailable):
        new_id = short_id(event.new_image_id)
        found = {**fields, "image": event.image, "new_id": new_id}
        if event.new_image:  # a tag rule's newer tag
            found["new_image"] = event.new_image
        found.update(_versions(event.old_version, event.new_version, event.notes))
        logger.info("Found new image", extra=found)
    elif isinstance(event, Stopping):
        stop = {
            "id": short_id(event.container_id),
            "signal": event.signal,
            "timeout": go_duration(event.timeout),
        }
        logger.info("Stopping container", extra={**fields, **stop})
    elif isinstance(event, Stopped):
        logger.debug("Container stopped", extra={**fields, "id": short_id(event.container_id)})
    elif isinstance(event, Started):
        new_id = short_id(event.container_id)
        logger.info("Started new container", extra={**fields, "new_id": new_id})
    elif isinstance(event, RolledBack):
        logger.warning(
            "Rolled back %s: %s",
            event.container,
            event.reason,
            extra={**fields, "restored": event.restored},
        )
    elif isinstance(event, Repaired):
        # A warning: something killed an earlier run half way.
        logger.warning(
            "Repaired %s: %s",
            event.container,
            event.reason,
            extra={**fields, "action": event.action},
        )
    elif isinstance(event, Failed):
        logger.error(
            "%s failed at %s: %s",
            event.container or "The run",
            event.step,
            event.reason,
            extra=fields,
        )
    elif isinstance(event, LabelIgnored):
        logger.warning("%s", event.reason, extra=fields)
    elif isinstance(event, Skipped):
        logger.debug("Skipped %s: %s", event.container, event.reason, extra=fields)
    else:
        logger.debug(event.describe(), extra=fields)
