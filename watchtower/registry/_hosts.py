"""Where a registry lives: API hosts, Docker Hub's aliases, loopback, plain HTTP.

A reference's domain (``docker.io``, ``ghcr.io``, ``127.0.0.1:5000``) is not
always the host to talk to: Docker Hub's API is served by
``registry-1.docker.io`` and its logins are stored under
``https://index.docker.io/v1/``, as the docker CLI does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

DOCKER_HUB_API_HOST = "registry-1.docker.io"
"""The host that serves Docker Hub's registry API."""

DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
"""The key under which ``docker login`` stores Docker Hub credentials."""

ANY_HOST = "*"
"""An entry of the insecure registries that stands for every host."""

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

# LinuxServer's lscr.io redirects to ghcr.io; the fork checks and logs in there directly.
_ALIASES = {"lscr.io": "ghcr.io"}


def convert_to_hostname(address: str) -> str:
    """The ``host[:port]`` of a registry address or URL, as docker/cli's ConvertToHostname.

    A scheme and a path are stripped; an IPv6 address with a port is put in
    brackets (``https://::1:6555/v2/`` -> ``[::1]:6555``); anything else is
    kept as written (``[::1]``, ``::1:6556``).
    """
    if "://" in address:
        rest = address.split("://", 1)[1]
        netloc = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        name, port = _split_last_port(netloc)
        if name:
            return (
                f"[{name}]:{port}" if port and ":" in name else (f"{name}:{port}" if port else name)
            )
    return address.split("/", 1)[0]


def _split_last_port(netloc: str) -> tuple[str, str]:
    # Go's URL.Hostname and URL.Port: brackets hold an IPv6 address, else the last colon splits.
    if netloc.startswith("["):
        name, _, rest = netloc[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    name, colon, port = netloc.rpartition(":")
    if not colon or not port.isdigit():
        return netloc, ""
    return name, port


def host_of(key: str) -> str:
    """The ``host[:port]`` of a registry address or URL, lowered: see :func:`convert_to_hostname`.

    ``https://index.docker.io/v1/`` -> ``index.docker.io``; ``Reg:5000`` -> ``reg:5000``.
    """
    return convert_to_hostname(key.strip()).lower()


def registry_of(domain: str) -> str:
    """The registry that serves a reference's domain: itself, or ``ghcr.io`` for ``lscr.io``."""
    host = host_of(domain)
    return _ALIASES.get(host, host)


def is_docker_hub(domain: str) -> bool:
    """True for Docker Hub and its aliases."""
    return host_of(domain) in _HUB_ALIASES


def api_host(domain: str) -> str:
    """The host that serves the registry API for a reference's domain."""
    host = registry_of(domain)
    return DOCKER_HUB_API_HOST if host in _HUB_ALIASES else host


def credential_key(domain: str) -> str:
    """The key Docker stores a registry's login under (what credential helpers are asked)."""
    host = registry_of(domain)
    return DOCKER_HUB_AUTH_KEY if host in _HUB_ALIASES else host


def split_host_port(host: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (IPv6 in brackets) into the name and the port."""
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
    else:
        name, port = host, ""
    return name, (int(port) if port.isdigit() else None)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``, with or without a port."""
    name, _ = split_host_port(host_of(host))
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_listed(host: str, insecure: Collection[str]) -> bool:
    """True when the user listed ``host`` as insecure: by ``host:port``, by name, or as ``*``."""
    host = host_of(host)
    listed = {host_of(entry) for entry in insecure}
    return ANY_HOST in listed or host in listed or split_host_port(host)[0] in listed


def plain_http_allowed(host: str, insecure: Collection[str]) -> bool:
    """True when the registry at ``host`` may be spoken to over plain HTTP.

    Only loopback registries and those the user listed as insecure.
    """
    return is_loopback(host) or is_listed(host, insecure)
