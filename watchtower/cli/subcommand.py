"""A subcommand on the history (``history``, ``rollback``, ``approve``...): its words, its run.

``watchtower rollback web --to 1.0 -H tcp://...`` names one container, takes
options of its own (with a value, ``--to 1.0`` or ``--to=1.0``, or alone,
``--later``) and, for a subcommand that runs an update, the daemon's flags
after the name, read later as a run reads them. :func:`read_subcommand`
splits the words; :func:`history_at` opens the history they act on;
:func:`run_on_history` runs a subcommand there, and answers for all of them
alike: the usage, one sentence for a failure, the exit code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Protocol, TypeVar

from attrs import field, frozen

from ..errors import ConfigurationError, HistoryError, WatchtowerError
from ..history import SqliteHistory
from .history_settings import HistorySettings

__all__ = ["Asked", "Asking", "data_dir_of", "history_at", "read_subcommand", "run_on_history"]


@frozen
class Asked:
    """The words of a subcommand, sorted.

    Attributes:
        name: The container, without a leading ``/``; empty only with ``help``.
        values: The value of each of its own options given, by option (``--to``).
        switches: Its own options given alone (``--later``).
        rest: The daemon's flags, given after the name.
        help: ``-h`` or ``--help`` was given.
    """

    name: str = ""
    values: Mapping[str, str] = field(factory=dict)
    switches: frozenset[str] = frozenset()
    rest: tuple[str, ...] = ()
    help: bool = False


def read_subcommand(
    command: str,
    argv: Sequence[str],
    usage: str,
    *,
    valued: Sequence[str],
    switches: Sequence[str] = (),
    daemon_flags: bool = False,
    what: str = "a container's name",
) -> Asked:
    """``argv`` of ``watchtower COMMAND`` (the command word left out), sorted.

    ``valued`` and ``switches`` are its own options; with ``daemon_flags``
    every other option, and what follows it, is the daemon's. ``what`` is
    what the one word it takes names, for the sentence when it is missing.

    Raises:
        ConfigurationError: A missing value or name, a second name, or an
            option it does not take; ``usage`` is quoted where it helps.
    """
    name, values, given, rest, wants_help = "", {}, set(), [], False
    args = list(argv)
    while args:
        arg = args.pop(0)
        option, equals, value = arg.partition("=")
        if arg in ("-h", "--help"):
            wants_help = True
        elif arg in switches:
            given.add(arg)
        elif option in valued:
            if not equals:
                if not args:
                    raise ConfigurationError(f"{option} needs a value.")
                value = args.pop(0)
            values[option] = value.strip()
        elif arg.startswith("-"):
            if not daemon_flags:
                raise ConfigurationError(
                    f"watchtower {command} has no option {option[:40]!r}; {usage}."
                )
            rest.append(arg)
        elif rest:
            rest.append(arg)  # a daemon flag's value: the name comes before them
        elif name:
            raise ConfigurationError(f"watchtower {command} takes one name, got {arg[:40]!r} too.")
        else:
            name = arg.lstrip("/")
    if not wants_help and not name:
        raise ConfigurationError(f"watchtower {command} needs {what}; {usage}.")
    return Asked(name, values, frozenset(given), tuple(rest), wants_help)


def data_dir_of(asked: Asked, environ: Mapping[str, str]) -> str:
    """``--data-dir``, else ``WATCHTOWER_DATA_DIR``, as the daemon reads it."""
    return asked.values.get("--data-dir", environ.get("WATCHTOWER_DATA_DIR", "").strip())


def history_at(command: str, data_dir: str, *, read_only: bool = False) -> SqliteHistory:
    """The daemon's history in ``data_dir``, which must exist already.

    A missing file is a :class:`~watchtower.errors.HistoryError` read
    (``read_only``), a configuration error written. An unusable one
    (corrupt, or of a newer schema) is an error either way: a subcommand
    answers from what the daemon kept, so it never sets the file aside for
    an empty one, as the daemon does at its next start.

    Raises:
        ConfigurationError: No directory is given, or (to write) it holds no history.
        HistoryError: The file cannot be opened.
    """
    path = HistorySettings(data_dir=data_dir).path
    if path is None:
        raise ConfigurationError(
            f"watchtower {command} needs --data-dir or WATCHTOWER_DATA_DIR: "
            "the directory the daemon keeps its history in."
        )
    if read_only:
        return SqliteHistory(path, read_only=True)
    if not path.is_file():
        raise ConfigurationError(f"There is no history at {path}: is --data-dir the daemon's?")
    try:
        return SqliteHistory(path, set_aside=False)
    except HistoryError as error:
        raise HistoryError(
            f"{error} The daemon sets it aside and starts a new one at its next start."
        ) from None


class Asking(Protocol):
    """What :func:`run_on_history` needs of what a subcommand was asked."""

    @property
    def help(self) -> bool:
        """Only the usage is asked for."""

    @property
    def data_dir(self) -> str:
        """The directory of the history."""


_Q = TypeVar("_Q", bound=Asking)


def run_on_history(
    command: str,
    usage: str,
    ask: Callable[[], _Q],
    act: Callable[[_Q, SqliteHistory], str],
    *,
    read_only: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``watchtower COMMAND`` on the history in ``--data-dir``; the exit code.

    ``ask`` reads the words, and whatever else of the configuration ``act``
    needs; with ``--help`` the usage is all that is printed. Then the history
    is opened (only to read, with ``read_only``) and ``act`` does the work,
    while it is open: what it returns is printed. A failure is one sentence
    on stderr: exit 2 for a :class:`~watchtower.errors.ConfigurationError`
    before the history is open, 1 for any other
    :class:`~watchtower.errors.WatchtowerError`, and for every error ``act``
    raises (a configuration it reads itself, too).
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        asked = ask()
        if asked.help:
            out.write(usage + "\n")
            return 0
        history = history_at(command, asked.data_dir, read_only=read_only)
    except ConfigurationError as error:
        err.write(f"watchtower: {error}\n")
        return 2
    except WatchtowerError as error:
        err.write(f"watchtower: {error}\n")
        return 1
    try:
        with history:
            said = act(asked, history)
    except WatchtowerError as error:
        err.write(f"watchtower: {error}\n")
        return 1
    out.write(said)
    return 0
