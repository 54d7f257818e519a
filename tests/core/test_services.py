"""Services on the in-memory swarm: planned, selected and rolled out like containers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.errors import EngineError, RegistryError
from watchtower.events import Event, RolledBack, Updated
from watchtower.model import Rollout, RolloutState
from watchtower.plans import Action, Status
from watchtower.report import Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry, MemorySwarm

WEB = "example.org/web:1"
API = "example.org/api:1"


@pytest.fixture
def swarm(registry: MemoryRegistry, engine: MemoryEngine) -> MemorySwarm:
    return MemorySwarm(registry, engine)


def test_a_stale_service_is_pointed_at_its_tag_at_the_new_digest(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    old = swarm.create("web", WEB, replicas=2)
    registry.publish(WEB)
    new_digest, _ = registry.served(WEB)

    report = update(engine, registry, services=swarm)

    entry = report.get("web")
    assert entry is not None
    assert (entry.kind, entry.outcome, entry.replicas) == ("service", Outcome.UPDATED, 2)
    assert (entry.old_image_id, entry.new_image_id) == (old.image.digest, new_digest)
    assert swarm.updates == [("web", f"example.org/web:1@{new_digest}")]
    assert swarm.service("web").image.digest == new_digest
    # Its tasks are swarm's: never listed, pulled or replaced as containers.
    assert [e.name for e in report] == ["web"]
    assert engine.count("pull") == engine.count("create") == 0


def test_a_fresh_service_is_left_alone(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB)
    assert update(engine, registry, services=swarm).get("web").outcome is Outcome.FRESH
    assert swarm.updates == []


def test_the_plan_has_one_entry_per_service_with_its_replicas(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    registry.publish(API)
    swarm.create("web", WEB, replicas=3)
    swarm.create("api", API, replicas=None)
    registry.publish(WEB)

    the_plan = plan(engine, registry, services=swarm)

    assert [(s.name, s.status, s.action) for s in the_plan.services] == [
        ("web", Status.STALE, Action.UPDATE),
        ("api", Status.FRESH, Action.NONE),
    ]
    assert the_plan.entries == ()
    text = the_plan.describe()
    assert "web  update   example.org/web:1  (service, 3 replicas)" in text
    assert "(service, global)" in text
    as_json = the_plan.to_dict()["services"]
    assert [(s["name"], s["replicas"], s["action"]) for s in as_json] == [
        ("web", 3, "update"),
        ("api", None, "none"),
    ]
    assert swarm.updates == []


def test_one_digest_request_per_tag_for_services_and_containers(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("web-a", WEB)
    swarm.create("web-b", WEB)
    engine.run("plain", WEB)
    update(engine, registry, services=swarm)
    assert registry.digest_requests == 1


@pytest.mark.parametrize(
    ("labels", "params", "outcome", "reason"),
    [
        ({L.MONITOR_ONLY: "true"}, UpdateParams(), Outcome.STALE, "monitor only"),
        ({}, UpdateParams(monitor_only=True), Outcome.STALE, "monitor only"),
        ({L.NO_PULL: "true"}, UpdateParams(), Outcome.SKIPPED, "no-pull"),
    ],
)
def test_labels_and_flags_hold_a_stale_service_back(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    swarm: MemorySwarm,
    labels: dict[str, str],
    params: UpdateParams,
    outcome: Outcome,
    reason: str,
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB, labels=labels)
    registry.publish(WEB)
    entry = update(engine, registry, params, services=swarm).get("web")
    assert entry.outcome is outcome
    assert reason in entry.reason
    assert swarm.updates == []


def test_selection_by_enable_label_and_scope(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("on", WEB, labels={L.ENABLE: "true", L.SCOPE: "blue"})
    swarm.create("off", WEB, labels={L.ENABLE: "false", L.SCOPE: "blue"})
    swarm.create("other", WEB, labels={L.ENABLE: "true", L.SCOPE: "green"})
    swarm.create("unlabelled", WEB, labels={L.SCOPE: "blue"})
    params = UpdateParams(label_enable=True, scope="blue")
    report = update(engine, registry, params, services=swarm)
    assert [e.name for e in report] == ["on"]


def test_the_cooldown_waits_for_a_young_digest(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm, clock: FixedClock
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB, labels={L.COOLDOWN_DELAY: "1h"})
    registry.publish(WEB)
    entry = update(engine, registry, services=swarm, clock=clock).get("web")
    assert entry.outcome is Outcome.SKIPPED and "cooldown" in entry.reason
    clock.advance(timedelta(hours=2))
    assert update(engine, registry, services=swarm, clock=clock).get("web").outcome is (
        Outcome.UPDATED
    )


def test_a_service_pinned_to_a_digest_is_never_updated(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish(WEB)
    digest, _ = registry.served(WEB)
    swarm = MemorySwarm(registry)
    swarm.create("pinned", f"example.org/web@{digest}")
    entry = update(engine, registry, services=swarm).get("pinned")
    assert entry.outcome is Outcome.SKIPPED and "pinned" in entry.reason


def test_a_registry_failure_skips_the_service_without_an_update(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB)
    registry.publish(WEB)
    registry.fail(WEB, RegistryError("the registry is down"))
    entry = update(engine, registry, services=swarm).get("web")
    assert entry.outcome is Outcome.SKIPPED and "the registry is down" in entry.reason
    assert swarm.updates == []


def test_a_dry_run_updates_no_service(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB)
    registry.publish(WEB)
    report = update(engine, registry, services=swarm, dry_run=True)
    assert report.get("web").outcome is Outcome.STALE
    assert swarm.updates == []


def test_a_rollback_by_the_engine_is_a_failure_that_rolled_back(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    old = swarm.create("web", WEB)
    registry.publish(WEB)
    swarm.rollouts["web"] = Rollout(RolloutState.ROLLED_BACK, "task exited with code 1")
    events: list[Event] = []

    entry = update(engine, registry, services=swarm, observer=events.append).get("web")

    assert (entry.outcome, entry.rolled_back) == (Outcome.FAILED, True)
    assert "rolled the service back: task exited with code 1" in entry.reason
    assert swarm.service("web").image == old.image
    assert [type(e) for e in events if isinstance(e, (RolledBack, Updated))] == [RolledBack]


@pytest.mark.parametrize(
    ("state", "words"),
    [(RolloutState.FAILED, "stopped half done"), (RolloutState.TIMED_OUT, "stopped waiting")],
)
def test_a_rollout_that_does_not_end_well_is_a_failure(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    swarm: MemorySwarm,
    state: RolloutState,
    words: str,
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB)
    registry.publish(WEB)
    swarm.rollouts["web"] = Rollout(state, "paused")
    entry = update(engine, registry, services=swarm).get("web")
    assert (entry.outcome, entry.rolled_back) == (Outcome.FAILED, False)
    assert words in entry.reason


def test_an_update_the_engine_refuses_fails_that_service_only(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    registry.publish(API)
    swarm.create("web", WEB)
    swarm.create("api", API)
    registry.publish(WEB)
    registry.publish(API)

    class Refusing(MemorySwarm):
        def update_service(self, service, image):  # type: ignore[no-untyped-def]
            if service.name == "web":
                raise EngineError("update out of sequence")
            return super().update_service(service, image)

    refusing = Refusing(registry)
    refusing._services = swarm._services
    report = update(engine, registry, services=refusing)
    assert report.get("web").outcome is Outcome.FAILED
    assert "update out of sequence" in report.get("web").reason
    assert report.get("api").outcome is Outcome.UPDATED


def test_task_containers_are_never_replaced_as_containers(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB, replicas=2)
    engine.run("plain", WEB)
    registry.publish(WEB)
    report = update(engine, registry)  # no services given: still not touched
    assert [e.name for e in report] == ["plain"]
    assert {c.name for c in engine.containers()} >= {"web.1", "web.2"}
    assert all("web" not in subject for step, subject in engine.calls if step == "create")


def test_cleanup_and_hooks_leave_services_to_their_engine(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    swarm.create("web", WEB)
    registry.publish(WEB)
    params = UpdateParams(cleanup=True, lifecycle_hooks=True)
    report = update(engine, registry, params, services=swarm)
    assert report.get("web").outcome is Outcome.UPDATED
    assert report.removed_images == ()
    assert engine.count("remove_image") == engine.count("hook") == 0


def test_execute_without_a_service_client_reports_the_services_as_planned(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    from watchtower import execute

    registry.publish(WEB)
    swarm.create("web", WEB)
    registry.publish(WEB)
    the_plan = plan(engine, registry, services=swarm)
    assert execute(the_plan, engine).get("web").outcome is Outcome.STALE
    assert execute(the_plan, engine, services=swarm).get("web").outcome is Outcome.UPDATED


def test_services_that_cannot_be_listed_fail_the_run_before_any_change(
    engine: MemoryEngine, registry: MemoryRegistry, swarm: MemorySwarm
) -> None:
    registry.publish(WEB)
    engine.run("plain", WEB)
    registry.publish(WEB)
    swarm.unavailable = "This node is not a swarm manager."
    with pytest.raises(EngineError, match="not a swarm manager"):
        update(engine, registry, services=swarm)
    assert engine.count("pull") == engine.count("create") == 0
