"""Waiting for a container's health: the engine's check, run by hand on Podman.

A replacement is healthy once its health check says so; one without a check
once it runs. Podman runs checks from systemd timers, which a host without
systemd never fires, so a check still ``starting`` there is run through
Podman's own healthcheck call (libpod) instead of waited for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import docker
from docker.errors import NotFound

from ..errors import ContainerError
from ._errors import engine_errors, shown

__all__ = ["wait_until_healthy"]


def wait_until_healthy(
    api: docker.APIClient,
    container_id: str,
    timeout: timedelta,
    *,
    poll_interval: float,
    podman: Callable[[], bool],
    engine: str,
) -> bool:
    """Poll the container until healthy (``True``) or unhealthy, stopped, gone, timed out.

    Args:
        api: The engine's docker-py client.
        container_id: The container, by id or name.
        timeout: How long a check may stay ``starting``.
        poll_interval: Seconds between two looks.
        podman: Whether the engine behind the socket is Podman, asked only
            when a check is still ``starting``.
        engine: The engine's address, as errors name it.

    Raises:
        ContainerError: Its state could not be read, or Podman's check not run.
    """
    deadline = time.monotonic() + timeout.total_seconds()
    doing = f"inspect container {shown(container_id)!r}"
    while True:
        with engine_errors(doing, ContainerError, engine=engine):
            try:
                state = api.inspect_container(container_id).get("State") or {}
            except NotFound:  # 404: it is gone, so it is not healthy
                return False
        if not state.get("Running") or state.get("Restarting"):
            return False
        health = state.get("Health")
        # Podman reports a container without a check with an empty status.
        if not health or not health.get("Status"):
            return True
        status = health.get("Status")
        if status == "starting" and podman():
            status = _run_podman_health_check(api, container_id, engine)
        if status == "healthy":
            return True
        if status == "unhealthy":
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll_interval)


def _run_podman_health_check(api: docker.APIClient, container_id: str, engine: str) -> str:
    # Podman's API (libpod) runs the check once and answers the status.
    doing = f"check the health of container {shown(container_id)!r}"
    with engine_errors(doing, ContainerError, engine=engine):
        answer = api._result(
            api._get(api._url("/libpod/containers/{0}/healthcheck", container_id)),
            json=True,
        )
    return str(answer.get("Status", ""))
