"""The startup step of a watchtower that updated itself: remove the instance it replaced.

When watchtower replaces its own container, the old one is renamed aside
(``<name>-watchtower-old-<id>``) and keeps running until the new one takes
over. At startup the new instance stops and removes such old instances of
its own scope, as Watchtower's ``CheckForMultipleWatchtowerInstances`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from .. import labels
from ..errors import EngineError
from ..model import Container
from ..protocols import ContainerClient

__all__ = ["OLD_MARKER", "old_instances", "remove_old_instances"]

#: What the orchestrator puts in the name of a container it renamed aside.
OLD_MARKER = "-watchtower-old-"


def _scope(container: Container) -> str:
    value = container.labels.get(labels.SCOPE, "").strip()
    return "" if value == "none" else value


def old_instances(
    containers: Sequence[Container], scope: str, current_id: str | None = None
) -> list[Container]:
    """The renamed-aside watchtower instances of ``scope``, never the current one."""
    wanted = "" if scope == "none" else scope
    return [
        c
        for c in containers
        if labels.is_watchtower(c)
        and OLD_MARKER in c.name
        and _scope(c) == wanted
        and not (current_id and (c.id == current_id or c.id.startswith(current_id)))
    ]


def remove_old_instances(
    client: ContainerClient,
    scope: str,
    *,
    current_id: str | None = None,
    cleanup: bool = False,
    stop_timeout: timedelta = timedelta(seconds=10),
    logger: logging.Logger | None = None,
) -> list[str]:
    """Stop and remove the old watchtower instances of ``scope``.

    With ``cleanup`` their images are removed too when nothing else uses them.

    Returns:
        The names of the containers removed.
    """
    log = logger or logging.getLogger("watchtower")
    found = old_instances(client.list_containers(include_stopped=True), scope, current_id)
    removed = []
    for container in found:
        try:
            client.stop_container(
                container, signal=container.stop_signal or "SIGTERM", timeout=stop_timeout
            )
            client.remove_container(container.id)
        except EngineError as error:
            log.warning(
                "Could not remove the old watchtower instance %s: %s", container.name, error
            )
            continue
        log.info("Removed the old watchtower instance %s", container.name)
        removed.append(container.name)
        if cleanup:
            try:
                client.remove_image(container.image_id)
            except EngineError as error:
                log.debug("Kept the image of %s: %s", container.name, error)
    return removed
