"""The fork's pause after a failed self-update pull (internal/actions/update.go), not kept.

The fork's ``Update`` sleeps ``PullFailureDelay`` (5 minutes) at the end of a
run whose pull of Watchtower's own image failed, against a restart loop. The
case is in deviations.py: here a failed pull replaces nothing, so there is no
loop to slow, and the run ends at once, the container skipped with the pull's error.
"""

from __future__ import annotations

import time

from tests.conformance.deviations import deviation
from watchtower import labels as L
from watchtower import update
from watchtower.model import ContainerState
from watchtower.report import Outcome
from watchtower.testing import MemoryEngine, MemoryRegistry

WT = "example.org/watchtower:1"


def test_a_failed_self_update_pull_ends_the_run_at_once(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    marked = deviation(
        "nicholas-fedor/watchtower internal/actions/update.go",
        "Update",
        "a failed pull of Watchtower's own image",
    )
    assert marked is not None
    registry.publish(WT)
    engine.run("watchtower", WT, labels={L.WATCHTOWER: "true"})
    registry.publish(WT)
    engine.fail("pull", image="example.org/watchtower:1")

    began = time.monotonic()
    report = update(engine, registry)
    assert time.monotonic() - began < 5  # no pause: the fork's would be 300 s

    (entry,) = report.entries
    assert (entry.name, entry.outcome) == ("watchtower", Outcome.SKIPPED)
    assert "pull" in entry.reason
    assert [c.name for c in engine.containers()] == ["watchtower"]
    assert engine.container("watchtower").state is ContainerState.RUNNING
