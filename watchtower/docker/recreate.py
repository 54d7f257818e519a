"""How a replacement container is configured: a pure function of three inspect answers.

:func:`create_spec` takes the old container's inspect, its image's inspect and
the new image's inspect, and returns what to send to the engine's create
call plus the networks to connect afterwards. It follows Watchtower's
``GetCreateConfig`` rule: a value the old container has only because its
image had it is dropped, so the new image's default takes its place; every
value the user set is kept. The host configuration is carried whole.

On top of that rule:

* anonymous volumes of the old container are mounted into the replacement
  at the same paths, as docker compose does on recreate, so their data
  survives; a volume whose path neither the user nor the new image declares
  any more is left behind;
* ``network_mode: container:X`` refers to the supplier by name, so the
  replacement joins whichever container has that name now;
* a hostname equal to the old container's short id (Docker's default) is
  dropped, so the replacement gets its own;
* compose v2's ``com.docker.compose.image`` follows the new image when it
  named the old one (:func:`watchtower.labels.replacement_labels`);
* Podman's answers are read as Podman means them: ulimits named
  ``RLIMIT_NOFILE`` are sent back as ``nofile`` (the form its create call
  parses), a device reported with no cgroup permissions gets Docker's
  default ``rwm`` (Podman's create refuses the empty mode it reports),
  and the variables Podman puts into every container's
  environment (``container=podman``, ``HOSTNAME`` equal to the hostname) are not
  taken for the user's.

Nothing here talks to an engine; the function is table-tested.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from attrs import field, frozen

from ..labels import ORIGINAL_IMAGE, replacement_labels
from ..model import short_id

__all__ = ["CreateSpec", "create_spec", "created_from", "normalise_link"]

Json = dict[str, Any]

_HEALTH_DURATIONS = ("Interval", "Timeout", "StartPeriod", "StartInterval")


@frozen
class CreateSpec:
    """What creates a replacement.

    Attributes:
        name: The name to create it under.
        config: The body of ``POST /containers/create``: the container
            config with ``HostConfig`` and ``NetworkingConfig`` inside.
        connect: Further networks to connect before it starts, as
            ``(network name, endpoint config)`` pairs, in a stable order.
    """

    name: str
    config: Json
    connect: tuple[tuple[str, Json], ...] = field(default=())


def _config(inspect: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not inspect:
        return {}
    return inspect.get("Config") or {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def normalise_link(link: str) -> str:
    """Turn an inspect link (``/db:/web/db``) into the create form (``db:db``)."""
    target, _, alias = link.partition(":")
    target = target.lstrip("/")
    alias = alias.rsplit("/", 1)[-1] if alias else target
    return f"{target}:{alias}"


def created_from(inspect: Mapping[str, Any]) -> str:
    """The reference the container was created from, looking through an image id."""
    config = _config(inspect)
    text = str(config.get("Image") or "")
    original = (config.get("Labels") or {}).get(ORIGINAL_IMAGE)
    if original and text.startswith("sha256:"):
        return str(original)
    return text


def _subtract_health(config: Json, image: Mapping[str, Any]) -> None:
    mine = config.get("Healthcheck")
    theirs = image.get("Healthcheck")
    if not mine or not theirs:
        return
    mine = dict(mine)
    if _list(mine.get("Test")) == _list(theirs.get("Test")):
        mine.pop("Test", None)
    if mine.get("Retries", 0) == theirs.get("Retries", 0):
        mine.pop("Retries", None)
    for key in _HEALTH_DURATIONS:
        if mine.get(key, 0) == theirs.get(key, 0):
            mine.pop(key, None)
    # Only non-zero, user-set values remain; none at all means "the image's".
    mine = {key: value for key, value in mine.items() if value}
    if mine:
        config["Healthcheck"] = mine
    else:
        config.pop("Healthcheck", None)


def _anonymous_volumes(
    inspect: Mapping[str, Any], host: Json, keep_paths: set[str]
) -> tuple[list[str], list[Json]]:
    """Binds to add, and the Mounts with their anonymous sources filled in."""
    named_by_user = {
        bind.split(":")[1] for bind in _list(host.get("Binds")) if bind.count(":") >= 1
    }
    volumes_by_path = {
        mount.get("Destination"): mount.get("Name")
        for mount in _list(inspect.get("Mounts"))
        if mount.get("Type") == "volume" and mount.get("Name")
    }
    mounts = []
    in_mounts = set()
    for mount in _list(host.get("Mounts")):
        mount = dict(mount)
        target = mount.get("Target")
        in_mounts.add(target)
        if mount.get("Type") == "volume" and not mount.get("Source"):
            name = volumes_by_path.get(target)
            if name:
                mount["Source"] = name
        mounts.append(mount)
    binds = [
        f"{name}:{path}"
        for path, name in sorted(volumes_by_path.items())
        if path not in named_by_user and path not in in_mounts and path in keep_paths
    ]
    return binds, mounts


def _ulimit(entry: Mapping[str, Any]) -> Json:
    # Podman's inspect names them RLIMIT_NOFILE; its create (and Docker's)
    # parse only nofile.
    name = str(entry.get("Name", ""))
    if name.upper().startswith("RLIMIT_"):
        name = name[len("RLIMIT_") :].lower()
    return {**entry, "Name": name}


def _device(entry: Mapping[str, Any]) -> Json:
    # Podman reports the permissions a device was given as "".
    return {**entry, "CgroupPermissions": entry.get("CgroupPermissions") or "rwm"}


def _engine_env(config: Mapping[str, Any]) -> set[str]:
    """The variables Podman adds to every container, which the user did not set."""
    # HOSTNAME equal to the hostname is what any engine gives the process anyway.
    hostname = config.get("Hostname")
    return {"container=podman", f"HOSTNAME={hostname}"} if hostname else {"container=podman"}


def engine_generated_mac(mac: str, ip: str) -> bool:
    """Whether ``mac`` is the one the bridge driver derives from IPv4 ``ip`` (``02:42:`` + octets).

    Such an address follows the IP, which the replacement may not get again;
    any other address (a user's, or a newer engine's random one) is kept.
    """
    try:
        octets = [int(part) for part in ip.split(".")]
    except ValueError:
        return False
    if len(octets) != 4 or not all(0 <= octet <= 255 for octet in octets):
        return False
    return mac.lower() == "02:42:" + ":".join(f"{octet:02x}" for octet in octets)


def _endpoint(settings: Mapping[str, Any], own_id: str, *, mac_per_network: bool) -> Json:
    endpoint: Json = {}
    mac = str(settings.get("MacAddress") or "")
    # Engines before API 1.44 take no MAC address per network (the container's own is copied).
    if mac_per_network and mac and not engine_generated_mac(mac, str(settings.get("IPAddress"))):
        endpoint["MacAddress"] = mac
    ipam = settings.get("IPAMConfig")
    if ipam:
        endpoint["IPAMConfig"] = {key: value for key, value in ipam.items() if value}
    aliases = [alias for alias in _list(settings.get("Aliases")) if alias != own_id]
    if aliases:
        endpoint["Aliases"] = aliases
    links = _list(settings.get("Links"))
    if links:
        endpoint["Links"] = links
    driver_opts = settings.get("DriverOpts")
    if driver_opts:
        endpoint["DriverOpts"] = dict(driver_opts)
    return endpoint


# The CPU settings of a HostConfig, each at the value that means "not set".
_NO_CPU_SETTINGS: Json = {
    "NanoCpus": 0,
    "CpuShares": 0,
    "CpuQuota": 0,
    "CpuPeriod": 0,
    "CpusetCpus": "",
    "CpusetMems": "",
}


def create_spec(
    inspect: Mapping[str, Any],
    old_image: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None,
    *,
    network_mode: str | None = None,
    image_id: str | None = None,
    cpu: Literal["full", "none", "no-nano-cpus"] = "full",
    drop_swappiness: bool = False,
    mac_per_network: bool = False,
) -> CreateSpec:
    """The create call and network connections that recreate ``inspect`` on a new image.

    Args:
        inspect: The old container's inspect answer.
        old_image: The inspect answer of the image it runs (``None`` if it is
            gone: then nothing is treated as an image default).
        new_image: The inspect answer of the image the replacement runs
            (``None``: no anonymous volume is dropped for want of a path).
        network_mode: The network mode to use instead of the inspected one,
            typically ``container:<name>`` where the engine stored an id.
        image_id: Create from this image id rather than the old reference,
            for when the reference names another image locally; the
            reference is then kept in the ``zodiac.original-image`` label.
        cpu: Which CPU settings the replacement keeps: all of them
            (``full``), none (``none``), or all but ``NanoCpus``
            (``no-nano-cpus``, for Podman), as the fork's
            ``--cpu-copy-mode``.
        drop_swappiness: Leave memory swappiness to the engine
            (``--disable-memory-swappiness``, for Podman).
        mac_per_network: Keep each network's MAC address, for engines that
            take one per network (API 1.44 and newer), as the fork does;
            an address the engine derived from the old IP is left out.

    Returns:
        The replacement's :class:`CreateSpec`.
    """
    config: Json = copy.deepcopy(dict(_config(inspect)))
    host: Json = copy.deepcopy(dict(inspect.get("HostConfig") or {}))
    image_config = _config(old_image)
    new_config = _config(new_image)
    name = str(inspect.get("Name", "")).lstrip("/")
    # Docker's default hostname and network alias: the container's short id.
    own_id = short_id(str(inspect.get("Id", "")))

    if network_mode is not None:
        host["NetworkMode"] = network_mode
    mode = str(host.get("NetworkMode") or "default")
    container_mode = mode.startswith("container:")

    engine_env = _engine_env(config)
    for key in ("WorkingDir", "User", "StopSignal"):
        if config.get(key) and config.get(key) == image_config.get(key):
            config.pop(key, None)
    if container_mode or (own_id and config.get("Hostname") == own_id):
        config.pop("Hostname", None)
    if container_mode:
        # The engine rejects these with a container's network namespace.
        config.pop("MacAddress", None)
        config.pop("Domainname", None)
        config.pop("ExposedPorts", None)

    if _list(config.get("Entrypoint")) == _list(image_config.get("Entrypoint")):
        config["Entrypoint"] = None
        if _list(config.get("Cmd")) == _list(image_config.get("Cmd")):
            config["Cmd"] = None

    _subtract_health(config, image_config)

    image_env = set(_list(image_config.get("Env"))) | engine_env
    config["Env"] = [entry for entry in _list(config.get("Env")) if entry not in image_env]

    image_labels = image_config.get("Labels") or {}
    labels = replacement_labels(
        config.get("Labels") or {},
        str(inspect.get("Image") or (old_image or {}).get("Id") or ""),
        str((new_image or {}).get("Id") or ""),
    )
    config["Labels"] = {
        key: value for key, value in labels.items() if image_labels.get(key) != value
    }

    image_volumes = image_config.get("Volumes") or {}
    volumes: Json = {
        path: {} for path in (config.get("Volumes") or {}) if path not in image_volumes
    }
    config["Volumes"] = volumes or None

    if not container_mode:
        image_ports = image_config.get("ExposedPorts") or {}
        ports: Json = {
            port: {} for port in (config.get("ExposedPorts") or {}) if port not in image_ports
        }
        for port in host.get("PortBindings") or {}:
            ports[port] = {}
        config["ExposedPorts"] = ports or None

    keep_paths = set(volumes) | set(new_config.get("Volumes") or {})
    if new_image is None:
        keep_paths |= set(image_volumes)
    extra_binds, mounts = _anonymous_volumes(inspect, host, keep_paths)
    if extra_binds:
        host["Binds"] = _list(host.get("Binds")) + extra_binds
    if host.get("Mounts"):
        host["Mounts"] = mounts

    if host.get("Links"):
        host["Links"] = [normalise_link(link) for link in host["Links"]]
    if host.get("Ulimits"):
        host["Ulimits"] = [_ulimit(entry) for entry in host["Ulimits"]]
    if host.get("Devices"):
        host["Devices"] = [_device(entry) for entry in host["Devices"]]
    if cpu == "none":
        host.update(_NO_CPU_SETTINGS)
    elif cpu == "no-nano-cpus":
        host["NanoCpus"] = 0
    if drop_swappiness:
        host["MemorySwappiness"] = None

    reference = created_from(inspect)
    config["Image"] = reference
    if image_id is not None and image_id != reference:
        config["Image"] = image_id
        if not reference.startswith("sha256:"):
            config["Labels"][ORIGINAL_IMAGE] = reference
    config["HostConfig"] = host

    connect: list[tuple[str, Json]] = []
    if mode not in ("host", "none") and not container_mode:
        networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
        names = sorted(networks)
        # The network the container was created on goes into the create call.
        primary = mode if mode in networks else (names[0] if names else None)
        if primary is not None:
            config["NetworkingConfig"] = {
                "EndpointsConfig": {
                    primary: _endpoint(networks[primary], own_id, mac_per_network=mac_per_network)
                }
            }
            connect = [
                (net, _endpoint(networks[net], own_id, mac_per_network=mac_per_network))
                for net in names
                if net != primary
            ]
    return CreateSpec(name=name, config=config, connect=tuple(connect))
