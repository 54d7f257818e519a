"""The orchestrator on the in-memory backends: staleness, order, transactions, reports."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from watchtower import UpdateParams, execute, plan, update
from watchtower import labels as L
from watchtower.errors import ConfigurationError, RegistryError
from watchtower.events import Event, Failed, RolledBack, Started, Stopped, Updated
from watchtower.model import ContainerState, HookResult
from watchtower.plans import Action, Status
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
DB = "example.org/db:1"


def assert_nothing_lost(engine: MemoryEngine, before: dict[str, bool]) -> None:
    """Every container that existed runs again under its name, and nothing is left aside."""
    names = engine.names()
    for name, was_running in before.items():
        assert name in names, f"{name} was lost"
        assert engine.container(name).state.is_running == was_running, name
    assert not [n for n in names if "-watchtower-old-" in n], names


def running(engine: MemoryEngine) -> dict[str, bool]:
    return {c.name: c.state.is_running for c in engine.containers()}


# Staleness ---------------------------------------------------------------


def test_fresh_container_is_left_alone_without_a_pull(engine, registry) -> None:
    registry.publish(WEB)
    before = engine.run("web", WEB)
    report = update(engine, registry)
    assert [e.outcome for e in report] == [Outcome.FRESH]
    assert engine.count("pull") == 0
    assert engine.count("create") == 0
    assert engine.container("web").id == before.id


def test_stale_container_is_replaced_under_its_name(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB, labels={"keep": "me"})
    registry.publish(WEB)
    _, new_image_id = registry.served(WEB)

    report = update(engine, registry)

    entry = report.get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED
    new = engine.container("web")
    assert new.id != old.id and new.id == entry.new_id
    assert new.image_id == new_image_id == entry.new_image_id
    assert entry.old_image_id == old.image_id
    assert new.state is ContainerState.RUNNING
    assert new.labels == {"keep": "me"}
    assert engine.names() == {"web"}


def test_one_digest_request_and_one_pull_per_distinct_image(engine, registry) -> None:
    for ref in (WEB, DB):
        registry.publish(ref)
    for n in range(5):
        engine.run(f"web{n}", WEB)
        engine.run(f"db{n}", DB)
    registry.publish(WEB)

    report = update(engine, registry)

    assert registry.digest_requests == 2
    assert engine.count("pull") == 1
    assert len(report.updated) == 5 and len(report.fresh) == 5


def test_pinned_reference_is_never_updated(engine, registry) -> None:
    ref = registry.publish(WEB)
    digest, _ = registry.served(WEB)
    engine.add_image(f"{WEB}@{digest}", engine.add_image(ref))
    engine.run("pinned", f"{WEB}@{digest}")
    registry.publish(WEB)
    report = update(engine, registry)
    assert report.get("pinned").outcome is Outcome.SKIPPED
    assert "pinned" in report.get("pinned").reason
    assert registry.digest_requests == 0 and engine.count("pull") == 0


def test_local_build_is_compared_locally_and_never_pulled(engine, registry) -> None:
    engine.build("local/app:dev", version=1)
    engine.run("app", "local/app:dev")
    assert update(engine, registry).get("app").outcome is Outcome.FRESH

    rebuilt = engine.build("local/app:dev", version=2)
    report = update(engine, registry)
    assert report.get("app").outcome is Outcome.UPDATED
    assert engine.container("app").image_id == rebuilt.id
    assert registry.digest_requests == 0 and engine.count("pull") == 0


@pytest.mark.parametrize(
    ("flag", "label", "precedence", "pulls"),
    [
        (False, None, False, 1),
        (True, None, False, 0),
        (False, "true", False, 0),
        (True, "false", False, 0),  # without precedence either one enables
        (True, "false", True, 1),  # with precedence the label decides
        (False, "true", True, 0),
    ],
)
def test_no_pull_flag_and_label(engine, registry, flag, label, precedence, pulls) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.NO_PULL: label} if label else {})
    registry.publish(WEB)
    params = UpdateParams(no_pull=flag, label_precedence=precedence)
    report = update(engine, registry, params)
    assert engine.count("pull") == pulls
    assert report.get("web").outcome is (Outcome.UPDATED if pulls else Outcome.FRESH)


def test_registry_failure_falls_back_to_a_pull(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    registry.fail(WEB, RegistryError("HEAD answered 500"))
    report = update(engine, registry)
    assert engine.count("pull") == 1
    assert report.get("web").outcome is Outcome.UPDATED
    assert "registry check failed" in report.get("web").reason


def test_rate_limited_registry_skips_without_pulling(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    registry.rate_limit(WEB)
    report = update(engine, registry)
    entry = report.get("web")
    assert entry.outcome is Outcome.SKIPPED and "rate limiting" in entry.reason
    assert engine.count("pull") == 0 and engine.count("create") == 0


def test_failed_pull_skips_the_container(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("pull")
    report = update(engine, registry)
    assert report.get("web").outcome is Outcome.SKIPPED
    assert "simulated pull failure" in report.get("web").reason
    assert engine.container("web").id == old.id


def test_cooldown_waits_for_young_images(engine, registry, clock) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)  # published "now"
    params = UpdateParams(cooldown=timedelta(hours=1))
    report = update(engine, registry, params, clock=clock)
    assert report.get("web").outcome is Outcome.SKIPPED
    assert "cooldown of 1h" in report.get("web").reason
    assert engine.count("pull") == 0

    clock.advance(timedelta(hours=2))
    assert update(engine, registry, params, clock=clock).get("web").outcome is Outcome.UPDATED


def test_cooldown_label_overrides_the_parameter(engine, registry, clock) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.COOLDOWN_DELAY: "0s"})
    registry.publish(WEB)
    params = UpdateParams(cooldown=timedelta(hours=1))
    assert update(engine, registry, params, clock=clock).get("web").outcome is Outcome.UPDATED


def test_bad_label_is_ignored_with_a_sentence_naming_it(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.MONITOR_ONLY: "maybe"})
    registry.publish(WEB)
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.UPDATED  # the flag's value (false) decides
    assert entry.warnings == (
        f"Container 'web' has label {L.MONITOR_ONLY}='maybe', which is not true or false; "
        "the flag's value (false) is used instead.",
    )


# Monitor-only, no-restart, dry run -----------------------------------------


def test_stale_but_untouched(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    report = update(engine, registry, UpdateParams(monitor_only=True))
    assert report.get("web").outcome is Outcome.STALE
    assert engine.container("web").id == old.id
    assert engine.count("stop") == 0 and engine.count("create") == 0


def test_monitor_only_label(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("watched", WEB, labels={L.MONITOR_ONLY: "true"})
    engine.run("updated", WEB)
    registry.publish(WEB)
    report = update(engine, registry)
    assert report.get("watched").outcome is Outcome.STALE
    assert report.get("updated").outcome is Outcome.UPDATED


def test_dry_run_and_monitor_only_plan_the_same_without_actions(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    full = plan(engine, registry)
    monitor = plan(engine, registry, UpdateParams(monitor_only=True))
    assert [e.action for e in full] == [Action.UPDATE]
    assert [e.action for e in monitor] == [Action.NONE]
    assert [(e.name, e.status) for e in full] == [(e.name, e.status) for e in monitor]

    report = update(engine, registry, dry_run=True)
    assert report.dry_run and report.get("web").outcome is Outcome.STALE
    assert engine.count("create") == 0


def test_plan_is_readable_and_serialises(engine, registry) -> None:
    registry.publish(WEB)
    registry.publish(DB)
    engine.run("db", DB)
    engine.run("web", WEB, links=["db"])
    registry.publish(DB)
    the_plan = plan(engine, registry)
    data = json.loads(the_plan.to_json())
    assert [(e["name"], e["action"]) for e in data["entries"]] == [
        ("db", "update"),
        ("web", "restart"),
    ]
    assert data["units"] == [["db", "web"]]
    text = the_plan.describe()
    assert "db" in text and "update" in text and "restart" in text
    assert "Unit 1: stop web, db; start db, web" in text


# Order and units -----------------------------------------------------------


def test_dependants_restart_after_their_supplier_in_order(engine, registry) -> None:
    registry.publish(DB)
    registry.publish(WEB)
    engine.run("db", DB)
    engine.run("web", WEB, network_mode="container:db")
    engine.run("proxy", WEB, labels={L.DEPENDS_ON: "web"})
    registry.publish(DB)

    report = update(engine, registry)

    assert report.get("db").outcome is Outcome.UPDATED
    assert report.get("web").outcome is Outcome.RESTARTED
    assert report.get("proxy").outcome is Outcome.RESTARTED
    stops = [name for name, _, _ in engine.stops]
    assert stops == ["proxy", "web", "db"]
    starts = [subject for step, subject in engine.calls if step == "start"]
    assert starts == ["db", "web", "proxy"]


def test_independent_containers_are_separate_units(engine, registry, clock) -> None:
    registry.publish(WEB)
    for name in ("a", "b", "c"):
        engine.run(name, WEB)
    registry.publish(WEB)
    events: list[Event] = []
    update(engine, registry, observer=events.append)
    sequence = [(type(e).__name__, e.container) for e in events if isinstance(e, Stopped | Started)]
    # Each container is down only for its own stop and start; the units run in
    # parallel, so their order is open.
    pairs = [tuple(sequence[i : i + 2]) for i in range(0, len(sequence), 2)]
    assert sorted(pairs) == [
        (("Stopped", name), ("Started", name)) for name in ("a", "b", "c")
    ]  # fmt: skip


def test_cycle_is_skipped_naming_it_and_the_rest_proceed(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("a", WEB, labels={L.DEPENDS_ON: "b"})
    engine.run("b", WEB, labels={L.DEPENDS_ON: "a"})
    engine.run("c", WEB)
    registry.publish(WEB)
    report = update(engine, registry)
    for name in ("a", "b"):
        assert report.get(name).outcome is Outcome.SKIPPED
        assert report.get(name).reason == "it is on a dependency cycle: a, b"
    assert report.get("c").outcome is Outcome.UPDATED


def test_monitor_only_dependant_is_not_restarted(engine, registry) -> None:
    registry.publish(DB)
    registry.publish(WEB)
    engine.run("db", DB)
    engine.run("web", WEB, links=["db"], labels={L.MONITOR_ONLY: "true"})
    registry.publish(DB)
    report = update(engine, registry)
    assert report.get("web").outcome is Outcome.FRESH
    assert report.get("db").outcome is Outcome.UPDATED


def test_concurrent_units_give_the_same_report(registry) -> None:
    def run(concurrency: int) -> list[tuple[str, Outcome]]:
        reg = MemoryRegistry(FixedClock())
        engine = MemoryEngine(reg)
        reg.publish(WEB)
        for n in range(12):
            engine.run(f"c{n:02}", WEB)
        reg.publish(WEB)
        report = update(engine, reg, UpdateParams(update_concurrency=concurrency))
        assert_nothing_lost(engine, {f"c{n:02}": True for n in range(12)})
        return [(e.name, e.outcome) for e in report]

    assert run(1) == run(4)


# Transactions ----------------------------------------------------------------


@pytest.mark.parametrize("step", ["stop", "create", "start", "health"])
def test_failed_replacement_is_rolled_back(engine, registry, step) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    engine.run("other", WEB)
    registry.publish(WEB)
    engine.fail(step, "web")
    events: list[Event] = []

    report = update(engine, registry, observer=events.append)

    entry = report.get("web")
    assert entry.outcome is Outcome.FAILED
    assert entry.rolled_back
    assert "the old container runs again" in entry.reason
    now = engine.container("web")
    assert now.id == old.id and now.state is ContainerState.RUNNING
    assert report.get("other").outcome is Outcome.UPDATED
    assert_nothing_lost(engine, {"web": True, "other": True})
    assert any(isinstance(e, Failed) and e.step == step for e in events)
    assert any(isinstance(e, RolledBack) and e.container == "web" for e in events)


def test_unhealthy_replacement_is_removed(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB, healthcheck=True)
    registry.publish(WEB)
    engine.unhealthy.add("web")
    report = update(engine, registry, UpdateParams(health_timeout=timedelta(seconds=5)))
    assert "not healthy within 5s" in report.get("web").reason
    assert [c.id for c in engine.containers()] == [old.id]


def test_failed_rename_leaves_the_container_alone(engine, registry) -> None:
    """The rename aside is the first change: when it fails, nothing was changed."""
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("rename", "web")
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.FAILED and "could not be renamed" in entry.reason
    assert engine.container("web").id == old.id
    assert engine.count("stop") == 0 and engine.count("create") == 0


def test_old_container_that_cannot_be_removed_is_reported(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("remove", "web")  # the old one, renamed aside, is still web's
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.UPDATED
    assert f"the old container is left as web-watchtower-old-{old.short_id}" in entry.reason


def test_rollback_that_fails_says_so(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    engine.fail("create", "web")
    # Its name while aside singles out the rename back, not the rename aside.
    engine.fail("rename", "web-watchtower-old-" + engine.container("web").short_id)
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.FAILED and not entry.rolled_back
    assert "could not get its name back" in entry.reason


def test_anonymous_volume_data_survives(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    engine.write("web", "/data/state", "precious")
    registry.publish(WEB)
    update(engine, registry)
    assert engine.read("web", "/data/state") == "precious"


def test_stop_signal_and_timeout_resolution(engine, registry) -> None:
    registry.publish(WEB)
    engine.run(
        "label",
        WEB,
        labels={L.STOP_SIGNAL: "SIGQUIT", L.STOP_TIMEOUT: "30s"},
        stop_signal="SIGINT",
        stop_timeout=timedelta(seconds=5),
    )
    engine.run("config", WEB, stop_signal="SIGINT", stop_timeout=timedelta(seconds=5))
    engine.run("default", WEB)
    registry.publish(WEB)
    update(engine, registry, UpdateParams(stop_timeout=timedelta(seconds=3)))
    assert sorted(engine.stops) == [
        ("config", "SIGINT", timedelta(seconds=5)),
        ("default", "SIGTERM", timedelta(seconds=3)),
        ("label", "SIGQUIT", timedelta(seconds=30)),
    ]


def test_watchtower_itself_is_renamed_not_stopped(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("watchtower", WEB, labels={L.WATCHTOWER: "true"})
    registry.publish(WEB)
    report = update(engine, registry)
    assert report.get("watchtower").outcome is Outcome.UPDATED
    assert engine.stops == []
    aside = f"watchtower-watchtower-old-{old.short_id}"
    assert engine.container(aside).id == old.id  # left for its successor to remove
    assert engine.container(aside).state is ContainerState.RUNNING
    assert engine.container("watchtower").state is ContainerState.RUNNING


@pytest.mark.parametrize(("revive", "state"), [(False, "created"), (True, "running")])
def test_stopped_containers(engine, registry, revive, state) -> None:
    registry.publish(WEB)
    engine.run("idle", WEB, state=ContainerState.EXITED)
    registry.publish(WEB)
    assert update(engine, registry).get("idle") is None  # not in scope by default
    params = UpdateParams(include_stopped=True, revive_stopped=revive)
    assert update(engine, registry, params).get("idle").outcome is Outcome.UPDATED
    assert engine.container("idle").state.value == state


def test_restarting_containers_need_include_restarting(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("flaky", WEB, state=ContainerState.RESTARTING)
    assert update(engine, registry).get("flaky") is None
    assert update(engine, registry, UpdateParams(include_restarting=True)).get("flaky")


# Hooks ------------------------------------------------------------------


def hooked(engine: MemoryEngine, registry: MemoryRegistry, pre_update_exit: int) -> None:
    registry.publish(WEB)
    engine.run(
        "web",
        WEB,
        labels={
            L.PRE_CHECK: "pre-check",
            L.PRE_UPDATE: "pre-update",
            L.POST_UPDATE: "post-update",
            L.POST_CHECK: "post-check",
        },
    )
    registry.publish(WEB)
    engine.hook_exit_codes["web", "pre-update"] = pre_update_exit


def test_hooks_run_in_order(engine, registry) -> None:
    hooked(engine, registry, 0)
    report = update(engine, registry, UpdateParams(lifecycle_hooks=True))
    assert report.get("web").outcome is Outcome.UPDATED
    order = [s for s, _ in engine.calls if s in ("hook", "stop", "create", "start")]
    assert order == ["hook", "hook", "stop", "create", "start", "hook", "hook"]


def test_hooks_do_not_run_without_the_parameter(engine, registry) -> None:
    hooked(engine, registry, 75)
    assert update(engine, registry).get("web").outcome is Outcome.UPDATED
    assert engine.count("hook") == 0


def test_pre_update_exit_75_skips(engine, registry) -> None:
    hooked(engine, registry, 75)
    entry = update(engine, registry, UpdateParams(lifecycle_hooks=True)).get("web")
    assert entry.outcome is Outcome.SKIPPED and "exit code 75" in entry.reason
    assert engine.count("stop") == 0 and engine.count("create") == 0


def test_pre_update_failure_fails_without_touching(engine, registry) -> None:
    hooked(engine, registry, 1)
    entry = update(engine, registry, UpdateParams(lifecycle_hooks=True)).get("web")
    assert entry.outcome is Outcome.FAILED
    assert entry.reason == "the pre-update hook exited with code 1"
    assert engine.count("stop") == 0


# Cleanup ------------------------------------------------------------------


def test_cleanup_removes_only_unused_images(engine, registry) -> None:
    registry.publish(WEB)
    registry.publish(DB)
    engine.run("web", WEB)
    old_db = engine.run("db", DB)
    engine.run("db-pinned", DB, labels={L.ENABLE: "false"})  # out of scope, same old image
    old_web = engine.container("web")
    registry.publish(WEB)
    registry.publish(DB)

    report = update(engine, registry, UpdateParams(cleanup=True))

    assert report.removed_images == (old_web.image_id,)
    assert old_web.image_id not in engine.images()
    assert old_db.image_id in engine.images()


def test_no_cleanup_by_default(engine, registry) -> None:
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    assert update(engine, registry).removed_images == ()
    assert old.image_id in engine.images()


# Events, clock, parameters ---------------------------------------------------------


def test_events_tell_the_story_with_the_clock(engine, registry) -> None:
    clock = FixedClock(step=timedelta(seconds=1))
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    events: list[Event] = []
    update(engine, registry, observer=events.append, clock=clock)
    kinds = [e.kind for e in events]
    assert kinds == [
        "run_started", "checking", "pulling", "pulled", "checked", "update_available", "planned",
        "stopping", "stopped", "started", "updated", "run_finished",
    ]  # fmt: skip
    times = [e.at for e in events]
    assert times == sorted(times) and len(set(times)) == len(times)
    updated = next(e for e in events if isinstance(e, Updated))
    assert updated.new_id == engine.container("web").id
    assert json.dumps([e.to_dict() for e in events])


def test_report_counts_and_json(engine, registry) -> None:
    registry.publish(WEB)
    registry.publish(DB)
    engine.run("web", WEB)
    engine.run("db", DB)
    engine.run("pinned", f"{WEB}@sha256:{'0' * 64}", labels={})
    registry.publish(WEB)
    report = update(engine, registry)
    data = json.loads(report.to_json())
    assert data["counts"] == {
        "scanned": 2, "updated": 1, "restarted": 0, "failed": 0,
        "skipped": 1, "stale": 0, "fresh": 1, "deferred": 0,
    }  # fmt: skip
    assert report.summary().startswith("Scanned 2, updated 1")


def test_execute_carries_out_a_given_plan(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    the_plan = plan(engine, registry)
    assert engine.count("create") == 0
    report = execute(the_plan, engine)
    assert report.get("web").outcome is Outcome.UPDATED


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stop_timeout", timedelta(seconds=-1), "stop_timeout must not be negative"),
        ("update_concurrency", 0, "update_concurrency must be at least 1"),
        ("check_concurrency", 0, "check_concurrency must be at least 1"),
    ],
)
def test_bad_parameters_are_one_sentence(field, value, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        UpdateParams(**{field: value})


def test_malformed_label_filter_fails_before_anything(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    with pytest.raises(ConfigurationError, match="has no '='"):
        update(engine, registry, UpdateParams(enable_labels=("novalue",)))
    assert engine.count("stop") == 0


def test_status_of_skipped_check_in_plan(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.rate_limit(WEB)
    assert plan(engine, registry).entry("web").status is Status.SKIPPED


def test_check_only_plan_pulls_nothing(engine, registry) -> None:
    registry.publish(WEB)
    registry.publish(DB)
    engine.run("web", WEB)
    engine.run("db", DB)
    registry.publish(WEB)
    the_plan = plan(engine, registry, pull=False)
    assert engine.count("pull") == 0
    assert [(e.name, e.status, e.action) for e in the_plan] == [
        ("db", Status.FRESH, Action.NONE),
        ("web", Status.STALE, Action.NONE),
    ]
    assert the_plan.entry("web").reason == "check only"


def test_hook_timeout_fails_the_pre_update(engine, registry) -> None:
    hooked(engine, registry, 0)
    engine.hook_exit_codes["web", "pre-update"] = None  # timed out
    entry = update(engine, registry, UpdateParams(lifecycle_hooks=True)).get("web")
    assert entry.outcome is Outcome.FAILED
    assert entry.reason == "the pre-update hook timed out"


class TimedEngine(MemoryEngine):
    """Records the timeout each hook is given."""

    def __init__(self, registry: MemoryRegistry) -> None:
        super().__init__(registry)
        self.timeouts: dict[str, timedelta] = {}

    def run_hook(self, container_id: str, command: str, timeout: timedelta) -> HookResult:
        self.timeouts[command] = timeout
        return super().run_hook(container_id, command, timeout)


def test_pre_update_timeout_label_is_minutes(registry) -> None:
    engine = TimedEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.PRE_UPDATE: "pre", L.PRE_CHECK: "check",
                                   L.PRE_UPDATE_TIMEOUT: "2"})  # fmt: skip
    registry.publish(WEB)
    update(engine, registry, UpdateParams(lifecycle_hooks=True))
    assert engine.timeouts == {"pre": timedelta(minutes=2), "check": timedelta(minutes=1)}


def test_unexpected_backend_errors_become_registry_errors(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    registry.fail(WEB, OSError("connection reset"))
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.UPDATED  # fell back to a pull
    assert "connection reset" in entry.reason


def test_in_memory_backends_implement_the_protocols(engine, registry) -> None:
    from watchtower.protocols import ContainerClient, Registry

    assert isinstance(engine, ContainerClient)
    assert isinstance(registry, Registry)


def test_checks_run_concurrently_once_per_image(engine, registry) -> None:
    refs = [registry.publish(f"example.org/app{n}:1") for n in range(20)]
    for n, ref in enumerate(refs):
        engine.run(f"c{n}", ref)
        engine.run(f"d{n}", ref)
    report = update(engine, registry, UpdateParams(check_concurrency=8))
    assert len(report.fresh) == 40
    assert registry.digest_requests == 20
    assert all(count == 1 for (method, _), count in registry.requests.items())


def test_a_failing_observer_does_not_break_the_run(engine, registry, caplog) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)

    def broken(event: Event) -> None:
        raise RuntimeError("observer bug")

    report = update(engine, registry, observer=broken)
    assert report.get("web").outcome is Outcome.UPDATED
    assert_nothing_lost(engine, {"web": True})
    # Once, with its traceback, not once for each of the run's events.
    (record,) = [r for r in caplog.records if "The observer failed" in r.getMessage()]
    assert record.getMessage().startswith("The observer failed on run_started;")
    assert record.exc_info is not None


def test_a_clock_of_naive_times_is_one_sentence_before_anything(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    with pytest.raises(ConfigurationError, match=r"^The clock must give timezone-aware times"):
        update(engine, registry, UpdateParams(cooldown=timedelta(days=1)), clock=datetime.now)
    assert engine.count("stop") == 0


@pytest.mark.parametrize(("use_compose", "restarted"), [(True, True), (False, False)])
def test_compose_depends_on_can_be_ignored(engine, registry, use_compose, restarted) -> None:
    registry.publish(DB)
    registry.publish(WEB)
    project = {L.COMPOSE_PROJECT: "shop"}
    engine.run("shop-db-1", DB, labels={**project, L.COMPOSE_SERVICE: "db"})
    engine.run(
        "shop-web-1",
        WEB,
        labels={
            **project,
            L.COMPOSE_SERVICE: "web",
            L.COMPOSE_DEPENDS_ON: "db:service_started:false",
        },
    )
    registry.publish(DB)
    report = update(engine, registry, UpdateParams(use_compose_depends_on=use_compose))
    expected = Outcome.RESTARTED if restarted else Outcome.FRESH
    assert report.get("shop-web-1").outcome is expected


# Notifiers ---------------------------------------------------------------------------


class Inbox:
    """A notifier that keeps what it is given."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    def notify(self, report: Report) -> None:
        self.reports.append(report)


class Broken:
    """A notifier whose delivery always fails."""

    def notify(self, report: Report) -> None:
        raise OSError("connection refused")


def test_every_notifier_gets_the_report_and_a_failing_one_fails_nothing(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    first, last = Inbox(), Inbox()
    events: list[Event] = []
    report = update(engine, registry, notifiers=[first, Broken(), last], observer=events.append)
    assert report.get("web").outcome is Outcome.UPDATED
    assert [r.get("web").outcome for r in first.reports + last.reports] == [Outcome.UPDATED] * 2
    assert report.failed_notifications == 1
    assert report.to_dict()["failed_notifications"] == 1
    failed = [e for e in events if isinstance(e, Failed)]
    assert [(e.step, e.reason) for e in failed] == [
        ("notify", "Broken could not deliver the report: connection refused")
    ]
    assert events[-1].kind == "run_finished"


def test_no_notifier_no_failure(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    assert update(engine, registry, notifiers=[Inbox()]).failed_notifications == 0
