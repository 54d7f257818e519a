"""A watchtower that runs in a container: which one it is, its scope, and its housekeeping.

When watchtower replaces its own container (always last, after every other
unit), the old one is renamed aside (``<name>-watchtower-old-<id>``) and
finishes its run: report, notifications, metrics. Then it stops its own
container through the engine, so that no restart policy brings it back.

At startup (never under ``--run-once``) the new instance does Watchtower's
housekeeping for its scope: it waits, at most ``wait``, for a predecessor
renamed aside to finish its run, then stops and removes it; it also removes
every other watchtower instance of the scope and the leftovers of an
interrupted self-update (a predecessor that was not removed, a successor that
was created but never started). The instance that started last survives. An
instance that finds itself renamed aside was restarted by the engine after
its successor took over, and stands down.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from .. import labels
from ..clock import Clock, system_clock
from ..errors import EngineError
from ..model import Container, ContainerState
from ..protocols import ContainerClient
from ..repair import Mark, read_name
from ..report import Outcome, Report

__all__ = [
    "container_id",
    "effective_scope",
    "find_self",
    "has_successor",
    "housekeeping",
    "is_aside",
    "others_of_scope",
    "replaced",
]


#: What the orchestrator puts in the name of a container it renamed aside.
def _scope(container: Container) -> str:
    value = container.labels.get(labels.SCOPE, "").strip()
    return "" if value == "none" else value


def is_aside(container: Container) -> bool:
    """True for a container renamed aside by a replacement: a predecessor."""
    return Mark.RAN.value in container.name


def has_successor(containers: Sequence[Container], own: Container) -> bool:
    """True when a watchtower container runs under the name ``own`` was renamed aside from.

    Without one, an instance renamed aside was cut short in the middle of
    its own replacement: the repair at the start of its next run gives it its
    name back, and it must not stand down.
    """
    leftover = read_name(own)
    return leftover is not None and any(
        c.name == leftover.name and c.state.is_running and labels.is_watchtower(c)
        for c in containers
    )


# The engine bind-mounts each container's hostname, hosts and resolv.conf
# from its own folder, named by its id: seen in the mount table even with
# the host's network (where HOSTNAME is the host's name).
_MOUNTED_ID = re.compile(r"/containers/([0-9a-f]{64})/(?:hostname|hosts|resolv\.conf)\s")


def container_id(mountinfo: str, hostname: str | None) -> str | None:
    """This process's container id: from its mount table, else from its ``HOSTNAME``.

    Args:
        mountinfo: The text of ``/proc/self/mountinfo`` (empty when unreadable).
        hostname: The ``HOSTNAME`` variable: the short id in a container
            with its own network.
    """
    found = _MOUNTED_ID.search(mountinfo)
    return found.group(1) if found else (hostname or None)


def find_self(client: ContainerClient, current_id: str | None) -> Container | None:
    """This process's own container, from its id (``HOSTNAME`` in a container).

    ``None`` when watchtower does not run in a container of this engine.
    """
    if not current_id:
        return None
    try:
        return client.get_container(current_id)
    except EngineError:
        return None


def effective_scope(scope: str, own: Container | None) -> str:
    """The scope of this run: ``--scope`` when given, else the own container's scope label.

    The label carries the scope across a self-update, as in Watchtower.
    """
    if scope or own is None:
        return scope
    return _scope(own)


def others_of_scope(
    containers: Sequence[Container], scope: str, own: Container | None
) -> list[Container]:
    """The watchtower containers of ``scope`` that this instance removes at startup.

    Every other instance of the scope when watchtower runs in a container;
    otherwise only the leftovers of a self-update: those renamed aside and
    those created but never started.
    """
    wanted = "" if scope == "none" else scope
    found = []
    for container in containers:
        if not labels.is_watchtower(container) or _scope(container) != wanted:
            continue
        if own is not None and container.id == own.id:
            continue
        if own is None and not (is_aside(container) or container.state is ContainerState.CREATED):
            continue
        found.append(container)
    return found


def replaced(report: Report, own: Container | None) -> bool:
    """True when ``report`` says this instance's container was replaced by a successor."""
    done = (Outcome.UPDATED, Outcome.RESTARTED)
    return own is not None and any(e.id == own.id and e.outcome in done for e in report)


def _wait_until_stopped(
    client: ContainerClient,
    container: Container,
    wait: timedelta,
    clock: Clock,
    sleep: Callable[[float], None],
) -> bool:
    """Wait for a predecessor to end its run and stop; False when it outlasted ``wait``."""
    deadline = clock() + wait
    while True:
        try:
            if not client.get_container(container.id).state.is_running:
                return True
        except EngineError:
            return True  # gone already
        if clock() >= deadline:
            return False
        sleep(0.5)


def housekeeping(
    client: ContainerClient,
    scope: str,
    own: Container | None,
    *,
    wait: timedelta,
    cleanup: bool = False,
    stop_timeout: timedelta = timedelta(seconds=10),
    logger: logging.Logger | None = None,
    clock: Clock = system_clock,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Stop and remove the other watchtower instances of ``scope`` (see :func:`others_of_scope`).

    A running predecessor renamed aside gets up to ``wait`` to finish its run
    and stop by itself before it is stopped. With ``cleanup`` the images of
    the removed instances go too, when nothing else uses them.

    Returns:
        The names of the containers removed.
    """
    log = logger or logging.getLogger("watchtower")
    containers = client.list_containers(include_stopped=True, include_restarting=True)
    found = others_of_scope(containers, scope, own)
    for container in found:
        if is_aside(container) and container.state.is_running:
            log.info("Waiting for the watchtower instance %s to finish its run", container.name)
            if not _wait_until_stopped(client, container, wait, clock, sleep):
                log.warning(
                    "The watchtower instance %s did not finish within %s; stopping it",
                    container.name,
                    wait,
                )
    removed = []
    for container in found:
        try:
            current = client.get_container(container.id)
            if current.state.is_running:
                client.stop_container(
                    current, signal=current.stop_signal or "SIGTERM", timeout=stop_timeout
                )
            client.remove_container(current.id)
        except EngineError as error:
            log.warning("Could not remove the watchtower instance %s: %s", container.name, error)
            continue
        log.info("Removed the watchtower instance %s", container.name)
        removed.append(container.name)
        if cleanup and (own is None or container.image_id != own.image_id):
            try:
                client.remove_image(container.image_id)
            except EngineError as error:
                log.debug("Kept the image of %s: %s", container.name, error)
    return removed
