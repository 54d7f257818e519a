"""update() over 1,000 and 10,000 containers on the in-memory backends.

Prints the median wall time of a whole run (10 % of the containers stale),
the time per container, the growth from 1,000 to 10,000, and the number of
registry digest requests, which must equal the number of distinct images.

Run with ``python benchmarks/bench_update.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import time

from watchtower import UpdateParams, update
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

RUNS = 5


def fleet(containers: int, images: int) -> tuple[MemoryEngine, MemoryRegistry]:
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    refs = [registry.publish(f"registry.example/app{i}:latest") for i in range(images)]
    for n in range(containers):
        engine.run(f"c{n:05}", refs[n % images])
    # A tenth of the images get a new version: a tenth of the containers are stale.
    for ref in refs[: images // 10]:
        registry.publish(ref)
    return engine, registry


def measure(containers: int, images: int) -> tuple[float, int, int]:
    """Median seconds of a run, digest requests and containers updated."""
    times, requests, updated = [], 0, 0
    for _ in range(RUNS):
        engine, registry = fleet(containers, images)
        start = time.perf_counter()
        report = update(engine, registry, UpdateParams())
        times.append(time.perf_counter() - start)
        requests, updated = registry.digest_requests, len(report.updated)
    return statistics.median(times), requests, updated


def calls(containers: int, images: int) -> int:
    """Python function calls of one run: the work done, free of the machine's noise."""
    engine, registry = fleet(containers, images)
    profile = cProfile.Profile()
    profile.runcall(update, engine, registry, UpdateParams())
    return int(pstats.Stats(profile).total_calls)


def main() -> int:
    print("update() on the in-memory backends, median of", RUNS, "runs")
    print(
        f"{'containers':>10} {'images':>7} {'stale':>6} {'median s':>9} "
        f"{'us/container':>13} {'calls/container':>16} {'digest requests':>16}"
    )
    results, work = {}, {}
    ok = True
    for containers, images in ((1_000, 100), (10_000, 1_000)):
        median, requests, updated = measure(containers, images)
        results[containers], work[containers] = median, calls(containers, images)
        print(
            f"{containers:>10} {images:>7} {updated:>6} {median:>9.3f} "
            f"{median / containers * 1e6:>13.1f} {work[containers] / containers:>16.1f} "
            f"{requests:>16}"
        )
        ok &= requests == images and updated == containers // 10
    growth = results[10_000] / results[1_000]
    print(
        f"growth from 1,000 to 10,000 containers: time x{growth:.1f}, "
        f"function calls x{work[10_000] / work[1_000]:.2f} (linear is x10)"
    )
    ok &= work[10_000] / work[1_000] < 10.5
    print(f"10,000 containers: {results[10_000]:.2f} s (target: under 2 s)")
    ok &= results[10_000] < 2.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
