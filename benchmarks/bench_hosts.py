"""plan_hosts() and a push over a fleet of 50 in-memory engines of 20 containers each.

Prints the median wall time of planning every host (each engine runs the
same 20 images, a tenth of them stale, so every host pulls), the hosts and
containers planned, and the registry digest requests, which must equal the
distinct images however many hosts run them: one answer per image per scan.
Then a push of one stale image to the same fleet (``update_pushed``, a dry
run): one digest request in all, and every host's containers of that image.

Run with ``python benchmarks/bench_hosts.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timezone

from watchtower.fleet import Fleet
from watchtower.hosts import plan_hosts
from watchtower.plans import Status
from watchtower.push import parse_generic, update_pushed
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

RUNS = 5
HOSTS = 50
CONTAINERS = 20
IMAGES = 20


def fleet() -> tuple[dict[str, MemoryEngine], MemoryRegistry]:
    registry = MemoryRegistry(FixedClock())
    refs = [registry.publish(f"registry.example/app{i}:latest") for i in range(IMAGES)]
    engines = {}
    for host in range(HOSTS):
        engine = MemoryEngine(registry)
        for n in range(CONTAINERS):
            engine.run(f"c{n:03}", refs[n % IMAGES])
        engines[f"host{host:02}"] = engine
    for ref in refs[: IMAGES // 10]:
        registry.publish(ref)
    return engines, registry


def _push() -> bool:
    """One pushed image over the fleet: its containers on every host, one digest request."""
    times, requests, reached = [], 0, 0
    event = {"repository": "registry.example/app0", "tag": "latest"}
    for _ in range(RUNS):
        engines, registry = fleet()
        pushed = parse_generic(event, received=datetime.now(timezone.utc))
        start = time.perf_counter()
        report = update_pushed(pushed, Fleet.of(engines), registry, dry_run=True)
        times.append(time.perf_counter() - start)
        requests = registry.digest_requests
        reached = len(report.entries) if report is not None else 0
    median = statistics.median(times)
    wanted = HOSTS * CONTAINERS // IMAGES
    print(f"update_pushed() of one image on the {HOSTS} engines, median of {RUNS}")
    print(f"{'containers':>11} {'median s':>9} {'digest requests':>16}")
    print(f"{reached:>11} {median:>9.3f} {requests:>16}")
    print(f"target: the {wanted} containers of that image, with 1 digest request")
    return reached == wanted and requests == 1


def main() -> int:
    times, requests, planned, stale = [], 0, 0, 0
    for _ in range(RUNS):
        engines, registry = fleet()
        start = time.perf_counter()
        plans, failures = plan_hosts(engines, registry)
        times.append(time.perf_counter() - start)
        assert not failures, failures
        requests = registry.digest_requests
        planned = sum(len(p) for p in plans.values())
        stale = sum(1 for p in plans.values() for e in p if e.status is Status.STALE)
    median = statistics.median(times)
    print(f"plan_hosts() on {HOSTS} in-memory engines x {CONTAINERS} containers, median of {RUNS}")
    print(f"{'hosts':>6} {'containers':>11} {'stale':>6} {'median s':>9} {'digest requests':>16}")
    print(f"{HOSTS:>6} {planned:>11} {stale:>6} {median:>9.3f} {requests:>16}")
    print(f"distinct images: {IMAGES}; target: under 1 s with {IMAGES} digest requests")
    ok = median < 1.0 and requests == IMAGES and planned == HOSTS * CONTAINERS
    ok &= stale == HOSTS * CONTAINERS // 10
    ok &= _push()
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
