"""The default :class:`~watchtower.protocols.Registry`: the registry HTTP API.

:class:`HttpRegistry` asks registries which digest they serve with one
manifest ``HEAD`` per image, answering their auth challenges with logins from
Docker's own config (:class:`DockerCredentials`) and caching tokens
(:class:`TokenCache`). Its requests go through a :class:`Transport`: by
default a :class:`RequestsTransport`, in tests a :class:`MockTransport`.

The modules behind this package are private; everything a user needs is
named here. Only :class:`RequestsTransport` imports requests, when it is
first used: a client on another transport never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import HttpRegistry
from ._credentials import Credentials, CredentialSource, DockerCredentials, auth_config
from ._http import RetryPolicy
from ._mock import MockTransport
from ._platform import Platform
from ._tls import validate_ca_bundle
from ._tokens import TokenCache
from ._transport import Request, Response, Transport, TransportError

if TYPE_CHECKING:
    from ._requests_transport import RequestsTransport

__all__ = [
    "CredentialSource",
    "Credentials",
    "DockerCredentials",
    "HttpRegistry",
    "MockTransport",
    "Platform",
    "Request",
    "RequestsTransport",
    "Response",
    "RetryPolicy",
    "TokenCache",
    "Transport",
    "TransportError",
    "auth_config",
    "validate_ca_bundle",
]


def __getattr__(name: str) -> Any:
    # RequestsTransport imports requests: load it only when it is used.
    if name == "RequestsTransport":
        from ._requests_transport import RequestsTransport

        return RequestsTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "RequestsTransport"])
