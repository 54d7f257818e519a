"""``watchtower history [NAME]``: the changes kept in ``--data-dir``, as a table or as JSON.

It reads the history a daemon writes (:mod:`watchtower.history`), read-only,
so it can run beside that daemon (``docker exec watchtower watchtower
history``): the newest changes, oldest first as a log reads, each with its
time, host, container, the image before and after, the outcome and why.
``--json`` gives the runs and the changes, newest first, for scripts.
``--snapshots`` lists the snapshots of protected volumes instead (those
still available; ``--all`` adds those ``--snapshot-keep`` had removed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

import attrs
from attrs import frozen

from ..errors import ConfigurationError
from ..history import Change, Snapshot, SqliteHistory
from ..model import short_id
from .subcommand import run_on_history

__all__ = [
    "HistoryQuery",
    "format_changes",
    "format_snapshots",
    "history_command",
    "parse_query",
]

USAGE = (
    "usage: watchtower history [NAME] [--snapshots [--all]] [--json] [--limit N] "
    "[--host HOST] [--data-dir DIR]"
)

#: How many changes are shown when ``--limit`` is not given.
DEFAULT_LIMIT = 20


@frozen
class HistoryQuery:
    """What ``watchtower history`` was asked.

    Attributes:
        data_dir: The directory of the history.
        name: Only this container's changes, when given.
        host: Only this engine's changes, when given.
        limit: How many changes (0: all).
        json: JSON instead of a table.
        help: Print the usage and stop.
        snapshots: The snapshots of protected volumes instead of the changes.
        removed: With ``snapshots``, those removed too.
    """

    data_dir: str = ""
    name: str | None = None
    host: str | None = None
    limit: int = DEFAULT_LIMIT
    json: bool = False
    help: bool = False
    snapshots: bool = False
    removed: bool = False


_VALUED = ("--data-dir", "--limit", "--host")


def _limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ConfigurationError(f"--limit expects a whole number, 0 for all, got {text[:40]!r}.")
    return int(text[:9])


def parse_query(argv: Sequence[str], environ: Mapping[str, str]) -> HistoryQuery:
    """The subcommand's options (``history`` left out); ``WATCHTOWER_DATA_DIR`` is the default.

    Raises:
        ConfigurationError: An unknown option, a missing value or a second name.
    """
    query = HistoryQuery(data_dir=environ.get("WATCHTOWER_DATA_DIR", "").strip())
    args = list(argv)
    while args:
        arg = args.pop(0)
        option, equals, value = arg.partition("=")
        if arg in ("-h", "--help"):
            query = attrs.evolve(query, help=True)
        elif arg == "--json":
            query = attrs.evolve(query, json=True)
        elif arg == "--snapshots":
            query = attrs.evolve(query, snapshots=True)
        elif arg == "--all":
            query = attrs.evolve(query, removed=True)
        elif option in _VALUED:
            if not equals:
                if not args:
                    raise ConfigurationError(f"{option} needs a value.")
                value = args.pop(0)
            if option == "--limit":
                query = attrs.evolve(query, limit=_limit(value))
            elif option == "--host":
                query = attrs.evolve(query, host=value)
            else:
                query = attrs.evolve(query, data_dir=value.strip())
        elif arg.startswith("-"):
            raise ConfigurationError(f"watchtower history has no option {option[:40]!r}; {USAGE}.")
        elif query.name is not None:
            raise ConfigurationError(f"watchtower history takes one name, got {arg[:40]!r} too.")
        else:
            query = attrs.evolve(query, name=arg.lstrip("/"))
    if query.removed and not query.snapshots:
        raise ConfigurationError("--all goes with --snapshots: the removed snapshots too.")
    return query


def _side(image: str, image_id: str, version: str) -> str:
    return version or (short_id(image_id) if image_id else "") or image or "?"


def _what(change: Change) -> str:
    """``old -> new``: versions when known, else the images' short ids (and a tag's move)."""
    old = _side("", change.old_image_id, change.old_version)
    if change.outcome == "restarted" or change.old_image_id == change.new_image_id:
        return old
    new = _side("", change.new_image_id, change.new_version)
    if change.new_image:
        new = f"{change.new_image} ({new})"
    return f"{old} -> {new}"


def format_changes(changes: Iterable[Change]) -> str:
    """The table a person reads: one change a line, oldest first; no host column for one engine."""
    shown = sorted(changes, key=lambda c: c.id)
    hosts = any(c.host for c in shown)
    header = ["TIME (UTC)", *(["HOST"] if hosts else []), "CONTAINER", "IMAGE", "OUTCOME", "REASON"]
    rows = [header]
    for change in shown:
        outcome = change.outcome + (", rolled back" if change.rolled_back else "")
        rows.append(
            [
                change.at.strftime("%Y-%m-%d %H:%M:%S"),
                *([change.host or "-"] if hosts else []),
                change.container,
                _what(change),
                outcome,
                " ".join(change.reason.split()),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    # The reason, last, is not padded: it is as long as it is.
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


def format_snapshots(snapshots: Iterable[Snapshot]) -> str:
    """The table of snapshots: one a line, oldest first; no host column for one engine."""
    shown = sorted(snapshots, key=lambda s: s.id)
    hosts = any(s.host for s in shown)
    header = ["TIME (UTC)", *(["HOST"] if hosts else []), "CONTAINER", "VOLUME", "SNAPSHOT"]
    header.append("STATE")
    rows = [header]
    for snapshot in shown:
        state = "available"
        if snapshot.removed_at is not None:
            state = f"removed {snapshot.removed_at:%Y-%m-%d %H:%M:%S}"
        rows.append(
            [
                snapshot.at.strftime("%Y-%m-%d %H:%M:%S"),
                *([snapshot.host or "-"] if hosts else []),
                snapshot.container,
                snapshot.volume,
                snapshot.name,
                state,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


def _snapshots_shown(query: HistoryQuery, history: SqliteHistory) -> str:
    snapshots = history.snapshots(
        name=query.name, host=query.host, removed=query.removed, limit=query.limit
    )
    if query.json:
        return json.dumps({"snapshots": [s.to_dict() for s in snapshots]}, indent=2) + "\n"
    if snapshots:
        return format_snapshots(snapshots)
    whose = f" of {query.name}" if query.name else ""
    which = "" if query.removed else " available"
    return f"No{which} snapshot{whose} in the history at {history.path}.\n"


def _shown(query: HistoryQuery, history: SqliteHistory) -> str:
    """What the history holds that ``query`` asks for, as a table or as JSON."""
    if query.snapshots:
        return _snapshots_shown(query, history)
    changes = history.changes(name=query.name, host=query.host, limit=query.limit)
    runs = history.runs(limit=query.limit)
    if query.json:
        body = {"runs": [r.to_dict() for r in runs], "changes": [c.to_dict() for c in changes]}
        return json.dumps(body, indent=2) + "\n"
    if changes:
        return format_changes(changes)
    whose = f" of {query.name}" if query.name else ""
    return f"No change{whose} in the history at {history.path} ({len(runs)} runs kept).\n"


def history_command(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``watchtower history`` with ``argv`` (``history`` left out); the exit code.

    0 when the history was read, 1 when it could not be, 2 on a bad option.
    """
    return run_on_history(
        "history",
        USAGE,
        lambda: parse_query(argv, environ),
        _shown,
        read_only=True,
        stdout=stdout,
        stderr=stderr,
    )
