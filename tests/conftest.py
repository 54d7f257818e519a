"""The shared fixtures, each family in its own module under tests/support/.

tests/ mirrors the package: core/, docker/, registry/, notify/ and cli/, with
the package-wide checks (imports, examples) at the top.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

pytest_plugins = [
    "tests.support.memory_fixtures",
    "tests.support.e2e_fixtures",
    "tests.support.registry_fixtures",
    "tests.support.swarm_fixtures",
    "tests.support.podman_fixtures",
    "tests.support.browser",
    "tests.support.axe",
    "tests.support.scheduling",
]


@pytest.fixture
def cli_logger_restored() -> Iterator[None]:
    """main() sets up the ``watchtower`` logger for the process; undo it after the test."""
    logger = logging.getLogger("watchtower")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    yield
    logger.handlers[:] = handlers
    logger.propagate = propagate
    logger.setLevel(level)
