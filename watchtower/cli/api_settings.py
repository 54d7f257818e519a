"""The HTTP API's settings: which endpoints are served, where, and with which token."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from typing import Literal, get_args

from attrs import field, frozen

from ..errors import ConfigurationError
from .values import FlagValues

__all__ = [
    "API_ENDPOINTS",
    "TOKEN_ENDPOINTS",
    "UNSERVED_ENDPOINTS",
    "ApiSettings",
    "Endpoint",
    "api_settings",
]

Endpoint = Literal["health", "update", "metrics", "containers", "check", "history"]
"""An HTTP API endpoint group, by its ``--http-api-endpoints`` name."""

#: The endpoints served here, by their --http-api-endpoints names.
API_ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)
#: The fork's endpoints not served here; asking for one logs a warning.
UNSERVED_ENDPOINTS = ("images", "config", "events", "swagger")
#: Endpoints that need a token (all but health), as in the fork.
TOKEN_ENDPOINTS: frozenset[Endpoint] = frozenset(API_ENDPOINTS) - {"health"}


@frozen
class ApiSettings:
    """The HTTP API's settings.

    Attributes:
        endpoints: The endpoints served (names of :data:`API_ENDPOINTS`).
        host: The address bound; empty binds every interface.
        port: The port.
        token: The bearer token (already read from its file).
        tls_cert: Certificate file, with ``tls_key``, to serve HTTPS.
        tls_key: Key file.
        periodic_polls: Keep the schedule although /v1/update is served.
    """

    endpoints: frozenset[Endpoint] = frozenset()
    host: str = ""
    port: int = 8080
    token: str = field(default="", repr=False)
    tls_cert: str = ""
    tls_key: str = ""
    periodic_polls: bool = False

    @property
    def enabled(self) -> bool:
        """True when any endpoint is served."""
        return bool(self.endpoints)

    @property
    def update_enabled(self) -> bool:
        """True when /v1/update is served."""
        return "update" in self.endpoints


_ENDPOINTS_BY_NAME: Mapping[str, Endpoint] = {name: name for name in API_ENDPOINTS}


def _endpoints(values: FlagValues, warnings: list[str]) -> frozenset[Endpoint]:
    names = [
        n.lower() for part in values["http_api_endpoints"] for n in re.split(r"[,\s]+", part) if n
    ]
    chosen: set[Endpoint] = set()
    if "all" in names:
        if len(names) != 1:
            raise ConfigurationError('--http-api-endpoints: "all" must be the only value.')
        chosen = set(API_ENDPOINTS)
    for name in names:
        if name == "all":
            continue
        if name in UNSERVED_ENDPOINTS:
            warnings.append(
                f"The HTTP API endpoint {name!r} is not served by this "
                "implementation; it is left out."
            )
            continue
        endpoint = _ENDPOINTS_BY_NAME.get(name)
        if endpoint is None:
            raise ConfigurationError(
                f"--http-api-endpoints {name!r} is not an endpoint; choose from "
                f"{', '.join(API_ENDPOINTS)} or all."
            )
        chosen.add(endpoint)
    legacy: Sequence[tuple[bool, Endpoint]] = (
        (values["http_api_update"], "update"),
        (values["http_api_metrics"], "metrics"),
        (values["http_api_containers"], "containers"),
    )
    chosen.update(endpoint for given, endpoint in legacy if given)
    return frozenset(chosen)


def api_settings(values: FlagValues, warnings: list[str]) -> ApiSettings:
    """The HTTP API's settings from the flags; a warning for each endpoint not served.

    Raises:
        ConfigurationError: A value is malformed, or an endpoint needs a token.
    """
    endpoints = _endpoints(values, warnings)
    host = values["http_api_host"].strip()
    if host:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise ConfigurationError(
                f"--http-api-host {host!r} is not an IP address (leave it empty for all)."
            ) from None
    port_text = values["http_api_port"].strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigurationError(
            f"--http-api-port {port_text!r} is not a port number from 1 to 65535."
        )
    cert, key = values["http_api_tls_cert"].strip(), values["http_api_tls_key"].strip()
    if bool(cert) != bool(key):
        raise ConfigurationError(
            "--http-api-tls-cert and --http-api-tls-key must be given together."
        )
    for option, path in (("--http-api-tls-cert", cert), ("--http-api-tls-key", key)):
        if path and not os.path.isfile(path):
            raise ConfigurationError(f"{option} {path!r} is not a file.")
    token = values["http_api_token"]
    needs_token = sorted(endpoints & TOKEN_ENDPOINTS)
    if needs_token and not token:
        raise ConfigurationError(
            f"The HTTP API endpoint {needs_token[0]!r} needs a token: set "
            "--http-api-token (or WATCHTOWER_HTTP_API_TOKEN)."
        )
    return ApiSettings(
        endpoints=endpoints,
        host=host,
        port=int(port_text),
        token=token,
        tls_cert=cert,
        tls_key=key,
        periodic_polls=values["http_api_periodic_polls"],
    )
