"""The approve and notify policies: what waits, what is told once, what an approval lets through."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, update, update_hosts
from watchtower.errors import ApprovalError
from watchtower.events import Event, Failed, Step
from watchtower.history import MemoryHistory, State
from watchtower.labels import POLICY
from watchtower.model import Container
from watchtower.notify import Notifications, NotificationSettings
from watchtower.params import Policy
from watchtower.planner import plan
from watchtower.plans import Action, Status
from watchtower.report import Outcome, Report
from watchtower.settings import ContainerSettings
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.versions import VERSION

WEB = "example.org/web:1"
APPROVE = {POLICY: "approve"}


def outcome(report: Report, name: str = "web") -> tuple[Outcome, str]:
    entry = report.get(name)
    assert entry is not None
    return entry.outcome, entry.reason


def stale_web(
    engine: MemoryEngine, registry: MemoryRegistry, labels: dict[str, str] | None = None
) -> str:
    """web runs 1.0 with ``labels``, the registry serves 1.1; the image it runs."""
    registry.publish(WEB, labels={VERSION: "1.0"})
    engine.run("web", WEB, labels=labels)
    old = engine.container("web").image_id
    registry.publish(WEB, labels={VERSION: "1.1"})
    return old


def _run(labels: dict[str, str] | None = None) -> Container:
    registry = MemoryRegistry()
    registry.publish(WEB)
    return MemoryEngine(registry).run("web", WEB, labels=labels)


class TestPolicyLabel:
    def test_the_label_comes_before_the_flag(self) -> None:
        container = _run({POLICY: "Approve "})
        own = ContainerSettings.read(container, UpdateParams(policy="notify"))
        assert own.policy is Policy.APPROVE

    def test_without_a_label_the_flag_decides(self) -> None:
        container = _run()
        assert ContainerSettings.read(container, UpdateParams()).policy is Policy.AUTO
        own = ContainerSettings.read(container, UpdateParams(policy=Policy.NOTIFY))
        assert own.policy is Policy.NOTIFY

    def test_an_unknown_policy_is_ignored_with_a_sentence(self) -> None:
        container = _run({POLICY: "later"})
        own = ContainerSettings.read(container, UpdateParams())
        assert own.policy is Policy.AUTO
        [problem] = own.problems
        assert POLICY in problem and "auto, approve, notify" in problem

    def test_a_policy_that_is_none_of_the_three_is_refused(self) -> None:
        with pytest.raises(ValueError):
            UpdateParams(policy="sometimes")


class TestNotify:
    def test_a_notify_container_is_reported_stale_and_never_replaced(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        old = stale_web(engine, registry, {POLICY: "notify"})
        history = MemoryHistory()
        for _ in range(2):  # told each run, as monitor-only is
            report = update(engine, registry, history=history)
            assert outcome(report) == (Outcome.STALE, "policy notify: reported, never replaced")
        assert engine.container("web").image_id == old
        assert dict(history.approvals()) == {}

    def test_the_plan_says_so(self, engine: MemoryEngine, registry: MemoryRegistry) -> None:
        stale_web(engine, registry)
        [entry] = plan(engine, registry, UpdateParams(policy="notify")).entries
        assert (entry.status, entry.action) == (Status.STALE, Action.NONE)
        assert "never replaced" in entry.reason


class TestApprove:
    def test_the_first_run_asks_and_replaces_nothing(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        old = stale_web(engine, registry, APPROVE)
        history = MemoryHistory(clock=FixedClock())
        report = update(engine, registry, history=history)
        assert outcome(report) == (
            Outcome.STALE,
            "waits for approval: `watchtower approve web` or POST /v1/approvals/web/approve",
        )
        assert engine.container("web").image_id == old
        [approval] = history.approvals().values()
        assert approval.state is State.PENDING and approval.container == "web"
        assert (approval.old_version, approval.new_version) == ("1.0", "1.1")
        assert approval.digest.startswith("sha256:") and approval.image == WEB
        assert approval.summary.startswith(f"{WEB}  ")
        assert approval.summary.endswith(f"  (version 1.0 -> 1.1)  ({outcome(report)[1]})")

    def test_the_plan_says_it_waits(self, engine: MemoryEngine, registry: MemoryRegistry) -> None:
        stale_web(engine, registry, APPROVE)
        [entry] = plan(engine, registry).entries
        assert (entry.status, entry.action) == (Status.STALE, Action.NONE)
        assert entry.reason.startswith("waits for approval")

    def test_a_second_run_that_finds_the_same_digest_tells_no_one(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        stale_web(engine, registry, APPROVE)
        history = MemoryHistory()
        update(engine, registry, history=history)
        again = update(engine, registry, history=history)
        entry = again.get("web")
        assert entry is not None and entry.outcome is Outcome.SKIPPED
        assert "its update to 1.1 waits for approval (asked " in entry.reason
        assert not again.stale and not again.updated  # what notifications are sent for

    def test_an_approved_digest_is_replaced_at_the_next_run(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        stale_web(engine, registry, APPROVE)
        history = MemoryHistory()
        update(engine, registry, history=history)
        [approval] = history.approvals().values()
        history.decide("web", "", True, approval.digest)
        report = update(engine, registry, history=history)
        assert outcome(report)[0] is Outcome.UPDATED
        assert engine.container("web").labels[VERSION] == "1.1"

    def test_a_newer_push_is_not_approved_by_the_approval_of_another(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        old = stale_web(engine, registry, APPROVE)
        history = MemoryHistory()
        update(engine, registry, history=history)
        first = history.approvals()[("", "web")]
        history.decide("web", "", True)
        registry.publish(WEB, labels={VERSION: "1.2"})
        report = update(engine, registry, history=history)
        assert outcome(report)[0] is Outcome.STALE  # asked anew, and told
        assert engine.container("web").image_id == old
        second = history.approvals()[("", "web")]
        assert second.state is State.PENDING and second.digest != first.digest
        assert second.new_version == "1.2"

    def test_a_rejected_digest_is_not_asked_again_and_a_newer_one_is(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        old = stale_web(engine, registry, APPROVE)
        history = MemoryHistory()
        update(engine, registry, history=history)
        history.decide("web", "", False)
        report = update(engine, registry, history=history)
        assert outcome(report)[0] is Outcome.SKIPPED
        assert "was rejected" in outcome(report)[1]
        assert history.approvals()[("", "web")].state is State.REJECTED
        registry.publish(WEB, labels={VERSION: "1.2"})
        assert outcome(update(engine, registry, history=history))[0] is Outcome.STALE
        assert history.approvals()[("", "web")].state is State.PENDING
        assert engine.container("web").image_id == old

    def test_an_approval_lapses_after_the_expiry_and_is_asked_again(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        clock = FixedClock()
        old = stale_web(engine, registry, APPROVE)
        history = MemoryHistory(clock=clock)
        params = UpdateParams(approval_expiry=timedelta(hours=1))
        update(engine, registry, params, history=history, clock=clock)
        history.decide("web", "", True)
        clock.advance(timedelta(hours=2))
        report = update(engine, registry, params, history=history, clock=clock)
        assert outcome(report)[0] is Outcome.STALE
        assert engine.container("web").image_id == old
        assert history.approvals()[("", "web")].state is State.PENDING

    def test_an_approval_within_the_expiry_is_used(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        clock = FixedClock()
        stale_web(engine, registry, APPROVE)
        history = MemoryHistory(clock=clock)
        params = UpdateParams(approval_expiry=timedelta(hours=1))
        update(engine, registry, params, history=history, clock=clock)
        history.decide("web", "", True)
        clock.advance(timedelta(minutes=30))
        report = update(engine, registry, params, history=history, clock=clock)
        assert outcome(report)[0] is Outcome.UPDATED

    def test_the_global_flag_asks_for_every_unlabelled_container(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        stale_web(engine, registry)
        engine.run("db", WEB, labels={POLICY: "auto"})
        registry.publish(WEB, labels={VERSION: "1.2"})
        history = MemoryHistory()
        report = update(engine, registry, UpdateParams(policy="approve"), history=history)
        assert outcome(report)[0] is Outcome.STALE
        assert outcome(report, "db")[0] is Outcome.UPDATED
        assert set(history.approvals()) == {("", "web")}

    def test_a_dry_run_and_monitor_only_ask_for_nothing(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        stale_web(engine, registry, APPROVE)
        history = MemoryHistory()
        update(engine, registry, history=history, dry_run=True)
        report = update(engine, registry, UpdateParams(monitor_only=True), history=history)
        assert outcome(report) == (Outcome.STALE, "monitor only")
        assert dict(history.approvals()) == {}

    def test_without_a_history_each_run_asks_again_and_replaces_nothing(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        old = stale_web(engine, registry, APPROVE)
        for _ in range(2):
            assert outcome(update(engine, registry))[0] is Outcome.STALE
        assert engine.container("web").image_id == old

    def test_a_waiting_container_restarts_none_of_its_dependents(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        stale_web(engine, registry, APPROVE)
        registry.publish("example.org/app:1")
        engine.run("app", "example.org/app:1", links=["web"])
        report = update(engine, registry, history=MemoryHistory())
        assert outcome(report, "app")[0] is Outcome.FRESH

    def test_approvals_apply_per_host(self, registry: MemoryRegistry) -> None:
        engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
        registry.publish(WEB, labels={VERSION: "1.0"})
        for engine in engines.values():
            engine.run("web", WEB, labels=APPROVE)
        registry.publish(WEB, labels={VERSION: "1.1"})
        history = MemoryHistory()
        update_hosts(engines, registry, history=history)
        assert set(history.approvals()) == {("a", "web"), ("b", "web")}
        history.decide("web", "b", True)
        update_hosts(engines, registry, history=history)
        assert engines["a"].container("web").labels[VERSION] == "1.0"
        assert engines["b"].container("web").labels[VERSION] == "1.1"

    def test_a_history_that_cannot_keep_the_approval_never_fails_the_run(
        self, engine: MemoryEngine, registry: MemoryRegistry
    ) -> None:
        class Full(MemoryHistory):
            def ask(self, approval: object) -> bool:
                raise OSError("disk full")

        old = stale_web(engine, registry, APPROVE)
        events: list[Event] = []
        report = update(engine, registry, history=Full(), observer=events.append)
        assert outcome(report)[0] is Outcome.STALE
        [failed] = [e for e in events if isinstance(e, Failed)]
        assert failed.step is Step.HISTORY and "disk full" in failed.reason
        assert engine.container("web").image_id == old


def test_the_default_notification_tells_of_a_pending_update_once(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    notifications = Notifications(
        NotificationSettings(urls=("logger://",)), logger=logging.getLogger("test")
    )
    stale_web(engine, registry, APPROVE)
    history = MemoryHistory()
    first = update(engine, registry, history=history)
    [message] = notifications.messages(first)
    assert "web" in message.body
    second = update(engine, registry, history=history)
    assert notifications.messages(second) == []


def test_an_approval_left_unused_for_another_reason_stands(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    """Watchtower's own container, approved while self-update is off, is not asked for again."""
    stale_web(engine, registry, {**APPROVE, "com.centurylinklabs.watchtower": "true"})
    history = MemoryHistory()
    off = UpdateParams(self_update=False)
    update(engine, registry, off, history=history)
    history.decide("web", "", True)
    report = update(engine, registry, off, history=history)
    assert outcome(report)[1].startswith("self-update is off")
    assert history.approvals()[("", "web")].state is State.APPROVED


# Property: an approve container moves only to the digest approved -----------

_STEPS = st.lists(
    st.sampled_from(["push", "run", "approve", "approve-old", "reject", "wait"]),
    min_size=1,
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(steps=_STEPS)
def test_a_container_of_the_approve_policy_only_ever_moves_to_a_digest_approved(
    steps: list[str],
) -> None:
    """Whatever is pushed, approved, rejected or waited, in any order.

    A run replaces it only with the digest of an approval that stands (not
    lapsed) at that run, and tells of a digest (reports it stale) only once.
    """
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    engine = MemoryEngine(registry)
    history = MemoryHistory(clock=clock)
    params = UpdateParams(approval_expiry=timedelta(hours=1))
    stale_web(engine, registry, APPROVE)
    told: list[str] = []
    first_digest = ""
    for step in steps:
        approval = history.approvals().get(("", "web"))
        if step == "push":
            registry.publish(WEB)
        elif step == "wait":
            clock.advance(timedelta(minutes=40))
        elif step in ("approve", "approve-old", "reject") and approval is not None:
            digest = first_digest if step == "approve-old" else approval.digest
            try:
                history.decide("web", "", step != "reject", digest)
            except ApprovalError:
                assert digest != approval.digest
        elif step == "run":
            before = engine.container("web").image_id
            standing = (
                approval
                if approval is not None
                and approval.state is State.APPROVED
                and not approval.lapsed(params.approval_expiry, clock())
                else None
            )
            report = update(engine, registry, params, history=history, clock=clock)
            entry = report.get("web")
            assert entry is not None
            after = engine.container("web")
            if after.image_id != before:
                assert entry.outcome is Outcome.UPDATED
                assert standing is not None
                assert standing.digest in {d.rpartition("@")[2] for d in after.repo_digests}
            if entry.outcome is Outcome.STALE:
                asked = history.approvals()[("", "web")]
                assert asked.state is State.PENDING
                assert told.count(asked.digest) == 0 or (
                    approval is not None and approval.state is State.APPROVED
                )  # a lapsed approval is asked for again
                told.append(asked.digest)
                first_digest = first_digest or asked.digest
