"""The ``watchtower`` command line: Watchtower's flags, scheduling, output, HTTP API
and metrics, wired to :func:`watchtower.update`.

Needs the ``cli`` extra (``pip install watchtower-updater[cli]``). Modules:
:mod:`~watchtower.cli.flags` (the flag table), :mod:`~watchtower.cli.args`
(the parser), :mod:`~watchtower.cli.values` (the typed flag values),
:mod:`~watchtower.cli.config` (flags to :class:`~watchtower.cli.config.Config`),
:mod:`~watchtower.cli.notifications` (notification flags to settings),
:mod:`~watchtower.cli.legacy_notifications` (the deprecated types' URLs),
:mod:`~watchtower.cli.schedule`, :mod:`~watchtower.cli.runner`,
:mod:`~watchtower.cli.api`, :mod:`~watchtower.cli.metrics`,
:mod:`~watchtower.cli.logs`, :mod:`~watchtower.cli.selfupdate` and
:mod:`~watchtower.cli.command` (the command itself).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from ..errors import MissingExtraError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the ``watchtower`` command and return its exit code.

    Without the ``cli`` extra it says, in one line, what to install (exit code 2).
    """
    try:
        from .command import main as _main

        return _main(argv, environ)
    except ImportError as error:
        ours = not error.name or error.name.partition(".")[0] == "watchtower"
        if ours and not isinstance(error, MissingExtraError):
            raise  # a bug of ours, not a missing dependency
        # The cli extra brings every library the command needs, docker-py included.
        sys.stderr.write(
            f"watchtower: {MissingExtraError.for_extra('The command', 'cli', error)}\n"
        )
        return 2
