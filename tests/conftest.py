"""Shared fixtures."""

from __future__ import annotations

import pytest

# --- The private Docker engine and registry (end-to-end tests) ---------------
# Self-contained: the fixtures dockerd, docker_api, docker_client and e2e_*
# live in tests/support/e2e_fixtures.py and are re-exported here.
from tests.support.e2e_fixtures import (  # noqa: F401
    docker_api,
    docker_client,
    dockerd,
    e2e_images,
    e2e_names,
    e2e_registry,
)
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2026-01-01 UTC."""
    return FixedClock()


@pytest.fixture
def registry(clock: FixedClock) -> MemoryRegistry:
    """An in-memory registry on the fixed clock."""
    return MemoryRegistry(clock)


@pytest.fixture
def engine(registry: MemoryRegistry) -> MemoryEngine:
    """An in-memory engine pulling from the in-memory registry."""
    return MemoryEngine(registry)
