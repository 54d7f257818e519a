"""Listing an engine's containers: the states kept, their own names, and tries again.

A listing is where each run starts, so an engine that is briefly unreachable
(restarting, its socket not there yet) is asked again after a wait, as the
fork does; an engine that answers with an error is not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import docker
from docker.errors import NotFound

from ..errors import EngineError
from ..model import Container
from ._errors import engine_unavailable

__all__ = ["LIST_RETRY_DELAYS", "containers_in", "names_by_id", "retrying"]

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

LIST_RETRY_DELAYS = (5.0, 10.0)
"""Seconds waited before listing again when the engine is unreachable: the fork's three tries."""

# A container's snapshot from its inspect answer and the names of all containers by id.
_Snapshot = Callable[[Mapping[str, Any], Mapping[str, str]], Container]


def _own_name(names: Sequence[str]) -> str:
    # A linked container is also listed under "/<linker>/<alias>".
    own = [name for name in names if name.count("/") == 1]
    return str((own or list(names) or ["/"])[0]).lstrip("/")


def names_by_id(listing: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each listed container's own name (not a link's alias), by id."""
    return {str(entry["Id"]): _own_name(entry.get("Names") or ()) for entry in listing}


def containers_in(
    api: docker.APIClient, states: frozenset[str], snapshot: _Snapshot
) -> list[Container]:
    """The engine's containers in ``states``, each inspected and snapshot.

    A container is kept when both the listing and its inspect answer show
    one of ``states`` (it may have changed in between); one removed in
    between is left out.
    """
    listing = api.containers(all=True)
    names = names_by_id(listing)
    result = []
    for entry in listing:
        if entry.get("State") not in states:
            continue
        try:
            inspect = api.inspect_container(entry["Id"])
        except NotFound:  # 404: removed since the listing
            continue
        if (inspect.get("State") or {}).get("Status") not in states:
            continue
        result.append(snapshot(inspect, names))
    return result


def retrying(
    list_once: Callable[[], _T], delays: Sequence[float], sleep: Callable[[float], None]
) -> _T:
    """``list_once()``, tried again after each of ``delays`` while the engine is unreachable.

    Any other error, and the last try's, is raised as it is.
    """
    pending = list(delays)
    attempts = len(pending) + 1
    while True:
        try:
            return list_once()
        except EngineError as error:
            if not pending or error.__cause__ is None:
                raise
            if not engine_unavailable(error.__cause__):
                raise
            delay = pending.pop(0)
            _log.warning(
                "%s Listing again in %gs (attempt %d of %d).",
                error,
                delay,
                attempts - len(pending),
                attempts,
            )
            sleep(delay)
