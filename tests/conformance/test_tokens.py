"""The fork's pkg/registry/auth/bearer_test.go: a token answer's value and lifetime.

Run against :func:`watchtower.registry._tokens.token_from_answer`; the
fork's default lifetime (defaultTokenTTL) is 60 seconds, as here.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conformance.deviations import deviation
from watchtower.errors import RegistryError
from watchtower.registry._tokens import token_from_answer

SOURCE = "nicholas-fedor/watchtower pkg/registry/auth/bearer_test.go"
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
TTL = timedelta(seconds=60)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


COMPUTE_TOKEN_EXPIRY: list[tuple[str, dict[str, Any], datetime]] = [
    ("uses expires_in when provided", {"expires_in": 3600}, NOW + timedelta(seconds=3600)),
    ("falls back to default TTL when expires_in is negative", {"expires_in": -1}, NOW + TTL),
    (
        "uses issued_at with default TTL when expires_in is zero",
        {"issued_at": _rfc3339(NOW - timedelta(minutes=5))},
        NOW - timedelta(minutes=5) + TTL,
    ),
    (
        "uses issued_at with expires_in when both are provided",
        {"expires_in": 3600, "issued_at": _rfc3339(NOW - timedelta(minutes=10))},
        NOW - timedelta(minutes=10) + timedelta(seconds=3600),
    ),
    ("falls back to default TTL when both are missing", {}, NOW + TTL),
    ("falls back to default TTL when issued_at is invalid", {"issued_at": "not-a-date"}, NOW + TTL),
]


@pytest.mark.parametrize(
    ("case", "answer", "expires"), COMPUTE_TOKEN_EXPIRY, ids=[c[0] for c in COMPUTE_TOKEN_EXPIRY]
)
def test_compute_token_expiry(case: str, answer: dict[str, Any], expires: datetime) -> None:
    """Test_computeTokenExpiry."""
    token = token_from_answer({"token": "t", **answer}, NOW)
    marked = deviation(SOURCE, "Test_computeTokenExpiry", case)
    if marked is not None:
        assert expires < NOW and token.expires_at == NOW + TTL
    else:
        assert token.expires_at == expires


READ_BEARER_TOKEN: list[tuple[str, Any, str | None]] = [
    (
        "valid token response",
        {"token": "test-token", "expires_in": 3600, "issued_at": "2024-01-01T00:00:00Z"},
        "test-token",
    ),
    ("invalid JSON returns error", "not json", None),
    ("empty token returns empty string", {"token": "", "expires_in": 3600}, ""),
    ("missing token field returns empty string", {"expires_in": 3600}, ""),
    ("access_token used when token is empty", {"access_token": "fallback-token"}, "fallback-token"),
    (
        "token takes precedence over access_token",
        {"token": "primary-token", "access_token": "fallback-token", "expires_in": 3600},
        "primary-token",
    ),
]


@pytest.mark.parametrize(
    ("case", "answer", "value"), READ_BEARER_TOKEN, ids=[c[0] for c in READ_BEARER_TOKEN]
)
def test_read_bearer_token_with_expiry(case: str, answer: Any, value: str | None) -> None:
    """Test_readBearerTokenWithExpiry (the JSON already decoded; a string is not an object)."""
    marked = deviation(SOURCE, "Test_readBearerTokenWithExpiry", case)
    if value is None or marked is not None:
        with pytest.raises(RegistryError, match="the token server answered"):
            token_from_answer(answer, NOW)
    else:
        assert token_from_answer(answer, NOW).value == value
