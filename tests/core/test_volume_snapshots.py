"""Protected volumes: snapshotted once the old container stops, restored on a rollback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.events import Event, Failed
from watchtower.history import MemoryHistory
from watchtower.model import ContainerState
from watchtower.report import Outcome
from watchtower.settings import ContainerSettings
from watchtower.testing import MemoryEngine, MemoryRegistry, Misbehaviour

WEB = "example.org/web:1"
PROTECTED = {L.SNAPSHOT_VOLUMES: "data", L.PROBE_HTTP: "http://:8080/health"}
BEFORE = {"db/state": b"v1 rows\x00\xff", "config": b"mode=1"}
REWRITTEN = {"db/state": b"v2 rows, another format", "new": b"only v2 knows"}


def stale(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    name: str = "web",
    labels: dict[str, str] | None = None,
    volume: str = "data",
) -> str:
    """A running container with its named volume filled, whose image has a newer push."""
    registry.publish(WEB)
    old = engine.run(
        name,
        WEB,
        labels=PROTECTED if labels is None else labels,
        volumes={volume: "/var/lib/app"},
    )
    engine.volumes[volume].update(BEFORE)
    engine.writes_on_start[name] = {volume: REWRITTEN}
    registry.publish(WEB)
    return old.id


def test_a_replacement_that_rewrites_its_volume_and_fails_leaves_it_as_before(
    engine, registry
) -> None:
    old_id = stale(engine, registry)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.FAILED and entry.rolled_back
    assert engine.volumes["data"] == BEFORE
    web = engine.container("web")
    assert web.id == old_id and web.state is ContainerState.RUNNING
    # Restored before the old container started again.
    steps = [step for step, _ in engine.calls]
    assert steps.index("restore") < len(steps) - 1 - steps[::-1].index("start")
    assert steps[steps.index("restore") + 1 :].count("start") == 1


def test_a_replacement_that_passes_keeps_its_data_and_the_snapshot(engine, registry) -> None:
    stale(engine, registry)
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.UPDATED
    assert engine.volumes["data"] == {**BEFORE, **REWRITTEN}
    [(name, files)] = engine.snapshots["data"]
    assert name.startswith("watchtower-snapshot-data-") and files == BEFORE
    steps = [step for step, _ in engine.calls]
    assert steps.index("stop") < steps.index("snapshot") < steps.index("create")


def test_only_the_newest_snapshots_are_kept(engine, registry) -> None:
    stale(engine, registry)
    for _ in range(3):
        update(engine, registry, UpdateParams(snapshot_keep=2))
        registry.publish(WEB)
    assert len(engine.snapshots["data"]) == 2


def test_a_snapshot_that_fails_stops_that_update_alone(engine, registry) -> None:
    old_id = stale(engine, registry)
    stale(engine, registry, "other", volume="other-data")
    engine.fail("snapshot", "web", error=RuntimeError("no space left on device"))
    events: list[Event] = []
    report = update(engine, registry, observer=events.append)
    web = report.get("web")
    assert web.outcome is Outcome.FAILED
    assert web.reason.startswith(
        "not updated: the snapshot of volume data failed: no space left on device;"
    )
    assert engine.container("web").id == old_id
    assert engine.container("web").state is ContainerState.RUNNING
    assert engine.count("create") == 1  # only the other one's
    assert report.get("other").outcome is Outcome.UPDATED
    assert [(e.container, e.step) for e in events if isinstance(e, Failed)] == [("web", "snapshot")]


def test_an_engine_that_cannot_snapshot_updates_no_protected_container(registry) -> None:
    class Plain(MemoryEngine):
        snapshot_volume = None  # type: ignore[assignment]

    engine = Plain(registry)
    old_id = stale(engine, registry)
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.FAILED
    assert "this engine's client cannot snapshot volumes" in entry.reason
    assert engine.container("web").id == old_id


@pytest.mark.parametrize(
    ("label", "volumes", "problem"),
    [
        ("data", ("data",), ""),
        (" data , logs,data", ("data", "logs"), ""),
        ("data,missing", ("data",), "'missing', a named volume the container does not mount"),
        ("/etc", (), "'etc', a named volume the container does not mount"),
        ("", (), ""),
    ],
)
def test_the_label_names_only_mounted_named_volumes(
    engine, label: str, volumes: tuple[str, ...], problem: str
) -> None:
    engine.build(WEB)
    container = engine.run(
        "web",
        WEB,
        labels={L.SNAPSHOT_VOLUMES: label},
        volumes={"data": "/data", "logs": "/logs"},
    )
    settings_ = ContainerSettings.read(container, UpdateParams())
    assert settings_.snapshot_volumes == volumes
    if problem:
        [text] = settings_.problems
        assert problem in text and L.SNAPSHOT_VOLUMES in text
    else:
        assert settings_.problems == ()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    step=st.sampled_from(["create", "start", "health", "verify", "remove", None]),
    probe_fails=st.booleans(),
    content=st.dictionaries(st.text(min_size=1, max_size=5), st.binary(max_size=8), max_size=4),
    rewrite=st.dictionaries(st.text(min_size=1, max_size=5), st.binary(max_size=8), max_size=4),
)
def test_after_any_failing_replacement_every_protected_volume_is_as_before(
    step: str | None, probe_fails: bool, content: dict[str, bytes], rewrite: dict[str, bytes]
) -> None:
    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB, labels=PROTECTED, volumes={"data": "/a", "logs": "/b"})
    engine.volumes["data"].update(content)
    engine.volumes["logs"].update(content)
    engine.writes_on_start["web"] = {"data": rewrite, "logs": rewrite}
    registry.publish(WEB)
    if step is not None:
        engine.fail(step, "web")
    if probe_fails:
        engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    entry = update(engine, registry).get("web")
    if entry.outcome is Outcome.FAILED and entry.rolled_back:
        assert engine.volumes["data"] == content
    elif entry.outcome is Outcome.UPDATED:
        assert engine.volumes["data"] == {**content, **rewrite}
    if step in ("health", "verify"):  # it ran, then failed
        assert entry.rolled_back and engine.volumes["data"] == content
        # Unprotected: what the failed replacement wrote stays.
        assert engine.volumes["logs"] == {**content, **rewrite}


def test_a_stack_rolled_back_for_another_member_restores_this_ones_volume(engine, registry) -> None:
    """db passed its checks and rewrote its data; web failed: db's data comes back."""
    stack = {L.GROUP: "shop"}
    registry.publish("example.org/db:1")
    engine.run(
        "db",
        "example.org/db:1",
        labels={**stack, L.SNAPSHOT_VOLUMES: "dbdata"},
        volumes={"dbdata": "/var/lib/db"},
    )
    engine.volumes["dbdata"].update(BEFORE)
    engine.writes_on_start["db"] = {"dbdata": REWRITTEN}
    registry.publish("example.org/db:1")
    stale(engine, registry, "web", labels={**stack, L.PROBE_HTTP: "http://:80/"}, volume="webdata")
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    report = update(engine, registry)
    db = report.get("db")
    assert db.outcome is Outcome.FAILED and db.rolled_back
    assert db.reason.startswith("rolled back with its stack: web failed:")
    assert engine.volumes["dbdata"] == BEFORE
    # web's volume was not protected: what its failed replacement wrote stays.
    assert engine.volumes["webdata"] == {**BEFORE, **REWRITTEN}


def test_a_restore_that_fails_is_reported_and_the_old_container_still_runs(
    engine, registry
) -> None:
    old_id = stale(engine, registry)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    engine.fail("restore", "web", error=RuntimeError("disk gone"))
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.FAILED
    head, _, tail = entry.reason.partition("; volume data could not be restored from ")
    assert head.endswith("answered 503; the old container runs again")
    assert tail.startswith("watchtower-snapshot-data-") and tail.endswith(": disk gone")
    web = engine.container("web")
    assert web.id == old_id and web.state is ContainerState.RUNNING


def test_the_snapshots_a_run_took_are_listed_in_its_history_and_pruned_as_the_engine_prunes(
    engine, registry
) -> None:
    history = MemoryHistory()
    stale(engine, registry)
    params = UpdateParams(snapshot_keep=1)
    first = update(engine, registry, params, history=history).get("web")
    assert first.outcome is Outcome.UPDATED
    ((volume, name),) = [(s.volume, s.name) for s in first.snapshots]
    (listed,) = history.snapshots()
    (change,) = history.changes()
    assert (listed.volume, listed.name, listed.container, listed.change) == (
        volume,
        name,
        "web",
        change.id,
    )
    registry.publish(WEB)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    failed = update(engine, registry, params, history=history).get("web")
    assert failed.outcome is Outcome.FAILED and failed.rolled_back
    (newest,) = history.snapshots()
    assert newest.name == failed.snapshots[0].name != name
    assert [taken for taken, _ in engine.snapshots["data"]] == [
        newest.name
    ]  # the engine kept one too
    assert [s.available for s in history.snapshots(removed=True)] == [True, False]
