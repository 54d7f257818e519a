"""Property: a run killed at any engine call leaves nothing that the next run does not repair."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.events import Event, RolledBack
from watchtower.model import ContainerState
from watchtower.testing import FixedClock, Killed, MemoryEngine, MemoryRegistry

FAILING_STEPS = ["pull", "stop", "rename", "create", "start", "health", "remove", "hook"]
IMAGES = ["example.org/a:1", "example.org/b:1", "example.org/c:1"]
STALE = IMAGES[:2]


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, Any]:
    """Containers with dependencies, states and health checks, failures, and parameters."""
    containers = []
    for n in range(draw(st.integers(1, 5))):
        earlier = [f"c{m}" for m in range(n)]
        containers.append(
            {
                "name": f"c{n}",
                "image": draw(st.sampled_from(IMAGES)),
                "running": draw(st.booleans()),
                "deps": draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True))
                if earlier
                else [],
                "healthcheck": draw(st.booleans()),
                "unhealthy": draw(st.integers(0, 4)) == 0,
            }
        )
    names = [c["name"] for c in containers]
    failures = draw(
        st.lists(st.tuples(st.sampled_from(FAILING_STEPS), st.sampled_from(names)), max_size=2)
    )
    params = UpdateParams(
        include_stopped=draw(st.booleans()),
        rolling_restart=draw(st.booleans()),
        update_concurrency=draw(st.sampled_from([1, 3])),
        lifecycle_hooks=True,
    )
    # Sometimes the run that repairs is killed too, early: while it repairs.
    second_kill = draw(st.one_of(st.none(), st.integers(1, 8)))
    return {"containers": containers, "failures": failures, "params": params, "kill": second_kill}


def build(fleet: dict[str, Any]) -> tuple[MemoryEngine, MemoryRegistry]:
    """The fleet on v1 of its images while the registry serves v2 of two of them."""
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    for image in IMAGES:
        registry.publish(image)
    for spec in fleet["containers"]:
        engine.run(
            spec["name"],
            spec["image"],
            state=ContainerState.RUNNING if spec["running"] else ContainerState.EXITED,
            labels={L.DEPENDS_ON: ",".join(spec["deps"]), L.PRE_UPDATE: "true"},
            healthcheck=spec["healthcheck"],
        )
        if spec["unhealthy"]:
            engine.unhealthy.add(spec["name"])
    for image in STALE:
        registry.publish(image)
    images = {spec["name"]: spec["image"] for spec in fleet["containers"]}
    for step, name in fleet["failures"]:
        if step == "pull":
            engine.fail(step, image=images[name])
        else:
            engine.fail(step, name)
        engine.hook_exit_codes[name, "true"] = 1 if step == "hook" else 0
    return engine, registry


def killed_run(
    engine: MemoryEngine, registry: MemoryRegistry, params: UpdateParams, at: int
) -> set[str]:
    """Run until killed at call ``at``; the containers a failed start left stopped, as it said."""
    events: list[Event] = []
    engine.kill_at(at)
    with contextlib.suppress(Killed):
        update(engine, registry, params, observer=events.append)
    engine.kill_at(None)
    return {
        e.container
        for e in events
        if isinstance(e, RolledBack) and "could not be started again" in e.reason
    }


@settings(max_examples=60, deadline=None)
@given(fleets())
def test_a_run_killed_at_any_engine_call_is_repaired_by_the_next(fleet) -> None:
    params: UpdateParams = fleet["params"]
    engine, registry = build(fleet)
    update(engine, registry, params)
    calls = len(engine.calls)
    new_ids = {ref: registry.served(ref)[1] for ref in IMAGES}

    for at in range(1, calls + 1):
        engine, registry = build(fleet)
        before = {c.name: c for c in engine.containers()}
        left_stopped = killed_run(engine, registry, params, at)
        engine.clear_failures()
        engine.hook_exit_codes.clear()
        if fleet["kill"] is not None:
            killed_run(engine, registry, params, fleet["kill"])
        report = update(engine, registry, params)

        after = {c.name: c for c in engine.containers()}
        assert set(after) == set(before), f"killed at call {at}: {sorted(after)}"
        for name, old in before.items():
            now, where = after[name], f"{name}, killed at call {at} ({report.repaired})"
            assert now.image_id in (old.image_id, new_ids[str(old.image)]), where
            if name in left_stopped:
                continue  # an injected start failure hit the rollback, which said so
            assert now.state.is_running == old.state.is_running, where
            spec = next(s for s in fleet["containers"] if s["name"] == name)
            updated = (old.state.is_running or params.include_stopped) and not spec["unhealthy"]
            if updated and str(old.image) in STALE:
                assert now.image_id == new_ids[str(old.image)], where


def _renamed_aside_then_killed() -> tuple[MemoryEngine, MemoryRegistry]:
    """An engine where a run died with web renamed aside and no replacement under its name."""
    for call in range(1, 40):
        registry = MemoryRegistry()
        engine = MemoryEngine(registry)
        registry.publish("example.org/web:1")
        engine.run("web", "example.org/web:1")
        registry.publish("example.org/web:1")
        engine.kill_at(call)
        with contextlib.suppress(Killed):
            update(engine, registry, UpdateParams())
        engine.kill_at(None)
        if "web" not in engine.names():
            return engine, registry
    raise AssertionError("no call of the run left web renamed aside")


def test_a_plan_after_an_interrupted_run_says_a_repair_is_pending() -> None:
    engine, registry = _renamed_aside_then_killed()
    creates = engine.count("create")
    pending = plan(engine, registry, pull=False)
    assert pending.pending_repairs == ("web",)
    assert pending.to_dict()["pending_repairs"] == ["web"]
    assert pending.describe().endswith(
        "Repair pending: a run was interrupted while replacing web; "
        "the next update repairs it first."
    )
    assert engine.count("create") == creates and "web" not in engine.names()  # changed nothing
    update(engine, registry, UpdateParams())
    assert "web" in engine.names()
    assert plan(engine, registry, pull=False).pending_repairs == ()
