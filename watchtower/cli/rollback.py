"""``watchtower rollback NAME`` and ``watchtower release NAME``: going back, and letting go.

``rollback`` puts a container back on the image it ran before (see
:mod:`watchtower.rollback`), from the history in ``--data-dir``, and holds
it there; a daemon that keeps its history in the same directory skips it
from its next run on. ``release`` lets it update again. Both may run beside
that daemon (``docker exec watchtower watchtower rollback web``): the
history is a SQLite file that several processes share.

Their own options are ``--to``, ``--host`` (the name of a host of the hosts
file, as ``watchtower history`` shows it) and ``--data-dir``; every other
flag of ``rollback`` is the daemon's (``-H`` for the engine's address,
``--hosts-file``, ``--stop-timeout``, ``--health-timeout``...), read as a
run reads it, after the container's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING

import attrs
from attrs import frozen

from ..errors import ConfigurationError, RollbackError
from ..history import SqliteHistory
from .subcommand import data_dir_of, read_subcommand, run_on_history

if TYPE_CHECKING:
    from .config import Config

__all__ = ["ChangeQuery", "parse_change", "release_command", "rollback_command"]

USAGE = {
    "rollback": "usage: watchtower rollback NAME [--to VERSION|DIGEST] [--host HOST] "
    "[--data-dir DIR] [other flags of watchtower]",
    "release": "usage: watchtower release NAME [--host HOST] [--data-dir DIR]",
}


@frozen
class ChangeQuery:
    """What ``watchtower rollback`` or ``release`` was asked.

    Attributes:
        command: ``rollback`` or ``release``.
        name: The container.
        to: The version or digest to go back to (``rollback`` only).
        host: The host of the hosts file it is on; empty for the one engine.
        data_dir: The directory of the history.
        rest: The daemon's flags, given along (``rollback`` only).
        help: Print the usage and stop.
    """

    command: str
    name: str = ""
    to: str | None = None
    host: str = ""
    data_dir: str = ""
    rest: tuple[str, ...] = ()
    help: bool = False


def parse_change(command: str, argv: Sequence[str], environ: Mapping[str, str]) -> ChangeQuery:
    """The options of ``rollback`` or ``release`` (the command word left out).

    Raises:
        ConfigurationError: A missing value or name, a second name, or (for
            ``release``) an option it does not have.
    """
    rollback = command == "rollback"
    asked = read_subcommand(
        command,
        argv,
        USAGE[command],
        valued=("--to", "--host", "--data-dir") if rollback else ("--host", "--data-dir"),
        daemon_flags=rollback,
    )
    return ChangeQuery(
        command,
        name=asked.name,
        to=asked.values.get("--to"),
        host=asked.values.get("--host", ""),
        data_dir=data_dir_of(asked, environ),
        rest=asked.rest,
        help=asked.help,
    )


def _release(query: ChangeQuery, history: SqliteHistory) -> str:
    if history.release(query.name, query.host):
        return f"{query.name} is released: the next run updates it when its image is stale.\n"
    return f"{query.name} was not held: runs update it as they do.\n"


def release_command(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``watchtower release`` with ``argv`` (``release`` left out); the exit code.

    0 when the container was released (or was not held), 1 when the history
    could not be written, 2 on a bad option.
    """
    return run_on_history(
        "release",
        USAGE["release"],
        lambda: parse_change("release", argv, environ),
        _release,
        stdout=stdout,
        stderr=stderr,
    )


@frozen
class _Rollback:
    """A rollback asked, and the daemon's flags given along, read (unless for the usage)."""

    query: ChangeQuery
    config: Config | None

    @property
    def help(self) -> bool:
        return self.query.help

    @property
    def data_dir(self) -> str:
        return self.query.data_dir


def _read_rollback(argv: Sequence[str], environ: Mapping[str, str]) -> _Rollback:
    from .config import load

    query = parse_change("rollback", argv, environ)
    return _Rollback(query, None if query.help else load(query.rest, environ))


def _roll_back(asked: _Rollback, history: SqliteHistory, environ: Mapping[str, str]) -> str:
    """The container back, on its host; what is said of it.

    Raises:
        ConfigurationError: There is no such host.
        RollbackError: It could not be rolled back (the sentence says why).
        WatchtowerError: The engine could not be used.
    """
    from ..report import Outcome
    from ..rollback import rollback
    from .command import build_backends
    from .hosts import fleet_of

    query, config = asked.query, asked.config
    assert config is not None  # read whenever more than the usage is asked
    home, _registry = build_backends(config, environ)
    try:
        fleet = fleet_of(
            config.hosts, environ=environ, home=home, engine_timeout=config.engine_timeout
        )
        host = next((h for h in fleet.hosts if h.name == query.host), None)
        if host is None:
            named = ", ".join(h.name for h in fleet.hosts if h.name) or "none"
            hint = " --host names a host of the hosts file; -H gives the engine's address."
            raise ConfigurationError(
                f"There is no host {query.host!r} to roll back on (the hosts: {named});" + hint
            )
        engine = host.open()
        try:
            params = attrs.evolve(config.params, held={})
            report = rollback(
                engine.client, query.name, history, to=query.to, host=query.host, params=params
            )
        finally:
            engine.close()
    finally:
        if home is not None:
            home.close()
    entry = report.get(query.name)
    if entry is None or entry.outcome is not Outcome.UPDATED:
        reason = entry.reason if entry is not None else "it was not replaced"
        raise RollbackError(f"{query.name} was not rolled back: {reason}")
    return (
        f"{query.name}: {entry.reason}; it is held there until `watchtower release {query.name}`.\n"
    )


def rollback_command(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``watchtower rollback`` with ``argv`` (``rollback`` left out); the exit code.

    0 when the container is back and held, 1 when it could not be rolled
    back (the sentence says why), 2 on a bad option.
    """
    return run_on_history(
        "rollback",
        USAGE["rollback"],
        lambda: _read_rollback(argv, environ),
        lambda asked, history: _roll_back(asked, history, environ),
        stdout=stdout,
        stderr=stderr,
    )
