"""Many in-memory engines from one process: one registry answer per image, a report per host."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import update
from watchtower.errors import EngineError, RegistryError
from watchtower.events import Event, UpdateAvailable
from watchtower.hosts import HostsReport, engines_by_name, plan_hosts, update_hosts
from watchtower.memo import DigestMemo
from watchtower.model import ImageRef
from watchtower.report import Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry, MemorySwarm

IMAGES = [f"example.org/app{n}:1" for n in range(5)]


def fleet(registry: MemoryRegistry, hosts: int) -> dict[str, MemoryEngine]:
    """``hosts`` engines, each running the same five images."""
    engines = {}
    for number in range(hosts):
        engine = MemoryEngine(registry)
        for image in IMAGES:
            engine.run(image.split("/")[1].split(":")[0], image)
        engines[f"node{number}"] = engine
    return engines


@pytest.fixture
def published(registry: MemoryRegistry) -> MemoryRegistry:
    for image in IMAGES:
        registry.publish(image)
    return registry


def test_three_hosts_of_five_images_make_five_digest_requests(
    published: MemoryRegistry, clock: FixedClock
) -> None:
    engines = fleet(published, 3)
    for image in IMAGES[:2]:
        published.publish(image)

    events: list[Event] = []
    result = update_hosts(engines, published, clock=clock, observer=events.append)

    assert published.digest_requests == 5
    found = {(e.host, e.container) for e in events if isinstance(e, UpdateAvailable)}
    assert found == {(h, n) for h in engines for n in ("app0", "app1")}
    assert set(result.reports) == {"node0", "node1", "node2"}
    assert result.failures == {}
    total = result.total
    assert len(total) == 15
    assert {(e.host, e.name) for e in total.updated} == {
        (h, n) for h in engines for n in ("app0", "app1")
    }
    # One pull per changed image per host: each engine pulls for itself.
    assert all(engine.count("pull") == 2 for engine in engines.values())


@given(hosts=st.integers(min_value=1, max_value=6))
@settings(max_examples=10, deadline=None)
def test_digest_requests_equal_the_distinct_images_whatever_the_hosts(hosts: int) -> None:
    registry = MemoryRegistry()
    for image in IMAGES:
        registry.publish(image)
    plans, failures = plan_hosts(fleet(registry, hosts), registry)
    assert failures == {}
    assert len(plans) == hosts
    assert registry.digest_requests == len(IMAGES)


def test_a_host_that_is_down_is_reported_and_the_others_go_on(
    published: MemoryRegistry, clock: FixedClock
) -> None:
    engines = fleet(published, 2)
    published.publish(IMAGES[0])
    engines["node1"].fail("list", error=EngineError("Cannot connect to the Docker daemon"))
    received: list[Report] = []

    class Collect:
        def notify(self, report: Report) -> None:
            received.append(report)

    result = update_hosts(engines, published, clock=clock, notifiers=[Collect()])

    assert result.reports["node0"].get("app0").outcome is Outcome.UPDATED
    assert "Cannot connect to the Docker daemon" in result.failures["node1"]
    assert "node1" in result.failures["node1"]
    [down] = [e for e in result.total if e.kind == "host"]
    assert (down.name, down.outcome) == ("node1", Outcome.FAILED)
    assert received == [result.total]
    assert result.summary().startswith("Hosts 1 scanned, 1 skipped; ")
    assert "updated 1, restarted 0, failed 1," in result.summary()


def test_a_slow_host_does_not_hold_the_others_back(
    published: MemoryRegistry, clock: FixedClock
) -> None:
    engines = fleet(published, 2)
    published.publish(IMAGES[0])
    release = threading.Event()
    finished: list[str] = []

    class Slow(MemoryEngine):
        def list_containers(self, **kwargs):  # type: ignore[no-untyped-def]
            assert release.wait(10), "the fast host never finished"
            raise EngineError("the engine did not answer in 60s")

    def watch(event: object) -> None:
        if type(event).__name__ == "RunFinished":
            finished.append("fast")
            release.set()

    hosts = {"slow": Slow(published), "fast": engines["node0"]}
    result = update_hosts(hosts, published, clock=clock, observer=watch, concurrency=2)
    assert finished == ["fast"]
    assert result.reports["fast"].get("app0").outcome is Outcome.UPDATED
    assert "did not answer" in result.failures["slow"]


def test_each_host_updates_its_own_services(published: MemoryRegistry, clock: FixedClock) -> None:
    engines = fleet(published, 2)
    swarms = {host: MemorySwarm(published) for host in engines}
    for swarm in swarms.values():
        swarm.create("svc", IMAGES[0], replicas=2)
    published.publish(IMAGES[0])

    result = update_hosts(engines, published, services=swarms, clock=clock)

    assert published.digest_requests == 5
    services = [(e.host, e.outcome) for e in result.total if e.kind == "service"]
    assert services == [("node0", Outcome.UPDATED), ("node1", Outcome.UPDATED)]


def test_a_list_of_engines_is_named_by_position(published: MemoryRegistry) -> None:
    first, second = MemoryEngine(published), MemoryEngine(published)
    assert engines_by_name([first, second]) == {"host-1": first, "host-2": second}


def test_the_memo_asks_once_and_shares_errors() -> None:
    registry = MemoryRegistry()
    ref = registry.publish("example.org/a:1")
    memo = DigestMemo(registry)
    assert memo.digest(ref) == memo.digest(ref) == registry.served(ref)[0]
    missing = ImageRef("example.org", "missing")
    for _ in range(2):
        with pytest.raises(RegistryError):
            memo.digest(missing)
    assert registry.digest_requests == 2
    assert update(MemoryEngine(registry), memo).entries == ()


def test_the_total_of_no_host_is_empty(clock: FixedClock) -> None:
    result = HostsReport(reports={}, started_at=clock(), finished_at=clock())
    assert len(result.total) == 0
