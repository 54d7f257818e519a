"""A whole lookup has one deadline, however many requests it takes, and so has a scan.

Against a real registry behind the loopback fault proxy: slow redirects,
each within the per-request deadline, add up past the lookup's; a slow
registry's image is skipped while a fast registry's answer arrives, within
the scan's deadline. With in-memory parts and a hand-moved clock: what each
request is given of what is left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.proxy import Fault, FaultProxy
from tests.support.registry_fixtures import Running
from watchtower.budget import Budget
from watchtower.errors import ConfigurationError, RateLimitedError, RegistryTimeoutError
from watchtower.model import Image, ImageRef
from watchtower.params import UpdateParams
from watchtower.planner import plan
from watchtower.plans import Status
from watchtower.registry import DockerCredentials, HttpRegistry, MockTransport, Request, Response
from watchtower.staleness import fan_out
from watchtower.testing import MemoryEngine

SLACK = 0.6  # seconds a deadline may be overrun by: threads waking, sockets closing


@pytest.fixture
def anon_proxy(anonymous_registry: Running) -> Iterator[FaultProxy]:
    with FaultProxy(f"http://{anonymous_registry.host}") as server:
        yield server


def _redirects(proxy: FaultProxy, repo: str, hops: int, delay: float) -> None:
    """``hops`` redirects, each answered after ``delay`` seconds, then the manifest itself."""
    first = f"^/v2/{repo}/manifests/v1"
    for hop in range(hops):
        path = f"{first}$" if hop == 0 else rf"{first}\?hop={hop}$"
        location = f"/v2/{repo}/manifests/v1?hop={hop + 1}"
        proxy.add(Fault(path=path, status=307, headers={"Location": location}, delay=delay))


@pytest.mark.registry
def test_slow_redirects_within_each_request_deadline_fail_at_the_lookup_deadline(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    """Four redirects of 0.7 s each: no request is near its 1 s, the lookup is past its 1.5 s."""
    pushed = anonymous_registry.pusher.image("slow/redirects", "v1", b"hops").digest
    _redirects(anon_proxy, "slow/redirects", hops=4, delay=0.7)
    ref = ImageRef(anon_proxy.address, "slow/redirects", "v1")
    credentials = DockerCredentials(docker_config, environ={})

    patient = HttpRegistry(credentials=credentials, deadline=1.0, lookup_deadline=10.0)
    started = time.monotonic()
    assert patient.digest(ref) == pushed  # the chain is sound: only its length is at fault
    assert time.monotonic() - started > 4 * 0.7

    hurried = HttpRegistry(credentials=credentials, deadline=1.0, lookup_deadline=1.5)
    started = time.monotonic()
    with pytest.raises(RegistryTimeoutError) as caught:
        hurried.digest(ref)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 + SLACK
    assert str(caught.value) == (
        f"The registry at {anon_proxy.address} did not answer within 1.5s "
        f"for {anon_proxy.address}/slow/redirects:v1."
    )


@pytest.mark.registry
def test_a_slow_challenge_and_a_slow_answer_share_the_lookup_deadline(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    """The /v2/ probe and the HEAD take 0.8 s each: 1.6 s in all, over the lookup's 1.2 s."""
    anonymous_registry.pusher.image("slow/both", "v1", b"both")
    anon_proxy.add(Fault(path=r"^/v2/$", delay=0.8))
    anon_proxy.add(Fault(path=r"/manifests/", delay=0.8))
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}), deadline=1.0, lookup_deadline=1.2
    )
    started = time.monotonic()
    with pytest.raises(RegistryTimeoutError, match=r"did not answer within 1\.2s for "):
        registry.digest(ImageRef(anon_proxy.address, "slow/both", "v1"))
    assert time.monotonic() - started < 1.2 + SLACK


def _engine_with(refs: dict[str, tuple[ImageRef, str]]) -> MemoryEngine:
    """Containers whose images carry the given registry digests, as if pulled from there."""
    engine = MemoryEngine()
    for index, (name, (ref, digest)) in enumerate(refs.items()):
        engine.add_image(ref, Image(f"sha256:{index + 1:064x}", (f"{ref.name}@{digest}",)))
        engine.run(name, ref)
    return engine


@pytest.mark.registry
@pytest.mark.parametrize("pull", [False, True])
def test_a_slow_registry_is_skipped_and_the_scan_ends_within_its_deadline(
    anonymous_registry: Running, docker_config: Path, pull: bool
) -> None:
    """The slow registry's lookup would take 30 s; the scan gives 2 s, and ends then."""
    fast_digest = anonymous_registry.pusher.image("scan/fast", "v1", b"fast").digest
    slow_digest = anonymous_registry.pusher.image("scan/slow", "v1", b"slow").digest
    upstream = f"http://{anonymous_registry.host}"
    with FaultProxy(upstream) as fast, FaultProxy(upstream) as slow:
        slow.add(Fault(path=r"/manifests/", delay=30.0))
        fast_ref = ImageRef(fast.address, "scan/fast", "v1")
        slow_ref = ImageRef(slow.address, "scan/slow", "v1")
        engine = _engine_with({"quick": (fast_ref, fast_digest), "late": (slow_ref, slow_digest)})
        registry = HttpRegistry(
            credentials=DockerCredentials(docker_config, environ={}), lookup_deadline=30.0
        )
        params = UpdateParams(registry_scan_timeout=timedelta(seconds=2))
        started = time.monotonic()
        the_plan = plan(engine, registry, params, pull=pull)
        elapsed = time.monotonic() - started
    assert elapsed < 2 + SLACK
    entries = {entry.name: entry for entry in the_plan.entries}
    assert entries["quick"].status is Status.FRESH
    assert entries["late"].status is Status.SKIPPED
    assert entries["late"].reason == (
        f"The registry at {slow.address} did not answer within 2s for "
        f"{slow.address}/scan/slow:v1 (the deadline of this scan's registry lookups)."
    )
    assert not [call for call in engine.calls if call[0] == "pull"]  # skipped, never pulled


@pytest.mark.registry
def test_an_image_past_its_lookup_deadline_is_skipped_while_the_scan_goes_on(
    anonymous_registry: Running, docker_config: Path
) -> None:
    """The lookup's 1 s cuts the slow image; the fast one is answered; nothing is pulled."""
    fast_digest = anonymous_registry.pusher.image("scan/fast2", "v1", b"fast2").digest
    slow_digest = anonymous_registry.pusher.image("scan/slow2", "v1", b"slow2").digest
    upstream = f"http://{anonymous_registry.host}"
    with FaultProxy(upstream) as fast, FaultProxy(upstream) as slow:
        slow.add(Fault(path=r"/manifests/", delay=30.0))
        fast_ref = ImageRef(fast.address, "scan/fast2", "v1")
        slow_ref = ImageRef(slow.address, "scan/slow2", "v1")
        engine = _engine_with({"quick": (fast_ref, fast_digest), "late": (slow_ref, slow_digest)})
        registry = HttpRegistry(
            credentials=DockerCredentials(docker_config, environ={}), lookup_deadline=1.0
        )
        started = time.monotonic()
        the_plan = plan(engine, registry, UpdateParams())
        elapsed = time.monotonic() - started
    assert elapsed < 1 + SLACK
    entries = {entry.name: entry for entry in the_plan.entries}
    assert entries["quick"].status is Status.FRESH
    assert entries["late"].status is Status.SKIPPED
    assert entries["late"].reason == (
        f"The registry at {slow.address} did not answer within 1s for {slow.address}/scan/slow2:v1."
    )
    assert not [call for call in engine.calls if call[0] == "pull"]


# -- in memory, on a clock moved by hand ----------------------------------------------------


class _Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


DIGEST = "sha256:" + "d" * 64


def _slow_redirects(clock: _Clock, seen: list[Request], per_hop: float) -> MockTransport:
    """Every manifest request takes ``per_hop`` seconds and redirects to the next hop."""

    def answer(request: Request) -> Response:
        seen.append(request)
        if request.url.endswith("/v2/"):
            return Response(200)
        clock.now += per_hop
        hop = len(seen)
        return Response(307, {"Location": f"/v2/app/manifests/v1?hop={hop}"})

    return MockTransport(answer)


def test_each_request_is_given_what_is_left_of_the_lookup() -> None:
    clock = _Clock()
    seen: list[Request] = []
    registry = HttpRegistry(
        transport=_slow_redirects(clock, seen, per_hop=2.0), lookup_deadline=5.0, monotonic=clock
    )
    with pytest.raises(RegistryTimeoutError) as caught:
        registry.digest(ImageRef("registry.test", "app", "v1"))
    assert [r.deadline for r in seen] == [5.0, 5.0, 3.0, 1.0]  # /v2/, then three hops
    assert clock.now == 106.0  # no request was sent once nothing was left
    assert str(caught.value) == (
        "The registry at registry.test did not answer within 5s for registry.test/app:v1."
    )


def test_a_retry_after_longer_than_what_is_left_is_not_waited_for() -> None:
    clock = _Clock()
    slept: list[float] = []

    def answer(request: Request) -> Response:
        if request.url.endswith("/v2/"):
            return Response(200)
        clock.now += 1.0
        return Response(429, {"Retry-After": "5"})

    registry = HttpRegistry(
        transport=MockTransport(answer), lookup_deadline=4.0, monotonic=clock, sleep=slept.append
    )
    with pytest.raises(RateLimitedError, match=r"retry after 5s\) after 1 attempt"):
        registry.digest(ImageRef("registry.test", "app", "v1"))
    assert slept == []


def test_a_quick_lookup_is_not_touched_by_its_deadline() -> None:
    clock = _Clock()

    def answer(request: Request) -> Response:
        clock.now += 0.1
        return Response(200, {"Docker-Content-Digest": DIGEST})

    registry = HttpRegistry(transport=MockTransport(answer), lookup_deadline=1.0, monotonic=clock)
    ref = ImageRef("registry.test", "app", "v1")
    assert registry.digest(ref) == DIGEST
    clock.now += 60  # each lookup has a budget of its own, not one since the client was made
    assert registry.digest(ref) == DIGEST


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_a_lookup_deadline_that_is_not_positive_is_refused(bad: float) -> None:
    with pytest.raises(ConfigurationError, match="lookup_deadline must be a positive number"):
        HttpRegistry(transport=MockTransport(lambda r: Response(200)), lookup_deadline=bad)


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(seconds=-1)])
def test_a_scan_deadline_that_is_not_positive_is_refused(bad: timedelta) -> None:
    with pytest.raises(ConfigurationError, match="registry_scan_timeout must be a positive"):
        UpdateParams(registry_scan_timeout=bad)


@pytest.mark.parametrize(
    ("seconds", "start", "now", "left", "spent", "capped"),
    [
        (5.0, 100.0, 100.0, 5.0, False, 1.0),
        (5.0, 100.0, 104.5, 0.5, False, 0.5),
        (5.0, 100.0, 105.0, 0.0, True, 0.0),
        (5.0, 100.0, 200.0, 0.0, True, 0.0),
        (0.5, 100.0, 100.0, 0.5, False, 0.5),
    ],
)
def test_budget_arithmetic(
    seconds: float, start: float, now: float, left: float, spent: bool, capped: float
) -> None:
    budget = Budget.starting(seconds, start)
    assert budget.left(now) == pytest.approx(left)
    assert budget.spent(now) is spent
    assert budget.cap(1.0, now) == pytest.approx(capped)


def test_a_budget_within_another_ends_no_later() -> None:
    scan = Budget.starting(10.0, 100.0)
    assert Budget.starting(5.0, 102.0).within(scan) == Budget(5.0, 107.0)
    assert Budget.starting(5.0, 108.0).within(scan) == Budget(5.0, 110.0)
    assert Budget.starting(5.0, 108.0).within(None) == Budget(5.0, 113.0)


def test_fan_out_waits_no_longer_than_its_budget() -> None:
    """A call that hangs is left behind at the end; calls not started are never made."""
    release = threading.Event()
    called: list[str] = []

    def call(key: str) -> str:
        called.append(key)
        if key == "hangs":
            release.wait(30)
        return key.upper()

    clock = _Clock()
    try:
        started = time.monotonic()
        answers = fan_out(
            ["quick", "hangs", "never"],
            call,
            1,  # one at a time: "never" waits behind "hangs"
            Exception,
            until=(Budget.starting(0.5, clock.now), lambda key: TimeoutError(key)),
            monotonic=clock,
        )
        elapsed = time.monotonic() - started
    finally:
        release.set()
    assert elapsed < 0.5 + SLACK
    assert answers["quick"] == "QUICK"
    assert isinstance(answers["hangs"], TimeoutError)
    assert isinstance(answers["never"], TimeoutError)
    assert called == ["quick", "hangs"]
    assert list(answers) == ["quick", "hangs", "never"]


def test_fan_out_within_its_budget_is_fan_out() -> None:
    clock = _Clock()
    answers = fan_out(
        ["a", "b", "a"],
        str.upper,
        4,
        Exception,
        until=(Budget.starting(5.0, clock.now), lambda key: TimeoutError(key)),
        monotonic=clock,
    )
    assert answers == {"a": "A", "b": "B"}
