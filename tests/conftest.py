"""Shared pytest fixtures."""

from __future__ import annotations

# --- The private Docker engine and registry (end-to-end tests) ---------------
# Self-contained: fixtures named dockerd*, e2e_*, docker_* live in
# tests/support/e2e_fixtures.py and are re-exported here.
from tests.support.e2e_fixtures import (  # noqa: F401
    docker_api,
    docker_client,
    dockerd,
    e2e_images,
    e2e_names,
    e2e_registry,
)
