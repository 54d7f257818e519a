"""Fixtures for the in-memory backends: a fixed clock, a registry and an engine."""

from __future__ import annotations

import pytest

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
