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

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


def host_of(key: str) -> str:
    """The ``host[:port]`` of a registry address or URL, lower case.

    ``https://index.docker.io/v1/`` -> ``index.docker.io``; ``Reg:5000`` -> ``reg:5000``.
    """
    text = key.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
            break
    return text.split("/", 1)[0].lower()


def is_docker_hub(domain: str) -> bool:
    """True for Docker Hub and its aliases."""
    return host_of(domain) in _HUB_ALIASES


def api_host(domain: str) -> str:
    """The host that serves the registry API for a reference's domain."""
    host = host_of(domain)
    return DOCKER_HUB_API_HOST if host in _HUB_ALIASES else host


def credential_key(domain: str) -> str:
    """The key Docker stores a registry's login under (what credential helpers are asked)."""
    host = host_of(domain)
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
    """True when the user listed ``host`` as insecure: by ``host:port``, or by host name alone."""
    host = host_of(host)
    listed = {host_of(entry) for entry in insecure}
    return host in listed or split_host_port(host)[0] in listed


def plain_http_allowed(host: str, insecure: Collection[str]) -> bool:
    """True when the registry at ``host`` may be spoken to over plain HTTP.

    Only loopback registries and those the user listed as insecure.
    """
    return is_loopback(host) or is_listed(host, insecure)
