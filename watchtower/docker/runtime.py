"""Which engine serves the API: Docker or Podman, detected as the fork detects it.

Podman's Docker-compatible API refuses some settings that Docker reports
(``NanoCpus`` next to other CPU limits, memory swappiness on cgroup v2), so
a replacement is created without them there (see
:func:`~watchtower.docker.recreate.create_spec`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

__all__ = ["CPU_COPY_MODES", "CpuCopyMode", "is_podman", "listed_states", "version_is_podman"]

CpuCopyMode = Literal["auto", "full", "none"]
"""How a replacement gets its CPU settings.

``full`` copies them, ``none`` drops them, ``auto`` drops ``NanoCpus`` on
Podman and copies them on Docker."""

CPU_COPY_MODES: tuple[CpuCopyMode, ...] = ("auto", "full", "none")
"""The values of ``--cpu-copy-mode``."""


def is_podman(
    info: Callable[[], Mapping[str, Any]],
    *,
    root: Path = Path("/"),
    environ: Mapping[str, str] | None = None,
) -> bool:
    """True when the engine is Podman, by the fork's signs, first one that answers.

    1. The marker file of the container this runs in: ``/run/.containerenv``
       (Podman) or ``/.dockerenv`` (Docker);
    2. ``CONTAINER=podman`` or ``CONTAINER=oci`` in the environment;
    3. the engine's ``/info``: ``Name`` is ``podman`` or ``ServerVersion``
       mentions Podman. An engine that does not answer is taken for Docker.

    Args:
        info: The engine's ``/info`` answer, asked only when needed.
        root: Where the marker files are looked for (tests give a directory).
        environ: The environment; default ``os.environ``.
    """
    if (root / "run/.containerenv").exists():
        return True
    if (root / ".dockerenv").exists():
        return False
    env = os.environ if environ is None else environ
    if env.get("CONTAINER", "") in ("podman", "oci"):
        return True
    try:
        answer = info()
    except Exception:
        return False  # as the fork: no answer, Docker assumed
    version = answer.get("ServerVersion")
    return answer.get("Name") == "podman" or (
        isinstance(version, str) and "podman" in version.lower()
    )


def version_is_podman(version: Mapping[str, Any]) -> bool:
    """True when an engine's ``/version`` answer names Podman (``Podman Engine``).

    Unlike :func:`is_podman`, this looks at the engine behind the socket
    only: the marker files describe the container this process runs in, and
    Podman 4.3's ``/info`` names the host and a bare version number.
    """
    components = version.get("Components") or ()
    return any("podman" in str(part.get("Name", "")).lower() for part in components)


def listed_states(
    *, include_stopped: bool, include_restarting: bool, podman: bool
) -> frozenset[str]:
    """The container states a listing keeps, as the fork's status filter.

    Running and paused always; created and exited with ``include_stopped``;
    restarting with ``include_restarting``, except on Podman, which has no
    such state (the fork leaves the filter out there).
    """
    states = {"running", "paused"}
    if include_stopped:
        states |= {"created", "exited"}
    if include_restarting and not podman:
        states.add("restarting")
    return frozenset(states)
