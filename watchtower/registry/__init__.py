"""The default :class:`~watchtower.protocols.Registry`, on requests.

:class:`HttpRegistry` asks registries which digest they serve with one
manifest ``HEAD`` per image, answering their auth challenges with logins from
Docker's own config (:class:`DockerCredentials`) and caching tokens
(:class:`TokenCache`).

Only :class:`HttpRegistry` and its helpers need requests, and they import it
when first used: the docker backend imports :mod:`watchtower.registry.credentials`
for pull logins without it. Importing :mod:`watchtower` never imports requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .challenge import Challenge, MalformedChallengeError, parse_challenges
from .credentials import (
    Credentials,
    CredentialSource,
    DockerCredentials,
    auth_config,
    credentials_for,
)
from .hosts import api_host, credential_key, is_loopback
from .platform import Platform
from .tokens import Token, TokenCache, TokenKey, token_from_answer

if TYPE_CHECKING:
    from .client import MANIFEST_TYPES, HttpRegistry, RetryPolicy, validate_ca_bundle

__all__ = [
    "MANIFEST_TYPES",
    "Challenge",
    "CredentialSource",
    "Credentials",
    "DockerCredentials",
    "HttpRegistry",
    "MalformedChallengeError",
    "Platform",
    "RetryPolicy",
    "Token",
    "TokenCache",
    "TokenKey",
    "api_host",
    "auth_config",
    "credential_key",
    "credentials_for",
    "is_loopback",
    "parse_challenges",
    "token_from_answer",
    "validate_ca_bundle",
]

_FROM_CLIENT = frozenset({"MANIFEST_TYPES", "HttpRegistry", "RetryPolicy", "validate_ca_bundle"})


def __getattr__(name: str) -> Any:
    # The client imports requests: load it only when one of its names is used.
    if name in _FROM_CLIENT:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _FROM_CLIENT)
