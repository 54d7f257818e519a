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

import sys
from collections.abc import Mapping, Sequence
from typing import IO

from ..errors import ConfigurationError, QuarantineError, WatchtowerError
from .subcommand import data_dir_of, history_at, read_subcommand

__all__ = ["USAGE", "release_digest_command"]

USAGE = "usage: watchtower release-digest DIGEST [--by REASON] [--data-dir DIR]"


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
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        asked = read_subcommand(
            "release-digest", argv, USAGE, valued=("--by", "--data-dir"), what="a digest"
        )
        if asked.help:
            out.write(USAGE + "\n")
            return 0
        history = history_at("release-digest", data_dir_of(asked, environ))
    except ConfigurationError as error:
        err.write(f"watchtower: {error}\n")
        return 2
    except WatchtowerError as error:
        err.write(f"watchtower: {error}\n")
        return 1
    try:
        with history:
            released = history.release_digest(asked.name, by=asked.values.get("--by", ""))
    except QuarantineError as error:
        err.write(f"watchtower: {error}\n")
        return 1
    except WatchtowerError as error:
        err.write(f"watchtower: {error}\n")
        return 1
    out.write(
        f"{released.digest} ({released.image}) is released: the next run moves containers "
        "to it again.\n"
    )
    return 0
