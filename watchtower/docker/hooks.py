"""Lifecycle hook commands run inside a container with ``docker exec``.

The command runs as ``sh -c COMMAND`` with ``WT_CONTAINER`` set to a JSON
description of the container (name, id, image_name, stop_signal and its
Watchtower labels), as nicholas-fedor/watchtower does. After its timeout
it is killed and the result has no exit code.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import docker

from ..labels import PREFIX
from ..model import Container, HookResult, short_id

__all__ = ["hook_environment", "run_hook"]

#: Hook output kept in a :class:`HookResult`, in characters.
MAX_OUTPUT = 4000

# The wrapper prints its pid first (so a timed-out hook can be killed from a
# second exec), then becomes the hook's shell, with stderr on stdout so the
# output keeps its order.
_MARK = "watchtower-hook-pid="
_WRAPPER = f'echo "{_MARK}$$"; exec sh -c "$1" 2>&1'


def hook_environment(container: Container) -> dict[str, str]:
    """The environment a hook sees: ``WT_CONTAINER`` describing ``container``."""
    description = {
        "name": container.name,
        "id": container.id,
        "image_name": _image_name(container),
        "stop_signal": container.stop_signal or "SIGTERM",
        "labels": {k: v for k, v in container.labels.items() if k.startswith(PREFIX + ".")},
    }
    return {"WT_CONTAINER": json.dumps(description, sort_keys=True)}


def _image_name(container: Container) -> str:
    raw = container.raw if isinstance(container.raw, dict) else {}
    return str((raw.get("Config") or {}).get("Image") or container.image.familiar)


def run_hook(
    api: docker.APIClient,
    container_id: str,
    command: str,
    timeout: timedelta,
    environment: dict[str, str],
    *,
    user: str = "",
) -> HookResult:
    """Run ``command`` in the container as ``user``; kill it and stop waiting after ``timeout``."""
    exec_id = api.exec_create(
        container_id, ["sh", "-c", _WRAPPER, "sh", command], environment=environment, user=user
    )["Id"]
    chunks: list[bytes] = []

    def read() -> None:
        try:
            for chunk in api.exec_start(exec_id, stream=True):
                chunks.append(chunk)
        except Exception:
            # The stream ends abruptly when the container stops; the exec's
            # exit code below is what counts.
            pass

    reader = threading.Thread(target=read, daemon=True, name=f"hook-{short_id(container_id)}")
    reader.start()
    reader.join(max(timeout.total_seconds(), 0.0))
    if reader.is_alive():
        _await_pid(chunks, reader)
        _kill(api, container_id, b"".join(chunks), user)
        reader.join(5)
        return HookResult(None, _output(chunks))
    exit_code = None
    for _ in range(50):
        info = api.exec_inspect(exec_id)
        if not info.get("Running"):
            exit_code = info.get("ExitCode")
            break
        time.sleep(0.02)
    return HookResult(exit_code, _output(chunks))


def _await_pid(chunks: list[bytes], reader: threading.Thread, seconds: float = 5.0) -> None:
    # The wrapper's pid is its first line, which a busy machine may deliver
    # after a short timeout; without it the hook could not be killed.
    deadline = time.monotonic() + seconds
    while reader.is_alive() and _MARK.encode() not in b"".join(chunks):
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)


def _output(chunks: list[bytes]) -> str:
    text = b"".join(chunks).decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if not line.startswith(_MARK)]
    rest = "\n".join(lines).strip()
    if len(rest) > MAX_OUTPUT:
        rest = rest[-MAX_OUTPUT:]
    return rest


def _kill(api: docker.APIClient, container_id: str, head: bytes, user: str) -> None:
    text = head.decode(errors="replace")
    pid = next((line[len(_MARK) :] for line in text.splitlines() if line.startswith(_MARK)), "")
    if not pid.isdigit():
        return
    try:
        # As the hook's user, who may signal the hook whatever the container's user is.
        killer = api.exec_create(container_id, ["sh", "-c", f"kill -9 {pid}"], user=user)["Id"]
        api.exec_start(killer)
    except Exception:
        # Best effort: the container may have stopped meanwhile.
        pass
