"""From the engine's inspect answers to :class:`watchtower.model.Container` snapshots.

Pure functions: the client fetches the inspect answers and passes them in.
Podman's answers are read as Docker's: a stop signal it reports as a number
(``2``) is named (``SIGINT``), and the stop timeout ``0`` it reports for a
container created with none counts as none (on Docker, 0 is 0).
"""

from __future__ import annotations

import signal
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from ..labels import ORIGINAL_IMAGE
from ..model import Container, ContainerState, Image, ImageRef
from ..reference import parse_reference

__all__ = [
    "container_from_inspect",
    "has_healthcheck",
    "image_from_inspect",
    "image_reference",
    "link_names",
    "named_volumes",
]


def image_from_inspect(inspect: Mapping[str, Any]) -> Image:
    """The :class:`Image` of an image inspect answer."""
    labels = (inspect.get("Config") or {}).get("Labels") or {}
    size = inspect.get("Size")
    return Image(
        str(inspect["Id"]),
        tuple(inspect.get("RepoDigests") or ()),
        {str(key): str(value) for key, value in labels.items()},
        # An engine that gives no size (or a strange one) leaves it unknown.
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
    )


def link_names(links: Iterable[str] | None) -> tuple[str, ...]:
    """The names of linked containers, from HostConfig.Links (``/db:/web/db`` -> ``db``)."""
    names = []
    for link in links or ():
        name = str(link).partition(":")[0].strip("/")
        if name and name not in names:
            names.append(name)
    return tuple(names)


def image_reference(inspect: Mapping[str, Any]) -> ImageRef:
    """The reference a container was created from.

    That is its ``Config.Image``, unless it was created from an image id and
    carries Watchtower's original-image label naming the reference.
    """
    config = inspect.get("Config") or {}
    text = str(config.get("Image") or "")
    original = (config.get("Labels") or {}).get(ORIGINAL_IMAGE)
    if original and (text.startswith("sha256:") or text == inspect.get("Image")):
        text = original
    if text.startswith("sha256:") or text == inspect.get("Image"):
        # Created from a bare image id: no repository to check, never updated.
        return ImageRef(domain="", path="", tag=None, digest=text)
    return parse_reference(text)


def _state(inspect: Mapping[str, Any]) -> ContainerState:
    status = str((inspect.get("State") or {}).get("Status") or "created")
    try:
        return ContainerState(status)
    except ValueError:
        return ContainerState.DEAD


def _signal_name(value: Any) -> str | None:
    text = str(value or "")
    if text.isdigit():
        try:
            return signal.Signals(int(text)).name
        except ValueError:
            return text
    return text or None


def has_healthcheck(config: Mapping[str, Any]) -> bool:
    """Whether a container or image config declares a health check (not ``NONE``)."""
    test = (config.get("Healthcheck") or {}).get("Test") or []
    return bool(test) and test[0] != "NONE"


def container_from_inspect(
    inspect: Mapping[str, Any],
    image: Mapping[str, Any] | None,
    names_by_id: Mapping[str, str] | None = None,
) -> Container:
    """Snapshot a container.

    Args:
        inspect: The container's inspect answer; kept whole as ``raw``.
        image: The inspect answer of the image it runs, if the engine still has it.
        names_by_id: Container ids to names, to show ``network_mode:
            container:<id>`` by the supplier's name.
    """
    config = inspect.get("Config") or {}
    host = inspect.get("HostConfig") or {}
    mode = str(host.get("NetworkMode") or "default")
    if mode.startswith("container:") and names_by_id:
        target = mode.partition(":")[2]
        name = names_by_id.get(target)
        if name is None:
            matches = [n for cid, n in names_by_id.items() if cid.startswith(target)]
            name = matches[0] if len(target) >= 12 and len(matches) == 1 else None
        if name is not None:
            mode = f"container:{name}"
    stop_timeout = config.get("StopTimeout")
    if stop_timeout == 0 and "container=podman" in (config.get("Env") or ()):
        # Podman (which sets container=podman in every container) answers 0 for
        # a container created without a timeout: none, so the configured grace
        # time applies rather than an instant kill. Docker's 0 is the user's.
        stop_timeout = None
    return Container(
        id=str(inspect["Id"]),
        name=str(inspect.get("Name", "")).lstrip("/"),
        image=image_reference(inspect),
        image_id=str(inspect.get("Image", "")),
        repo_digests=tuple((image or {}).get("RepoDigests") or ()),
        labels=dict(config.get("Labels") or {}),
        state=_state(inspect),
        links=link_names(host.get("Links")),
        network_mode=mode,
        stop_signal=_signal_name(config.get("StopSignal")),
        stop_timeout=timedelta(seconds=stop_timeout) if stop_timeout is not None else None,
        has_healthcheck=has_healthcheck(config),
        volumes=named_volumes(inspect.get("Mounts")),
        raw=inspect,
    )


def named_volumes(mounts: Any) -> dict[str, str]:
    """The named volumes of an inspect answer's ``Mounts``, each with its mount path.

    An anonymous volume has a name too (64 hex digits): it is left out, as
    are bind mounts, since only a volume someone named can be protected.
    """
    found: dict[str, str] = {}
    for mount in mounts or ():
        name = str(mount.get("Name") or "")
        if mount.get("Type") != "volume" or not name or _anonymous(name):
            continue
        found[name] = str(mount.get("Destination") or "")
    return found


def _anonymous(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)
