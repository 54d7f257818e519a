"""A replacement's own checks in the transaction: what fails, is rolled back, is reported."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.events import Event, Failed, LabelIgnored, RolledBack
from watchtower.model import ContainerState
from watchtower.report import Outcome
from watchtower.testing import Killed, MemoryEngine, MemoryRegistry, Misbehaviour

WEB = "example.org/web:1"
PROBED = {L.PROBE_HTTP: "http://:8080/health"}


def stale(engine: MemoryEngine, registry: MemoryRegistry, labels: dict[str, str]) -> str:
    """A running ``web`` with ``labels`` whose image has a newer push; its id."""
    registry.publish(WEB)
    old = engine.run("web", WEB, labels=labels)
    registry.publish(WEB)
    return old.id


def rolled_back(engine: MemoryEngine, old_id: str) -> None:
    """The old container runs again under its name, and nothing else is left."""
    assert [c.id for c in engine.containers()] == [old_id]
    web = engine.container("web")
    assert web.id == old_id and web.state is ContainerState.RUNNING


def test_a_replacement_that_fails_its_probe_is_rolled_back(engine, registry) -> None:
    old_id = stale(engine, registry, PROBED)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    events: list[Event] = []
    entry = update(engine, registry, observer=events.append).get("web")
    assert entry.outcome is Outcome.FAILED and entry.rolled_back
    assert entry.reason == (
        "its replacement failed a check: probe http://:8080/health answered 503; "
        "the old container runs again"
    )
    rolled_back(engine, old_id)
    assert [e.step for e in events if isinstance(e, Failed)] == ["verify"]
    assert [e.restored for e in events if isinstance(e, RolledBack)] == [True]


def test_a_replacement_that_exits_within_its_soak_is_rolled_back(engine, registry) -> None:
    old_id = stale(engine, registry, {L.SOAK: "10s"})
    engine.misbehaving["web"] = Misbehaviour(exits_after=timedelta(seconds=5), exit_code=1)
    entry = update(engine, registry).get("web")
    assert entry.reason.startswith(
        "its replacement failed a check: exited with code 1 after 5.0 s within the 10 s soak;"
    )
    rolled_back(engine, old_id)


def test_an_exit_after_the_soak_is_not_the_updates_concern(engine, registry) -> None:
    old_id = stale(engine, registry, {L.SOAK: "10s"})
    engine.misbehaving["web"] = Misbehaviour(exits_after=timedelta(seconds=11))
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.UPDATED
    assert engine.container("web").id != old_id


def test_the_runs_soak_applies_without_a_label_and_a_label_overrides_it(engine, registry) -> None:
    old_id = stale(engine, registry, {})
    engine.misbehaving["web"] = Misbehaviour(restarts_after=timedelta(seconds=2))
    entry = update(engine, registry, UpdateParams(soak=timedelta(seconds=30))).get("web")
    assert "restarted after 2.0 s within the 30 s soak" in entry.reason
    rolled_back(engine, old_id)

    engine.run("other", WEB, labels={L.SOAK: "1s"})
    engine.misbehaving["other"] = Misbehaviour(restarts_after=timedelta(seconds=2))
    registry.publish(WEB)
    report = update(engine, registry, UpdateParams(soak=timedelta(seconds=30)))
    assert report.get("other").outcome is Outcome.UPDATED  # its 1 s soak was over


def test_a_log_line_matching_the_fail_pattern_rolls_back(engine, registry) -> None:
    old_id = stale(engine, registry, {L.FAIL_PATTERN: "FATAL|panic:", L.SOAK: "5s"})
    engine.misbehaving["web"] = Misbehaviour(logs=("starting", "FATAL: no database"))
    entry = update(engine, registry).get("web")
    assert "its replacement failed a check: log line matched 'FATAL|panic:'" in entry.reason
    assert "no database" not in entry.reason  # the line itself is never repeated
    rolled_back(engine, old_id)


def test_a_replacement_that_behaves_passes_and_its_checks_are_asked_once(engine, registry) -> None:
    old_id = stale(engine, registry, {**PROBED, L.SOAK: "10s", L.PROBE_TIMEOUT: "1m"})
    engine.misbehaving["web"] = Misbehaviour(logs=("all fine",), exits_after=timedelta(hours=1))
    entry = update(engine, registry).get("web")
    assert entry.outcome is Outcome.UPDATED and not entry.rolled_back
    assert old_id not in {c.id for c in engine.containers()}
    ((name, checks),) = engine.checked
    assert name == "web"
    assert [str(p) for p in checks.probes] == ["probe http://:8080/health"]
    assert (checks.soak, checks.timeout) == (timedelta(seconds=10), timedelta(minutes=1))


def test_a_container_without_checks_is_never_checked(engine, registry) -> None:
    stale(engine, registry, {})
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503", exits_after=timedelta(0))
    assert update(engine, registry).get("web").outcome is Outcome.UPDATED
    assert engine.checked == [] and engine.count("verify") == 0


def test_checks_that_cannot_be_run_roll_back(engine, registry) -> None:
    old_id = stale(engine, registry, PROBED)
    engine.fail("verify", "web")
    entry = update(engine, registry).get("web")
    assert entry.reason.startswith("its replacement's checks could not be run:")
    rolled_back(engine, old_id)
    assert engine.pending_faults == ()


class WithoutChecks:
    """A client of a user's own, which has not the optional capability."""

    def __init__(self, engine: MemoryEngine) -> None:
        self._engine = engine

    def __getattr__(self, name: str) -> object:
        if name == "check_replacement":
            raise AttributeError(name)
        return getattr(self._engine, name)


def test_a_client_without_the_capability_fails_only_containers_that_ask(engine, registry) -> None:
    old_id = stale(engine, registry, PROBED)
    engine.run("plain", WEB)
    registry.publish(WEB)
    report = update(WithoutChecks(engine), registry)
    assert report.get("plain").outcome is Outcome.UPDATED
    web = report.get("web")
    assert web.outcome is Outcome.FAILED and web.rolled_back
    assert web.reason.startswith(
        "its replacement's checks could not be run: the engine's client does not run a "
        "replacement's checks (probes, soak, fail pattern);"
    )
    assert engine.container("web").id == old_id


def test_a_refused_probe_host_is_a_label_warning_and_no_probe(engine, registry) -> None:
    stale(engine, registry, {L.PROBE_HTTP: "http://example.org/health"})
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    events: list[Event] = []
    report = update(engine, registry, observer=events.append)
    assert report.get("web").outcome is Outcome.UPDATED  # no probe left to fail
    (ignored,) = [e for e in events if isinstance(e, LabelIgnored)]
    assert "names the host 'example.org'" in str(ignored)


def killed_while_checked(engine: MemoryEngine, registry: MemoryRegistry) -> str:
    """A run killed while it checked web's replacement; the replacement's id."""
    stale(engine, registry, {**PROBED, L.SOAK: "10s"})
    engine.fail("verify", "web", error=Killed())  # type: ignore[arg-type]
    with pytest.raises(Killed):
        update(engine, registry)
    assert any(name.startswith("web-watchtower-old-") for name in engine.names())
    return engine.container("web").id


def test_the_repair_checks_an_interrupted_replacement_again_and_undoes_a_failing_one(
    engine, registry
) -> None:
    replacement = killed_while_checked(engine, registry)
    engine.misbehaving["web"] = Misbehaviour(probe="answered 503")
    report = update(engine, registry)
    (line,) = report.repaired
    assert "was undone" in line
    assert "its replacement failed a check: probe http://:8080/health answered 503" in line
    assert replacement not in {c.id for c in engine.containers()}
    assert engine.container("web").state is ContainerState.RUNNING


def test_the_repair_finishes_an_interrupted_replacement_that_passes(engine, registry) -> None:
    replacement = killed_while_checked(engine, registry)
    report = update(engine, registry)
    (line,) = report.repaired
    assert "was finished" in line
    assert engine.names() == {"web"} and engine.container("web").id == replacement
    assert [name for name, _ in engine.checked] == ["web"]  # checked again by the repair
