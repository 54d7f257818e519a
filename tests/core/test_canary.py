"""Canary rollouts: a new image reaches the canary hosts first, the others once promoted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams
from watchtower.canary import Deployment, Rollout, Stage, stage
from watchtower.errors import HistoryError
from watchtower.events import Event, Failed, Step, Updated
from watchtower.fleet import Fleet, Host
from watchtower.history import Change, MemoryHistory
from watchtower.hosts import plan_hosts, update_hosts
from watchtower.labels import CANARY as CANARY_LABEL
from watchtower.report import Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
SOAK = timedelta(minutes=30)
T0 = datetime(2026, 1, 1, 10, 0, tzinfo=timezone.utc)


def fleet_of(registry: MemoryRegistry) -> tuple[Fleet, MemoryEngine, MemoryEngine]:
    canary, other = MemoryEngine(registry), MemoryEngine(registry)
    canary.run("web", WEB)
    other.run("web", WEB)
    fleet = Fleet((Host.of("a", canary, canary=True), Host.of("b", other)), concurrency=1)
    return fleet, canary, other


def image_of(engine: MemoryEngine) -> str:
    return engine.list_containers()[0].image_id


class TestTheRule:
    def test_no_gate_for_an_image_no_canary_runs(self) -> None:
        rollout = Rollout(images={"other:1"}, now=T0)
        assert stage(rollout, WEB, "sha256:ab") == (None, "")
        assert stage(None, WEB, "sha256:ab") == (None, "")

    def test_stages_table(self) -> None:
        deployed = Deployment("a", WEB, "sha256:" + "ab" * 32, T0)
        failed = Deployment("a", WEB, "sha256:" + "cd" * 32, T0, failed=True)
        rollout = Rollout(images={WEB}, deployments=[deployed, failed], soak=SOAK, now=T0)
        table = [
            (T0, deployed.image_id, Stage.CANARY, "on canary host a since 10:00:00"),
            (T0 + SOAK - timedelta(seconds=1), deployed.image_id, Stage.CANARY, "after 30m soak"),
            (T0 + SOAK, deployed.image_id, Stage.PROMOTED, ""),
            (T0 + SOAK * 10, failed.image_id, Stage.CANARY, "failed on canary host a"),
            (T0 + SOAK * 10, "sha256:" + "ef" * 32, Stage.CANARY, "on no canary yet"),
        ]
        for now, image_id, want, words in table:
            got, why = stage(
                Rollout(images={WEB}, deployments=rollout.deployments, soak=SOAK, now=now),
                WEB,
                image_id,
            )
            assert got is want, (now, image_id)
            assert words in why
            if want is Stage.CANARY:
                assert why.startswith("waits for the canaries: sha256:")


class TestAFleetWithACanary:
    def test_a_bad_image_fails_on_the_canary_and_never_reaches_the_other_host(
        self, clock: FixedClock
    ) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        fleet, canary, other = fleet_of(registry)
        before = image_of(other)
        registry.publish(WEB)
        canary.fail("start", "web")
        history = MemoryHistory(clock=clock)
        params = UpdateParams(canary_soak=SOAK)

        first = update_hosts(fleet, registry, params, clock=clock, history=history)
        clock.advance(SOAK * 3)
        second = update_hosts(fleet, registry, params, clock=clock, history=history)

        assert first.reports["a"].entries[0].outcome is Outcome.FAILED
        for result in (first, second):
            entry = result.reports["b"].entries[0]
            assert entry.outcome is Outcome.SKIPPED
        # The run's shared breaker learned the canary's failure; the next run the history.
        assert "failed on web at host a" in first.reports["b"].entries[0].reason
        assert "quarantined" in second.reports["b"].entries[0].reason
        assert image_of(other) == before

    def test_a_good_image_reaches_the_other_host_only_after_the_soak(
        self, clock: FixedClock
    ) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        fleet, canary, other = fleet_of(registry)
        before = image_of(other)
        registry.publish(WEB)
        new = registry.served(WEB)[1]
        history = MemoryHistory(clock=clock)
        params = UpdateParams(canary_soak=SOAK)

        first = update_hosts(fleet, registry, params, clock=clock, history=history)
        assert image_of(canary) == new and image_of(other) == before
        waiting = first.reports["b"].entries[0]
        assert waiting.outcome is Outcome.SKIPPED
        assert "on canary host a since" in waiting.reason and "30m soak" in waiting.reason

        clock.advance(SOAK / 2)
        update_hosts(fleet, registry, params, clock=clock, history=history)
        assert image_of(other) == before

        clock.advance(SOAK)
        last = update_hosts(fleet, registry, params, clock=clock, history=history)
        assert last.reports["b"].entries[0].outcome is Outcome.UPDATED
        assert image_of(other) == new

    def test_promote_at_once_updates_the_rest_in_the_same_run(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        fleet, canary, other = fleet_of(registry)
        registry.publish(WEB)
        new = registry.served(WEB)[1]
        events: list[Event] = []
        params = UpdateParams(canary_soak=SOAK, canary_promote_at_once=True)

        update_hosts(fleet, registry, params, clock=clock, observer=events.append)

        assert image_of(canary) == new and image_of(other) == new
        hosts = [e.host for e in events if isinstance(e, Updated)]
        assert hosts == ["a", "b"]

    def test_promote_at_once_still_stops_a_bad_image(self, clock: FixedClock) -> None:
        registry = MemoryRegistry(clock)
        registry.publish(WEB)
        fleet, canary, other = fleet_of(registry)
        before = image_of(other)
        registry.publish(WEB)
        canary.fail("start", "web")
        params = UpdateParams(canary_promote_at_once=True)

        update_hosts(fleet, registry, params, clock=clock)

        assert image_of(other) == before


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[tuple[bool, list[tuple[int, bool]]]], list[int]]:
    """Hosts (canary or not), each running containers (canary or not) on some of three images."""
    containers = st.tuples(st.integers(min_value=0, max_value=2), st.booleans())
    hosts = draw(
        st.lists(
            st.tuples(st.booleans(), st.lists(containers, min_size=1, max_size=3)),
            min_size=1,
            max_size=4,
        )
    )
    steps = draw(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4))
    return hosts, steps


@given(fleets(), st.booleans())
@settings(max_examples=40, deadline=None)
def test_no_other_host_runs_an_image_before_a_canary_ran_it_for_the_soak(
    drawn: tuple[list[tuple[bool, list[tuple[int, bool]]]], list[int]], at_once: bool
) -> None:
    """Over runs, clock advanced by random minutes: the canary order holds for any fleet.

    An image of a reference some canary runs (a canary host, or a canary
    container of the same host) reaches a container that is no canary, on
    a host that is no canary, only after a canary was updated to it at
    least the soak before (in the same run, with promote-at-once).
    """
    hosts, steps = drawn
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    images = [f"example.org/img{n}:1" for n in range(3)]
    for image in images:
        registry.publish(image)
    engines = {}
    for h, (_, row) in enumerate(hosts):
        engine = MemoryEngine(registry)
        for c, (i, marked) in enumerate(row):
            engine.run(f"c{c}", images[i], labels={CANARY_LABEL: "true"} if marked else None)
        engines[f"h{h}"] = engine
    fleet = Fleet(
        [Host.of(f"h{h}", engines[f"h{h}"], canary=mark) for h, (mark, _) in enumerate(hosts)],
        concurrency=1,
    )
    canaries = {f"h{h}" for h, (mark, _) in enumerate(hosts) if mark}
    canaried = {images[i] for h, (mark, row) in enumerate(hosts) if mark for i, _ in row}
    for image in images:
        registry.publish(image)
    history = MemoryHistory(clock=clock)
    params = UpdateParams(canary_soak=timedelta(minutes=20), canary_promote_at_once=at_once)
    first_on_canary: dict[str, datetime] = {}

    for step in steps:
        events: list[Event] = []
        update_hosts(fleet, registry, params, clock=clock, history=history, observer=events.append)
        updated = [e for e in events if isinstance(e, Updated)]
        for event in updated:  # a run's canaries go first: their time is the run's
            _, marked = hosts[int(event.host[1:])][1][int(event.container[1:])]
            if event.host in canaries or marked:
                first_on_canary.setdefault(event.new_image_id, clock())
        for event in updated:
            row = hosts[int(event.host[1:])][1]
            image_index, marked = row[int(event.container[1:])]
            if event.host in canaries or marked:
                continue
            image = images[image_index]
            gated = image in canaried or any(i == image_index and m for i, m in row)
            if not gated:
                continue
            since = first_on_canary.get(event.new_image_id)
            assert since is not None, f"{event.host}/{event.container} before any canary"
            if not at_once:
                assert clock() - since >= params.canary_soak
        clock.advance(timedelta(minutes=step))


class UnreadableChanges(MemoryHistory):
    def changes(self, **_: object) -> list[Change]:
        raise HistoryError("The history at /data/history.db cannot be read: disk I/O error.")


def test_a_history_that_cannot_say_what_the_canary_hosts_did_fails_no_run(
    clock: FixedClock,
) -> None:
    registry = MemoryRegistry(clock)
    registry.publish(WEB)
    fleet, canary, other = fleet_of(registry)
    before = image_of(other)
    registry.publish(WEB)
    new = registry.served(WEB)[1]
    events: list[Event] = []
    params = UpdateParams(canary_soak=SOAK)
    history = UnreadableChanges(clock=clock)

    plans, _ = plan_hosts(fleet, registry, params, clock=clock, history=history)
    result = update_hosts(
        fleet, registry, params, clock=clock, history=history, observer=events.append
    )

    assert plans["b"].entries[0].stage == "canary"
    assert image_of(canary) == new and image_of(other) == before
    waiting = result.reports["b"].entries[0]
    assert waiting.outcome is Outcome.SKIPPED and "waits for the canaries" in waiting.reason
    unread = [e.reason for e in events if isinstance(e, Failed) and e.step is Step.HISTORY]
    assert (
        "What the canary hosts did could not be read: The history at /data/history.db"
        " cannot be read: disk I/O error." in unread
    )
