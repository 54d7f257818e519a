"""A day of a fleet of 50 engines and 200 images on one registry quota, with and without a budget.

The registry is Docker Hub's anonymous quota: 100 pulls in any 6 hours for
the fleet's one address, told in ``ratelimit-limit``/``ratelimit-remaining``
on every answer, a ``HEAD`` not counted, a pull beyond it refused (429).
It is asked through :class:`~watchtower.registry.HttpRegistry` over a
:class:`~watchtower.registry.MockTransport`, and the engines are in-memory;
time is a fixed clock moved by hand. Each engine runs 20 of the images
(each image on 5 engines), and every image is pushed anew once during the
day, at evenly spread times.

One process polls every engine every 5 minutes (``--interval 300``, a
usual setting) or once a day (Watchtower's default, 24 hours), with no
budget (today's behaviour) and with ``--registry-quota-share 0.5``. Printed:
registry requests per host per day (every ``HEAD`` and pull the registry
saw, over the 50 hosts), the pulls among them, the pulls refused with 429,
containers on the newest image at the day's end, and deferrals.

Run with ``python benchmarks/bench_quota.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone

from watchtower import UpdateParams
from watchtower.errors import EngineError
from watchtower.hosts import update_hosts
from watchtower.model import Image, ImageRef
from watchtower.quota import QuotaBook
from watchtower.registry import HttpRegistry, MockTransport, Request, Response
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

HOSTS = 50
IMAGES = 200
PER_HOST = 20
LIMIT = 100
WINDOW = timedelta(hours=6)
DAY = timedelta(days=1)
DOMAIN = "registry.example"
START = datetime(2026, 1, 5, tzinfo=timezone.utc)


class Hub:
    """A registry with Docker Hub's anonymous quota: pulls counted in a rolling window."""

    def __init__(self, served: MemoryRegistry, clock: FixedClock) -> None:
        self.served = served
        self.clock = clock
        self.pulls: deque[datetime] = deque()
        self.requests = 0
        self.counted = 0
        self.refused = 0
        self._lock = threading.Lock()

    def _remaining(self) -> int:
        now = self.clock()
        while self.pulls and now - self.pulls[0] >= WINDOW:
            self.pulls.popleft()
        return max(0, LIMIT - len(self.pulls))

    def answer(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
            headers = {
                "ratelimit-limit": f"{LIMIT};w={int(WINDOW.total_seconds())}",
                "ratelimit-remaining": f"{self._remaining()};w={int(WINDOW.total_seconds())}",
            }
        path = request.url.split("/v2/", 1)[1]
        if "/manifests/" not in path:
            return Response(200, headers)
        repository, tag = path.split("/manifests/")
        digest = self.served.served(f"{DOMAIN}/{repository}:{tag}")[0]
        return Response(200, {**headers, "Docker-Content-Digest": digest})

    def pull(self) -> bool:
        with self._lock:
            self.requests += 1
            if self._remaining() <= 0:
                self.refused += 1
                return False
            self.counted += 1
            self.pulls.append(self.clock())
            return True


class Engine(MemoryEngine):
    """An in-memory engine whose pulls are the hub's counted manifest GETs."""

    def __init__(self, served: MemoryRegistry, hub: Hub) -> None:
        super().__init__(served)
        self.hub = hub

    def pull_image(self, ref: ImageRef) -> Image:
        if not self.hub.pull():
            raise EngineError(f"Could not pull {ref.familiar}: 429 Too Many Requests")
        return super().pull_image(ref)


def day(interval: timedelta, share: float | None) -> dict[str, float]:
    clock = FixedClock(START)
    served = MemoryRegistry(clock)
    hub = Hub(served, clock)
    refs = [served.publish(f"{DOMAIN}/app{i:03}:latest") for i in range(IMAGES)]
    engines = {}
    for host in range(HOSTS):
        engine = Engine(served, hub)
        for k in range(PER_HOST):
            index = (host * PER_HOST + k) % IMAGES
            engine.run(f"app{index:03}", refs[index])
        engines[f"host{host:02}"] = engine
    pushes = {i: START + DAY * (i + 0.5) / IMAGES for i in range(IMAGES)}
    book = QuotaBook(clock)
    registry = HttpRegistry(transport=MockTransport(hub.answer), quota=book, clock=clock)
    params = UpdateParams(registry_quota_share=share, check_concurrency=8)
    deferred = scans = 0
    pushed: set[int] = set()
    at = START
    while at + interval <= START + DAY:
        at += interval
        clock.now = at
        for index, when in pushes.items():
            if when <= at and index not in pushed:
                served.publish(refs[index])
                pushed.add(index)
        report = update_hosts(engines, registry, params, clock=clock, quota=book).total
        deferred += len(report.deferred)
        scans += 1
    newest = sum(
        1
        for engine in engines.values()
        for container in engine.containers()
        if container.image_id == served.served(container.image)[1]
    )
    return {
        "scans": scans,
        "per_host": hub.requests / HOSTS,
        "pulls_per_host": hub.counted / HOSTS,
        "refused": hub.refused,
        "newest": newest,
        "deferred": deferred,
    }


def main() -> int:
    print(
        f"A day of {HOSTS} engines x {PER_HOST} containers, {IMAGES} images each pushed once, "
        f"one quota of {LIMIT} pulls per {WINDOW.total_seconds() / 3600:g} h"
    )
    print(
        f"{'interval':>9} {'budget':>7} {'scans':>6} {'requests/host/day':>18} "
        f"{'pulls/host/day':>15} {'refused (429)':>14} {'newest':>7} {'deferred':>9} {'s':>6}"
    )
    ok = True
    for interval in (timedelta(minutes=5), timedelta(hours=24)):
        for share in (None, 0.5):
            start = time.perf_counter()
            figures = day(interval, share)
            took = time.perf_counter() - start
            print(
                f"{int(interval.total_seconds()):>9} {share or 'off':>7} "
                f"{figures['scans']:>6.0f} {figures['per_host']:>18.1f} "
                f"{figures['pulls_per_host']:>15.2f} {figures['refused']:>14.0f} "
                f"{figures['newest']:>7.0f}/{HOSTS * PER_HOST} {figures['deferred']:>9.0f} "
                f"{took:>6.1f}"
            )
            if share is not None:
                ok &= figures["refused"] == 0
                if interval == DAY:  # one scan: at most its share of the whole quota
                    ok &= figures["pulls_per_host"] * HOSTS <= share * LIMIT
    print("target: no pull refused with the shared budget; one scan pulls at most its share")
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
