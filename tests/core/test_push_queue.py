"""The push queue: duplicates, bursts, a busy runner, and the property behind them."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.push import Coalescer, PushEvent, PushQueue

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def event(repository: str = "r/a", tag: str = "1", digest: str | None = "sha256:1") -> PushEvent:
    return PushEvent(repository, tag, digest, "registry", NOW)


class TestCoalescer:
    def test_the_same_push_twice_is_queued_once(self) -> None:
        rules = Coalescer()
        assert rules.offer(event())
        assert not rules.offer(event())
        assert rules.take() == (event(),)

    def test_a_digest_already_running_changes_nothing(self) -> None:
        rules = Coalescer()
        rules.offer(event())
        rules.take()
        assert not rules.offer(event())
        assert rules.pending == ()

    def test_a_new_digest_while_running_waits_for_the_next_batch(self) -> None:
        rules = Coalescer()
        rules.offer(event(digest="sha256:1"))
        rules.take()
        assert rules.offer(event(digest="sha256:2"))
        assert rules.pending == (event(digest="sha256:2"),)

    def test_an_older_digest_pushed_again_after_another_runs_again(self) -> None:
        rules = Coalescer()
        for digest in ("sha256:1", "sha256:2"):
            rules.offer(event(digest=digest))
            rules.take()
            rules.done()
        assert rules.offer(event(digest="sha256:1"))

    def test_a_push_without_digest_is_never_taken_for_one_that_ran(self) -> None:
        rules = Coalescer()
        rules.offer(event(digest=None))
        rules.take()
        assert rules.offer(event(digest=None))

    def test_a_burst_is_one_batch(self) -> None:
        rules = Coalescer()
        burst = [event(repository=f"r/{n}") for n in range(5)]
        for e in burst:
            rules.offer(e)
        assert rules.take() == tuple(burst)
        assert rules.take() == ()

    def test_the_memory_of_digests_is_bounded(self) -> None:
        rules = Coalescer(memory=2)
        for n in range(3):
            rules.offer(event(repository=f"r/{n}"))
        rules.take()
        # The oldest pair was forgotten, so its digest is news again.
        assert rules.offer(event(repository="r/0"))
        assert not rules.offer(event(repository="r/2"))


_events = st.builds(
    event,
    repository=st.sampled_from(["r/a", "r/b"]),
    tag=st.sampled_from(["1", "2"]),
    digest=st.one_of(st.none(), st.sampled_from(["sha256:1", "sha256:2", "sha256:3"])),
)
_steps = st.lists(
    st.one_of(st.tuples(st.just("offer"), _events), st.just(("take",)), st.just(("done",))),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(_steps)
def test_no_event_is_lost_and_no_digest_runs_twice_in_a_row(steps: list[tuple]) -> None:
    """Each offered push runs, is queued, or repeats the digest its tag last ran;
    and one tag never runs the same digest twice without another in between."""
    rules = Coalescer()
    batches: list[tuple[PushEvent, ...]] = []
    for step in steps:
        if step[0] == "offer":
            offered = step[1]
            queued = rules.offer(offered)
            ran = [e.key for b in batches for e in b]
            if not queued:
                same_tag = [k for k in ran if k[:2] == offered.key[:2] and k[2] is not None]
                assert offered.key in {e.key for e in rules.pending} or (
                    offered.digest is not None and same_tag and same_tag[-1] == offered.key
                ), "an event was dropped that neither waits nor repeats what ran"
        elif step[0] == "take":
            if rules.running:
                continue  # the queue's thread never takes while a batch runs
            batch = rules.take()
            if batch:
                batches.append(batch)
        else:
            rules.done()
    last: dict[tuple[str, str], str] = {}
    for batch in batches:
        assert len({e.key for e in batch}) == len(batch), "a batch holds a push twice"
        for e in batch:
            if e.digest is not None:
                assert last.get(e.key[:2]) != e.digest, "a digest ran twice in a row"
                last[e.key[:2]] = e.digest


class TestPushQueue:
    def test_a_burst_within_the_window_is_one_run(self) -> None:
        runs: list[tuple[PushEvent, ...]] = []
        queue = PushQueue(runs.append, window=timedelta(milliseconds=200))
        queue.start()
        try:
            for n in range(4):
                queue.submit([event(repository=f"r/{n}")])
            assert queue.wait_idle(timedelta(seconds=5))
        finally:
            queue.stop()
        assert [len(r) for r in runs] == [4]

    def test_events_arriving_during_a_run_wait_for_the_next_one_and_are_kept(self) -> None:
        started, release = threading.Event(), threading.Event()
        runs: list[tuple[PushEvent, ...]] = []

        def run(batch: tuple[PushEvent, ...]) -> None:
            runs.append(batch)
            started.set()
            assert release.wait(10)

        queue = PushQueue(run, window=timedelta(milliseconds=10))
        queue.start()
        try:
            queue.submit([event(digest="sha256:1")])
            assert started.wait(5)
            # While it runs: the same digest changes nothing, a new one is queued.
            assert queue.submit([event(digest="sha256:1")]) == 0
            assert queue.submit([event(digest="sha256:2"), event(repository="r/b")]) == 2
            assert not queue.idle
            release.set()
            assert queue.wait_idle(timedelta(seconds=5))
        finally:
            queue.stop()
        assert [[e.key for e in r] for r in runs] == [
            [("r/a", "1", "sha256:1")],
            [("r/a", "1", "sha256:2"), ("r/b", "1", "sha256:1")],
        ]

    def test_a_failing_run_does_not_stop_the_queue(self) -> None:
        runs: list[tuple[PushEvent, ...]] = []

        def run(batch: tuple[PushEvent, ...]) -> None:
            runs.append(batch)
            if len(runs) == 1:
                raise RuntimeError("boom")

        queue = PushQueue(run, window=timedelta(milliseconds=10))
        queue.start()
        try:
            queue.submit([event(digest="sha256:1")])
            assert queue.wait_idle(timedelta(seconds=5))
            queue.submit([event(digest="sha256:2")])
            assert queue.wait_idle(timedelta(seconds=5))
        finally:
            queue.stop()
        assert len(runs) == 2
