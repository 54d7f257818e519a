"""The HTTP API's settings: which endpoints are served, where, with which tokens and bounds."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Literal, get_args

from attrs import field, frozen

from ..errors import ConfigurationError
from .values import FlagValues

__all__ = [
    "API_ENDPOINTS",
    "TOKEN_ENDPOINTS",
    "ApiSettings",
    "Endpoint",
    "api_settings",
]

Endpoint = Literal[
    "health",
    "update",
    "metrics",
    "containers",
    "check",
    "history",
    "images",
    "config",
    "events",
    "swagger",
    "page",
]
"""An HTTP API endpoint group, by its ``--http-api-endpoints`` name."""

#: The endpoints served here, by their --http-api-endpoints names.
API_ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)
#: Endpoints that need the API token (all but health, swagger and events), as in the fork.
TOKEN_ENDPOINTS: frozenset[Endpoint] = frozenset(API_ENDPOINTS) - {"health", "swagger", "events"}

#: The fork's bound of a /v1/check request when --http-api-check-timeout is 0.
DEFAULT_CHECK_TIMEOUT = timedelta(minutes=5)
#: The fork's bound of a synchronous /v1/update request when --http-api-update-timeout is 0.
DEFAULT_UPDATE_TIMEOUT = timedelta(minutes=10)
#: Requests a minute from one address when --http-api-rate-limit is 0 or less, as the fork.
DEFAULT_RATE_LIMIT = 60

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
        events_token: The token of ``/v1/events`` (the API token is taken too).
        rate_limit: Requests a minute from one client address.
        trusted_proxies: Networks whose requests name the client in ``proxy_header``.
        proxy_header: The header naming the client behind a trusted proxy.
        cors_origins: Origins allowed to call the API from a browser (``*``: any).
        check_timeout: The longest a ``/v1/check`` request waits for its answer.
        update_timeout: The longest a synchronous ``/v1/update`` request waits.
    """

    endpoints: frozenset[Endpoint] = frozenset()
    host: str = ""
    port: int = 8080
    token: str = field(default="", repr=False)
    tls_cert: str = ""
    tls_key: str = ""
    periodic_polls: bool = False
    events_token: str = field(default="", repr=False)
    rate_limit: int = DEFAULT_RATE_LIMIT
    trusted_proxies: tuple[IPNetwork, ...] = ()
    proxy_header: str = "X-Forwarded-For"
    cors_origins: tuple[str, ...] = ()
    check_timeout: timedelta = DEFAULT_CHECK_TIMEOUT
    update_timeout: timedelta = DEFAULT_UPDATE_TIMEOUT

    @property
    def enabled(self) -> bool:
        """True when any endpoint is served."""
        return bool(self.endpoints)

    @property
    def update_enabled(self) -> bool:
        """True when /v1/update is served."""
        return "update" in self.endpoints


_ENDPOINTS_BY_NAME: Mapping[str, Endpoint] = {name: name for name in API_ENDPOINTS}


def _endpoints(values: FlagValues) -> frozenset[Endpoint]:
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
    """The HTTP API's settings from the flags.

    ``warnings`` takes the configuration's warnings; every endpoint of the
    fork is served now, so none is added here.

    Raises:
        ConfigurationError: A value is malformed, or an endpoint needs a token.
    """
    endpoints = _endpoints(values)
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
    events_token = values["http_api_events_token"]
    if "events" in endpoints and not events_token:
        raise ConfigurationError(
            "The HTTP API endpoint 'events' needs its own token: set "
            "--http-api-events-token (or WATCHTOWER_HTTP_API_EVENTS_TOKEN)."
        )
    rate_limit = values["http_api_rate_limit"]
    return ApiSettings(
        endpoints=endpoints,
        host=host,
        port=int(port_text),
        token=token,
        tls_cert=cert,
        tls_key=key,
        periodic_polls=values["http_api_periodic_polls"],
        events_token=events_token,
        rate_limit=rate_limit if rate_limit > 0 else DEFAULT_RATE_LIMIT,
        trusted_proxies=_networks(values["http_api_trusted_proxies"]),
        proxy_header=values["http_api_proxy_header"].strip() or "X-Forwarded-For",
        cors_origins=_origins(values["http_api_cors_origins"]),
        check_timeout=values["http_api_check_timeout"] or DEFAULT_CHECK_TIMEOUT,
        update_timeout=values["http_api_update_timeout"] or DEFAULT_UPDATE_TIMEOUT,
    )


def _names(given: Sequence[str]) -> list[str]:
    return [name for part in given for name in re.split(r"[,\s]+", part) if name]


def _networks(given: Sequence[str]) -> tuple[IPNetwork, ...]:
    networks = []
    for name in _names(given):
        try:
            networks.append(ipaddress.ip_network(name, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"--http-api-trusted-proxies {name!r} is not an IP address or network."
            ) from None
    return tuple(networks)


def _origins(given: Sequence[str]) -> tuple[str, ...]:
    origins = []
    for name in _names(given):
        origin = name.rstrip("/")
        if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
            raise ConfigurationError(
                f"--http-api-cors-origins {name!r} is not an origin such as "
                "https://example.org (or *)."
            )
        origins.append(origin)
    return tuple(origins)
