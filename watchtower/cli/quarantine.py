"""``watchtower release-digest DIGEST``: a quarantined digest let go.

A digest whose update failed is quarantined in the history (see
:mod:`watchtower.quarantine`): no run moves a container to it. Once the
cause is fixed (a container's configuration, the host), ``release-digest``
lets the next run try it again. It may run beside the daemon whose history is in
``--data-dir``: the history is a SQLite file that several processes share.

The digest is all of it or 12 or more of its first hex digits, with or
without ``sha256:``; ``--by`` says who or why, and is kept with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO

from attrs import frozen

from ..history import SqliteHistory
from .subcommand import data_dir_of, read_subcommand, run_on_history

__all__ = ["USAGE", "release_digest_command"]

USAGE = "usage: watchtower release-digest DIGEST [--by REASON] [--data-dir DIR]"


@frozen
class _Release:
    """What ``watchtower release-digest`` was asked."""

    digest: str
    by: str
    data_dir: str
    help: bool


def _read(argv: Sequence[str], environ: Mapping[str, str]) -> _Release:
    asked = read_subcommand(
        "release-digest", argv, USAGE, valued=("--by", "--data-dir"), what="a digest"
    )
    by = asked.values.get("--by", "")
    return _Release(asked.name, by, data_dir_of(asked, environ), asked.help)


def _release(asked: _Release, history: SqliteHistory) -> str:
    released = history.release_digest(asked.digest, by=asked.by)
    return (
        f"{released.digest} ({released.image}) is released: the next run moves containers "
        "to it again.\n"
    )


def release_digest_command(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``watchtower release-digest`` with ``argv`` (the command word left out); the exit code.

    0 when the digest was released, 1 when none quarantined matches (or
    several do) or the history could not be written, 2 on a bad option.
    """
    return run_on_history(
        "release-digest",
        USAGE,
        lambda: _read(argv, environ),
        _release,
        stdout=stdout,
        stderr=stderr,
    )
