"""The real ``watchtower`` command serving its HTTP API, for the API and browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.net import free_port, wait_for_port

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "right-token"
EVENTS_TOKEN = "events-token"


def environment(home: Path) -> dict[str, str]:
    """A clean environment: no docker config of the machine's, no WATCHTOWER_* leftovers."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WATCHTOWER_", "DOCKER_", "REPO_"))
    }
    env.update(
        HOME=str(home),
        DOCKER_CONFIG=str(home / ".docker"),
        PYTHONPATH=str(REPO_ROOT),
        NO_COLOR="1",
    )
    return env


@contextmanager
def serving(
    engine_url: str, home: Path, names: Sequence[str], *extra: str, log: Path | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``watchtower`` with every endpoint (tokens from files) on a free port; its URL.

    ``names`` are the containers it watches; ``extra`` are more flags. With
    ``log``, its output goes to that file, to be read while it runs.
    """
    port = free_port()
    output = log.open("w") if log is not None else None
    (home / "token").write_text(TOKEN + "\n")
    (home / "events-token").write_text(EVENTS_TOKEN + "\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--host",
            engine_url,
            "--http-api-endpoints",
            "all",
            "--http-api-token",
            str(home / "token"),
            "--http-api-events-token",
            str(home / "events-token"),
            "--http-api-host",
            "127.0.0.1",
            "--http-api-port",
            str(port),
            "--schedule",
            "0 0 4 * * *",
            "--http-api-periodic-polls",
            *extra,
            *names,
        ],
        env=environment(home),
        stdout=subprocess.PIPE if output is None else output,
        stderr=subprocess.PIPE if output is None else subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, timeout=60)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate(timeout=30)
        if output is not None:
            output.close()
