"""``watchtower notify-upgrade``: the legacy notification flags written as notification URLs.

As Watchtower's subcommand does, it reads the flags and the environment
(``--notifications slack`` with ``--notification-slack-hook-url``, ...),
writes ``WATCHTOWER_NOTIFICATION_URL=<url> <url>`` to a file named
``watchtower-notif-urls-*`` in the working directory, says how to copy it
out of the container, and removes it after five minutes or at a stop
signal.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigurationError
from ..model import short_id
from .config import load
from .logs import configure
from .notifications import settings_from_flags

__all__ = ["environment_line", "notify_upgrade"]

#: How long the file stays, as in Watchtower.
LIFETIME = 300.0

_ID = re.compile(r"/(?:docker/containers|docker|libpod-|crio-)/?([0-9a-f]{64})")


def environment_line(urls: Sequence[str]) -> str:
    """The file's line: ``WATCHTOWER_NOTIFICATION_URL=`` and the URLs, space-separated."""
    return "WATCHTOWER_NOTIFICATION_URL=" + " ".join(urls) + "\n"


def _container_id() -> str:
    # The id of the container this runs in, from the mounts or the cgroup, as Watchtower reads it.
    for path in ("/proc/self/mountinfo", "/proc/self/cgroup"):
        try:
            found = _ID.search(Path(path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if found:
            return short_id(found.group(1))
    return "<CONTAINER>"


@contextmanager
def _stop_signals() -> Iterator[tuple[threading.Event, list[str]]]:
    """An event set by SIGTERM or SIGINT (and the signal's name), while the block runs."""
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop, received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def notify_upgrade(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    directory: str | os.PathLike[str] = ".",
    lifetime: float = LIFETIME,
) -> int:
    """Run the subcommand with the flags ``argv`` (``notify-upgrade`` left out); the exit code.

    Exit 2 (one sentence on stderr) when a flag is bad or a legacy type
    misses its flags; 1 when the file cannot be written.
    """
    try:
        config = load(argv, environ)
        settings = settings_from_flags(config.notifications, hostname_default="")
    except ConfigurationError as error:
        sys.stderr.write(f"watchtower notify-upgrade: {error}\n")
        return 2
    if config.params.names:
        names = " ".join(config.params.names)
        sys.stderr.write(f"watchtower notify-upgrade: takes no container names ({names}).\n")
        return 2
    logger = configure(config.log_level, config.log_format, no_color=config.no_color)
    given = config.notifications.get("notifications") or ()
    types = [given] if isinstance(given, str) else [str(t) for t in given]
    logger.info("Found notification config(s)", extra={"notifiers": ", ".join(types)})
    # Signals are caught before the file exists, so that a stop always removes it.
    with _stop_signals() as (stop, received):
        try:
            handle, name = tempfile.mkstemp(prefix="watchtower-notif-urls-", dir=directory)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(environment_line(settings.urls))
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            logger.error("Failed to write the output file: %s", error.strerror or error)
            return 1
        path = Path(name)
        try:
            logger.info("Writing notification URLs", extra={"file": str(path)})
            logger.info(
                "To get the environment file, use: docker cp %s:%s ./watchtower-notifications.env",
                _container_id(),
                path.resolve(),
            )
            logger.info(
                "Note: This file will be removed in 5 minutes or when this container is stopped!"
            )
            if stop.wait(lifetime):
                logger.info("Stopping", extra={"signal": received[0]})
            else:
                logger.info("Timed out")
        finally:
            try:
                path.unlink()
            except OSError as error:
                logger.warning("Failed to remove temporary file %s: %s", path, error)
            else:
                logger.info("Environment file removed", extra={"file": str(path)})
    return 0
