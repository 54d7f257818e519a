"""``PlanEntry.error``: a container that could not be checked is told apart from one skipped
on purpose, whatever its status says."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchtower import labels as L
from watchtower import plan
from watchtower.errors import RegistryError
from watchtower.plans import Status
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

APP = "example.org/app:1"


def unreachable(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.fail(APP, RegistryError("connection refused"), times=3)
    engine.fail("pull", image=APP, times=3)


def rate_limited(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.rate_limit(APP, times=3)


def check_fails_pull_works(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.fail(APP, RegistryError("connection refused"))


def nothing(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    pass


@pytest.mark.parametrize(
    ("labels", "fault", "status", "error"),
    [
        ({}, unreachable, Status.FAILED, True),
        ({}, rate_limited, Status.SKIPPED, True),
        ({}, check_fails_pull_works, Status.STALE, False),
        ({L.MONITOR_ONLY: "true"}, nothing, Status.STALE, False),
        ({L.COOLDOWN_DELAY: "1h"}, nothing, Status.SKIPPED, False),
        ({L.MONITOR_ONLY: "true"}, unreachable, Status.FAILED, True),
    ],
    ids=[
        "unreachable",
        "rate-limited",
        "check-failed-pull-worked",
        "monitor-only",
        "cooldown",
        "monitor-only-unreachable",
    ],
)
def test_an_entry_is_an_error_only_when_it_could_not_be_checked(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    clock: FixedClock,
    labels: dict[str, str],
    fault: Callable[[MemoryEngine, MemoryRegistry], None],
    status: Status,
    error: bool,
) -> None:
    registry.publish(APP)
    engine.run("app", APP, labels=labels)
    registry.publish(APP)
    fault(engine, registry)

    entry = plan(engine, registry, clock=clock).entry("app")

    assert (entry.status, entry.error) == (status, error)
    assert entry.to_dict()["error"] is error


def test_a_pinned_image_is_skipped_on_purpose(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish(APP)
    digest = registry.served(APP)[0]
    engine.run("app", f"example.org/app:1@{digest}")

    entry = plan(engine, registry).entry("app")

    assert (entry.status, entry.error) == (Status.SKIPPED, False)
