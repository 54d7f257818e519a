"""Where the history is kept: ``--data-dir`` and ``--history-retention``, read and opened."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import frozen

from .._text import LONG_UNITS, parse_duration
from ..clock import Clock, system_clock
from ..errors import ConfigurationError, HistoryError
from ..history import FILE_NAME
from .values import FlagValues

if TYPE_CHECKING:
    from ..history import SqliteHistory

__all__ = ["HistorySettings", "history_settings", "open_history", "parse_retention"]


@frozen
class HistorySettings:
    """Where the history of runs is kept, and for how long.

    Attributes:
        data_dir: The directory of the history's file; empty keeps no history
            past the process (``/v1/history`` then reads the runs held in memory).
        retention: How long a run is kept; ``None`` keeps every run.
    """

    data_dir: str = ""
    retention: timedelta | None = None

    @property
    def path(self) -> Path | None:
        """The history's file, or ``None`` when there is no data directory."""
        return Path(self.data_dir) / FILE_NAME if self.data_dir else None


def parse_retention(text: str) -> timedelta | None:
    """``--history-retention``: a duration such as ``90d`` or ``12w``; empty keeps every run.

    Raises:
        ConfigurationError: Not such a duration, or not longer than zero.
    """
    raw = text.strip()
    if not raw:
        return None
    try:
        value = parse_duration(raw, units=LONG_UNITS, bare_unit="d")
    except ValueError as error:
        raise ConfigurationError(f"--history-retention {error}.") from None
    if value <= timedelta(0):
        raise ConfigurationError(
            f"--history-retention must be longer than 0, such as 90d, got {text!r}."
        )
    return value


def history_settings(values: FlagValues) -> HistorySettings:
    """The history's settings from the flags.

    Raises:
        ConfigurationError: The retention is unreadable.
    """
    return HistorySettings(
        data_dir=values["data_dir"].strip(),
        retention=parse_retention(values["history_retention"]),
    )


def open_history(settings: HistorySettings, clock: Clock = system_clock) -> SqliteHistory | None:
    """The history in ``settings.data_dir`` (the directory made when missing), if one is asked for.

    A corrupt file, or one of a newer version, is set aside with a warning
    and a new one started (see :class:`~watchtower.history.SqliteHistory`).

    Raises:
        HistoryError: The directory or the file cannot be made or opened.
    """
    path = settings.path
    if path is None:
        return None
    # Here, not at the top: reading the flags does not load sqlite3.
    from ..history import SqliteHistory

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HistoryError(
            f"The data directory {path.parent} cannot be made: {error.strerror or error}."
        ) from None
    return SqliteHistory(path, retention=settings.retention, clock=clock)
