"""--no-restart as the fork: the container is recreated on the new image and not started."""

from __future__ import annotations

from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.model import ContainerState
from watchtower.report import Outcome
from watchtower.testing import MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
NO_RESTART = UpdateParams(no_restart=True, lifecycle_hooks=True)


def test_the_replacement_is_created_and_not_started(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB, labels={L.POST_UPDATE: "warm-up"})
    registry.publish(WEB)
    entry = update(engine, registry, NO_RESTART).get("web")
    assert entry.outcome is Outcome.UPDATED
    assert entry.reason.startswith("no-restart: recreated, not started")
    new = engine.container("web")
    assert new.id != old.id and new.image_id != old.image_id
    assert new.state is ContainerState.CREATED
    assert engine.count("start") == 0
    assert engine.hook_users == []  # no post-update hook in a container that does not run


def test_a_watchtower_instance_still_starts(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.publish(WEB)
    engine.run("watchtower", WEB, labels={L.WATCHTOWER: "true"})
    registry.publish(WEB)
    update(engine, registry, UpdateParams(no_restart=True))
    assert any(c.state.is_running for c in engine.list_containers(include_stopped=True))
