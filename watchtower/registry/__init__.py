"""The default :class:`~watchtower.protocols.Registry`, on requests.

:class:`HttpRegistry` asks registries which digest they serve with one
manifest ``HEAD`` per image, answering their auth challenges with logins from
Docker's own config (:class:`DockerCredentials`) and caching tokens
(:class:`TokenCache`). Importing this package imports requests; importing
:mod:`watchtower` does not.
"""

from __future__ import annotations

from .challenge import Challenge, MalformedChallengeError, parse_challenges
from .client import MANIFEST_TYPES, HttpRegistry, RetryPolicy, validate_ca_bundle
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
