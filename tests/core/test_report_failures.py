"""The report hides no failure: a check whose digest request and pull both fail, a cleanup's."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, update
from watchtower.cli.metrics import Metrics
from watchtower.errors import RateLimitedError, RegistryError
from watchtower.events import Checked, Event, Failed, Skipped, Status, Step
from watchtower.history import MemoryHistory
from watchtower.hosts import HostsReport
from watchtower.porcelain import porcelain_json
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"


def stale_web(engine: MemoryEngine, registry: MemoryRegistry) -> str:
    """``web`` runs :data:`WEB`, whose registry now serves a newer image; its old image id."""
    registry.publish(WEB)
    old = engine.run("web", WEB)
    registry.publish(WEB)
    return old.image_id


class TestACheckAndAPullThatBothFail:
    def test_is_failed_with_both_reasons(self, engine: MemoryEngine, registry) -> None:
        """The digest check fails, the pull that stands in for it too: the entry is failed."""
        stale_web(engine, registry)
        registry.fail(WEB, RegistryError("HEAD answered 500"))
        engine.fail("pull", image=WEB)
        events: list[Event] = []

        report = update(engine, registry, observer=events.append)

        entry = report.get("web")
        assert entry.outcome is Outcome.FAILED and report.failed == (entry,)
        assert "registry check failed (HEAD answered 500)" in entry.reason
        assert "simulated pull failure" in entry.reason
        assert entry.error == entry.reason and not entry.rolled_back
        assert [e.status for e in events if isinstance(e, Checked)] == [Status.FAILED]
        failed = [e for e in events if isinstance(e, Failed)]
        assert [(e.container, e.step) for e in failed] == [("web", Step.PULL)]
        assert not [e for e in events if isinstance(e, Skipped)]
        assert engine.names() == {"web"} and engine.count("create") == 0
        assert not engine.pending_faults

    def test_counts_as_failed_in_the_json_and_the_metrics(self, engine, registry) -> None:
        stale_web(engine, registry)
        registry.fail(WEB, RegistryError("HEAD answered 500"))
        engine.fail("pull", image=WEB)

        report = update(engine, registry)

        counts = report.to_dict()["counts"]
        assert counts["failed"] == 1 and counts["skipped"] == 0 and counts["scanned"] == 1
        metrics = Metrics(clock=FixedClock())
        assert metrics.record(report).failed == 1
        assert metrics.value("watchtower_containers_failed") == 1
        assert metrics.value("watchtower_containers_skipped") == 0
        assert json.loads(porcelain_json(report))["containers"][0]["state"] == "Failed"
        assert not engine.pending_faults

    def test_is_kept_in_the_history_as_a_failed_change(self, engine, registry) -> None:
        stale_web(engine, registry)
        registry.fail(WEB, RegistryError("HEAD answered 500"))
        engine.fail("pull", image=WEB)
        history = MemoryHistory()

        update(engine, registry, history=history)

        [change] = history.changes()
        assert (change.container, change.outcome, change.new_image_id) == ("web", "failed", "")
        assert history.runs()[0].failed == 1
        assert not engine.pending_faults

    def test_a_check_that_fails_alone_is_pulled_as_before(self, engine, registry) -> None:
        stale_web(engine, registry)
        registry.fail(WEB, RegistryError("HEAD answered 500"))

        entry = update(engine, registry).get("web")

        assert entry.outcome is Outcome.UPDATED
        assert "registry check failed, pulled instead" in entry.reason

    def test_a_pull_that_fails_alone_is_skipped_as_before(self, engine, registry) -> None:
        stale_web(engine, registry)
        engine.fail("pull", image=WEB)

        entry = update(engine, registry).get("web")

        assert entry.outcome is Outcome.SKIPPED
        assert not engine.pending_faults

    def test_a_rate_limited_check_is_skipped_unpulled(self, engine, registry) -> None:
        stale_web(engine, registry)
        registry.rate_limit(WEB)

        entry = update(engine, registry).get("web")

        assert entry.outcome is Outcome.SKIPPED and engine.count("pull") == 0

    def test_a_local_image_that_cannot_be_inspected_is_skipped(self, engine, registry) -> None:
        """No-pull asks no registry: a failed inspection alone is a skip."""
        stale_web(engine, registry)
        registry.fail(WEB, RegistryError("HEAD answered 500"))  # never asked
        engine.fail("inspect_image", image=WEB)

        entry = update(engine, registry, UpdateParams(no_pull=True)).get("web")

        assert entry.outcome is Outcome.SKIPPED
        assert registry.digest_requests == 0 and not engine.pending_faults

    def test_a_container_sharing_the_image_fails_with_it(self, engine, registry) -> None:
        """One check and one pull per image: every container of it has failed."""
        registry.publish(WEB)
        engine.run("web", WEB)
        engine.run("web2", WEB)
        registry.publish(WEB)
        registry.fail(WEB, RegistryError("HEAD answered 500"))
        engine.fail("pull", image=WEB)

        report = update(engine, registry)

        assert [e.outcome for e in report] == [Outcome.FAILED, Outcome.FAILED]
        assert not engine.pending_faults


IMAGES = ["example.org/a:1", "example.org/b:1", "example.org/c:1"]


@settings(max_examples=100, deadline=None)
@given(
    on=st.lists(st.sampled_from(IMAGES), min_size=1, max_size=5),
    checks=st.fixed_dictionaries({i: st.sampled_from(["ok", "error", "rate"]) for i in IMAGES}),
    pulls_fail=st.fixed_dictionaries({i: st.booleans() for i in IMAGES}),
)
def test_failed_exactly_when_its_check_and_its_pull_both_failed(
    on: list[str], checks: dict[str, str], pulls_fail: dict[str, bool]
) -> None:
    """Property: a stale container is failed iff its image's check and pull both failed."""
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    for image in IMAGES:
        registry.publish(image)
    for number, image in enumerate(on):
        engine.run(f"c{number}", image)
    for image in set(on):
        registry.publish(image)
        if checks[image] == "error":
            registry.fail(image, RegistryError("HEAD answered 500"))
        elif checks[image] == "rate":
            registry.fail(image, RateLimitedError("slow down"))
        if pulls_fail[image] and checks[image] != "rate":  # a rate limit is never pulled through
            engine.fail("pull", image=image)

    report = update(engine, registry)

    for number, image in enumerate(on):
        outcome = report.get(f"c{number}").outcome
        failed = checks[image] == "error" and pulls_fail[image]
        skipped = checks[image] == "rate" or pulls_fail[image]
        assert (outcome is Outcome.FAILED) == failed
        assert outcome is (
            Outcome.FAILED if failed else Outcome.SKIPPED if skipped else Outcome.UPDATED
        )
    assert not engine.pending_faults
    assert len(report.failed) == sum(checks[i] == "error" and pulls_fail[i] for i in on)


class TestCleanupFailures:
    def test_an_image_that_cannot_be_removed_is_in_the_report(self, engine, registry) -> None:
        old_image = stale_web(engine, registry)
        engine.fail("remove_image", image=old_image, error=RuntimeError("the disk is busy"))
        events: list[Event] = []

        report = update(engine, registry, UpdateParams(cleanup=True), observer=events.append)

        assert report.get("web").outcome is Outcome.UPDATED
        assert report.removed_images == ()
        assert report.cleanup_failures == (
            f"image {old_image.removeprefix('sha256:')[:12]} was kept: the disk is busy",
        )
        failed = [e for e in events if isinstance(e, Failed)]
        assert [(e.step, e.reason) for e in failed] == [(Step.CLEANUP, report.cleanup_failures[0])]
        assert not engine.pending_faults

    def test_the_json_adds_the_key_and_keeps_the_others(self, engine, registry) -> None:
        old_image = stale_web(engine, registry)
        engine.fail("remove_image", image=old_image)

        report = update(engine, registry, UpdateParams(cleanup=True))

        document = json.loads(report.to_json())
        assert document["cleanup_failures"] == list(report.cleanup_failures) != []
        assert document["removed_images"] == [] and document["counts"]["updated"] == 1
        assert (
            json.loads(porcelain_json(report))["cleanup_failures"] == document["cleanup_failures"]
        )
        assert not engine.pending_faults

    @pytest.mark.parametrize("cleanup", [False, True])
    def test_a_clean_run_says_no_failure(self, engine, registry, cleanup: bool) -> None:
        old_image = stale_web(engine, registry)

        report = update(engine, registry, UpdateParams(cleanup=cleanup))

        assert report.cleanup_failures == ()
        assert report.to_dict()["cleanup_failures"] == []
        assert report.removed_images == ((old_image,) if cleanup else ())
        assert "cleanup_failures" not in json.loads(porcelain_json(report))  # the fork's document


def test_a_run_over_several_hosts_names_the_host_of_each_cleanup_failure() -> None:
    at = FixedClock()()
    reports = {
        "a": Report(entries=(), started_at=at, finished_at=at, cleanup_failures=["image 1 kept"]),
        "b": Report(entries=(), started_at=at, finished_at=at),
    }

    total = HostsReport(reports=reports, started_at=at, finished_at=at).total

    assert total.cleanup_failures == ("a: image 1 kept",)
