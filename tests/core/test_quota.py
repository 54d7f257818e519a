"""The registry quota: its headers read, one book per process, a run's share, the rest deferred."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, update
from watchtower.errors import ConfigurationError
from watchtower.events import Event, Planned
from watchtower.hosts import plan_hosts, update_hosts
from watchtower.quota import QuotaBook, QuotaDeferredError, parse_ratelimit
from watchtower.registry import HttpRegistry, MockTransport, Request, Response
from watchtower.report import Outcome, is_deferred
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
HUB = "docker.io"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100;w=21600", (100, timedelta(hours=6))),
        ("76;w=21600", (76, timedelta(hours=6))),
        ("0;w=60", (0, timedelta(minutes=1))),
        ("100", (100, None)),
        (" 42 ", (42, None)),
        ("5; w=30", (5, timedelta(seconds=30))),
        ('9;w=3600;comment="anonymous"', (9, timedelta(hours=1))),
        ("9;W=3600", (9, timedelta(hours=1))),
        ("9;foo=bar", (9, None)),
        ("7" * 40, (int("7" * 18), None)),
        (None, None),
        ("", None),
        ("lots", None),
        ("-1", None),
        ("1.5", None),
        ("١٢", None),  # digits, but not ASCII ones
        ("10;w=", None),
        ("10;w=0", None),
        ("10;w=-5", None),
        ("10;w=9999999999", None),
    ],
)
def test_the_rate_limit_header_parser(
    value: str | None, expected: tuple[int, timedelta | None] | None
) -> None:
    assert parse_ratelimit(value) == expected


def test_a_malformed_header_is_one_debug_line_and_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = QuotaBook(FixedClock(START))
    with caplog.at_level(logging.DEBUG, "watchtower.registry"):
        book.record(HUB, {"ratelimit-remaining": "many", "ratelimit-limit": "100"})
    assert book.reading(HUB) is None
    assert len(caplog.records) == 1 and caplog.records[0].levelno == logging.DEBUG


class TestBook:
    def test_a_reading_is_kept_with_its_window_and_time(self) -> None:
        book = QuotaBook(FixedClock(START))
        book.record(HUB, {"ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76;w=21600"})
        reading = book.reading(HUB)
        assert reading is not None
        assert (reading.limit, reading.remaining) == (100, 76)
        assert reading.window == timedelta(hours=6) and reading.read_at == START
        assert book.left(HUB) == 76 and book.registries() == (HUB,)
        assert book.left("ghcr.io") is None

    def test_spends_lower_what_is_left_until_fresh_headers_say(self) -> None:
        book = QuotaBook(FixedClock(START))
        book.record(HUB, {"ratelimit-limit": "100;w=600", "ratelimit-remaining": "10;w=600"})
        for _ in range(3):
            assert book.take(HUB) is None
        assert book.left(HUB) == 7
        book.record(HUB, {"ratelimit-limit": "100;w=600", "ratelimit-remaining": "9;w=600"})
        assert book.left(HUB) == 9

    def test_once_the_window_passes_the_limit_is_back_less_recent_spends(self) -> None:
        clock = FixedClock(START)
        book = QuotaBook(clock)
        book.record(HUB, {"ratelimit-limit": "100;w=600", "ratelimit-remaining": "0;w=600"})
        assert book.left(HUB) == 0
        clock.advance(timedelta(minutes=9))
        book.take(HUB)
        clock.advance(timedelta(minutes=2))  # the reading is 11 minutes old
        assert book.left(HUB) == 99
        clock.advance(timedelta(minutes=10))  # and the spend has aged out too
        assert book.left(HUB) == 100

    def test_a_share_out_of_range_is_one_sentence(self) -> None:
        book = QuotaBook()
        for share in (0.0, -0.5, 1.5, float("nan")):
            with pytest.raises(ConfigurationError, match="more than 0 and at most 1"):
                book.open_run(share)


class TestRun:
    def test_a_run_spends_its_share_then_defers_with_a_sentence(self) -> None:
        book = QuotaBook(FixedClock(START))
        book.record(HUB, {"ratelimit-limit": "100;w=21600", "ratelimit-remaining": "12;w=21600"})
        run = book.open_run(0.5)
        assert [run.take(HUB) for _ in range(6)] == [None] * 6
        refusal = run.take(HUB)
        assert refusal == (
            "registry quota: deferred to the next run; 12 of 100 requests left at docker.io, "
            "this run may use 6"
        )
        assert run.check(HUB) == refusal  # nothing more is asked of it, not even a HEAD
        assert run.spent(HUB) == 6 and run.deferred() == {HUB: 2}
        assert book.left(HUB) == 6

    def test_an_unknown_registry_is_not_limited(self) -> None:
        run = QuotaBook(FixedClock(START)).open_run(0.1)
        assert all(run.take("ghcr.io") is None for _ in range(50))
        assert run.allowed("ghcr.io") is None

    def test_a_reading_during_the_run_of_a_registry_that_counts_us_keeps_the_share(self) -> None:
        book = QuotaBook(FixedClock(START))
        book.record(HUB, {"ratelimit-remaining": "12"})
        run = book.open_run(0.5)
        for _ in range(4):
            assert run.take(HUB) is None
        book.record(HUB, {"ratelimit-remaining": "8"})  # the registry counted our four
        assert run.allowed(HUB) == 6

    def test_the_next_run_sees_a_new_window(self) -> None:
        book = QuotaBook(FixedClock(START))
        book.record(HUB, {"ratelimit-remaining": "2"})
        first = book.open_run(0.5)
        assert first.take(HUB) is None and first.take(HUB) is not None
        book.record(HUB, {"ratelimit-remaining": "100"})
        second = book.open_run(0.5)
        assert sum(second.take(HUB) is None for _ in range(80)) == 50


@settings(max_examples=200, deadline=None)
@given(
    remaining=st.integers(0, 300),
    share=st.floats(0.01, 1.0),
    wanted=st.integers(0, 400),
    counted_by_registry=st.booleans(),
)
def test_a_run_never_spends_more_than_its_share_and_defers_the_rest(
    remaining: int, share: float, wanted: int, counted_by_registry: bool
) -> None:
    book = QuotaBook(FixedClock(START))
    book.record(HUB, {"ratelimit-remaining": str(remaining)})
    run = book.open_run(share)
    granted = deferred = 0
    for _ in range(wanted):
        if run.take(HUB) is None:
            granted += 1
            if counted_by_registry:  # its answers say so as the run goes
                book.record(HUB, {"ratelimit-remaining": str(remaining - granted)})
        else:
            deferred += 1
    assert granted <= share * remaining + 1e-9
    assert granted + deferred == wanted
    assert granted == min(wanted, int(share * remaining + 1e-9))


# --- Runs through update(), with HttpRegistry over a MockTransport -----------------------


def fake_registry(
    served: MemoryRegistry, remaining: Callable[[], int], seen: list[Request]
) -> MockTransport:
    """A registry that serves ``served``'s digests, with Docker Hub's rate limit headers."""

    def answer(request: Request) -> Response:
        seen.append(request)
        headers = {
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": f"{remaining()};w=21600",
        }
        path = request.url.split("/v2/", 1)[1]
        if not path:
            return Response(200, headers)
        repository, tag = path.split("/manifests/")
        digest = served.served(f"example.org/{repository}:{tag}")[0]
        return Response(200, {**headers, "Docker-Content-Digest": digest})

    return MockTransport(answer)


def fleet_of(count: int) -> tuple[MemoryRegistry, MemoryEngine]:
    served = MemoryRegistry()
    engine = MemoryEngine(served)
    for index in range(count):
        engine.run(f"app{index}", served.publish(f"example.org/app{index}:latest"))
        served.publish(f"example.org/app{index}:latest")  # every one is stale
    return served, engine


def test_update_spends_its_share_in_pulls_and_defers_the_rest_counted_not_failed() -> None:
    served, engine = fleet_of(20)
    left = [12]
    seen: list[Request] = []
    book = QuotaBook(FixedClock(START))
    registry = HttpRegistry(transport=fake_registry(served, lambda: left[0], seen), quota=book)
    params = UpdateParams(registry_quota_share=0.5)

    events: list[Event] = []
    report = update(engine, registry, params, quota=book, observer=events.append)

    assert len(report.updated) == 6 and engine.count("pull") == 6
    (planned,) = [e for e in events if isinstance(e, Planned)]
    assert (planned.to_update, planned.skipped, planned.deferred) == (6, 14, 14)
    assert len(report.deferred) == 14 and report.failed == ()
    assert len(report.deferred) + len(report.updated) == 20
    assert all(e.reason.endswith("this run may use 6") for e in report.deferred)
    assert "(deferred 14)" in report.summary()
    manifests = [r.method for r in seen if "/manifests/" in r.url]
    assert set(manifests) == {"HEAD"}  # none of them counted

    left[0] = 100  # a new window
    second = update(engine, registry, params, quota=book)
    assert sorted(e.name for e in second.updated) == sorted(e.name for e in report.deferred)
    assert second.deferred == ()


def test_without_a_share_nothing_is_deferred_and_a_share_needs_a_book() -> None:
    served, engine = fleet_of(5)
    book = QuotaBook(FixedClock(START))
    registry = HttpRegistry(transport=fake_registry(served, lambda: 1, []), quota=book)
    assert len(update(engine, registry).updated) == 5  # today's behaviour
    with pytest.raises(ConfigurationError, match="needs a QuotaBook"):
        update(engine, registry, UpdateParams(registry_quota_share=0.5))


def test_a_get_beyond_the_share_is_not_sent() -> None:
    book = QuotaBook(FixedClock(START))
    book.record("example.org", {"ratelimit-remaining": "1"})
    book.open_run(0.5)  # one left, half of it: nothing may be spent
    seen: list[Request] = []

    def no_digest(request: Request) -> Response:
        seen.append(request)
        return Response(200, {})  # a HEAD without a digest would be asked again with GET

    registry = HttpRegistry(transport=MockTransport(no_digest), quota=book)
    served, _ = fleet_of(1)
    with pytest.raises(QuotaDeferredError, match="this run may use 0"):
        registry.digest(served.publish("example.org/app0:latest"))
    assert [r.method for r in seen if "/manifests/" in r.url] == ["HEAD"]


def test_many_hosts_share_one_budget() -> None:
    served = MemoryRegistry()
    engines = {f"host{n}": MemoryEngine(served) for n in range(5)}
    for index in range(10):
        ref = served.publish(f"example.org/app{index}:latest")
        for engine in engines.values():
            engine.run(f"app{index}", ref)
        served.publish(ref)
    book = QuotaBook(FixedClock(START))
    registry = HttpRegistry(transport=fake_registry(served, lambda: 40, []), quota=book)

    report = update_hosts(engines, registry, UpdateParams(registry_quota_share=0.5), quota=book)

    pulls = sum(engine.count("pull") for engine in engines.values())
    assert pulls == 20  # half of 40, all hosts together
    outcomes = [e.outcome for e in report.total]
    assert outcomes.count(Outcome.UPDATED) == 20
    assert len(report.total.deferred) == 30


def test_after_a_run_a_get_is_counted_but_no_longer_refused() -> None:
    served, engine = fleet_of(2)
    book = QuotaBook(FixedClock(START))
    registry = HttpRegistry(transport=fake_registry(served, lambda: 1, []), quota=book)
    update(engine, registry, UpdateParams(registry_quota_share=0.5), quota=book)
    assert book.left("example.org") == 1  # half of one: nothing was spent
    assert book.take("example.org") is None  # a plan's GET, after the run: no run's
    assert book.left("example.org") == 0


@settings(max_examples=40, deadline=None)
@given(
    images=st.integers(1, 25),
    stale=st.data(),
    remaining=st.integers(0, 40),
    share=st.floats(0.05, 1.0),
)
def test_an_update_never_pulls_more_than_its_share_and_checks_or_defers_each_container(
    images: int, stale: st.DataObject, remaining: int, share: float
) -> None:
    served = MemoryRegistry()
    engine = MemoryEngine(served)
    for index in range(images):
        ref = served.publish(f"example.org/app{index}:latest")
        engine.run(f"app{index}", ref)
        if stale.draw(st.booleans()):
            served.publish(ref)
    book = QuotaBook(FixedClock(START))
    registry = HttpRegistry(transport=fake_registry(served, lambda: remaining, []), quota=book)

    report = update(engine, registry, UpdateParams(registry_quota_share=share), quota=book)

    assert engine.count("pull") <= share * remaining + 1e-9
    checked = len(report.updated) + len(report.fresh)
    assert checked + len(report.deferred) == images
    assert report.failed == ()


def test_an_answer_written_before_a_spend_does_not_raise_the_share() -> None:
    book = QuotaBook(FixedClock(START))
    run = book.open_run(0.5)
    book.record(HUB, {"ratelimit-remaining": "10"})
    mark = book.mark(HUB)  # a HEAD is sent ...
    assert run.take(HUB) is None  # ... a pull is made meanwhile ...
    book.record(HUB, {"ratelimit-remaining": "10"}, mark)  # ... and the HEAD's answer missed it
    assert book.left(HUB) == 9
    assert run.allowed(HUB) == 5
    book.record(HUB, {"ratelimit-remaining": "10"})  # even an answer that claims so
    assert run.allowed(HUB) == 5


def test_a_plan_spends_its_share_as_a_run_does_and_closes_its_allowance() -> None:
    served, engine = fleet_of(20)
    book = QuotaBook(FixedClock(START))
    registry = HttpRegistry(transport=fake_registry(served, lambda: 12, []), quota=book)

    plans, _ = plan_hosts([engine], registry, UpdateParams(registry_quota_share=0.5))

    (only,) = plans.values()
    assert engine.count("pull") == 6
    assert len([e for e in only.entries if is_deferred(e.status.value, e.reason)]) == 14
    assert len(only.actions) == 6
    # The plan's allowance ended with it: a later request is counted, not refused.
    assert book.take("example.org") is None
