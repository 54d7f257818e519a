"""The default :class:`~watchtower.protocols.Registry`: the registry HTTP API.

:class:`HttpRegistry` asks registries which digest they serve with one
manifest ``HEAD`` per image, answering their auth challenges with logins from
Docker's own config (:class:`DockerCredentials`) and caching tokens
(:class:`TokenCache`).

The modules behind this package are private; everything a user needs is
named here. Importing :mod:`watchtower` never imports requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._credentials import Credentials, CredentialSource, DockerCredentials, auth_config
from ._platform import Platform
from ._tokens import TokenCache

if TYPE_CHECKING:
    from ._client import HttpRegistry, RetryPolicy, validate_ca_bundle

__all__ = [
    "CredentialSource",
    "Credentials",
    "DockerCredentials",
    "HttpRegistry",
    "Platform",
    "RetryPolicy",
    "TokenCache",
    "auth_config",
    "validate_ca_bundle",
]

_FROM_CLIENT = frozenset({"HttpRegistry", "RetryPolicy", "validate_ca_bundle"})


def __getattr__(name: str) -> Any:
    # The client imports requests: load it only when one of its names is used.
    if name in _FROM_CLIENT:
        from . import _client

        return getattr(_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _FROM_CLIENT)
