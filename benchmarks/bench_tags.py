"""plan() with tag rules: 1,000 containers over 100 repositories of 500 tags each.

Every container has a tag rule (patch, minor or major, some on a suffixed
variant), so each repository's 500 tags are listed once and read by ten
containers' rules. Prints the median wall and CPU time of a plan on the
in-memory backends, and the tag list requests, which must equal the number
of repositories. The CPU time must stay under a second: it is the work done,
which the wall time also shows on a quiet machine, but not on a shared one
whose other processes take the cores.

Run with ``python benchmarks/bench_tags.py``.
"""

from __future__ import annotations

import statistics
import sys
import time

from watchtower import UpdateParams, plan
from watchtower import labels as L
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

RUNS = 5
CONTAINERS = 1_000
REPOSITORIES = 100
TAGS = 500
LIMIT = 1.0
BOUNDS = ("patch", "minor", "major")


def tags() -> list[str]:
    """500 tags: 4 majors x 10 minors x 10 patches, plus an -alpine variant of some."""
    plain = [f"{a}.{b}.{c}" for a in range(4) for b in range(10) for c in range(10)]
    return plain + [f"{t}-alpine" for t in plain[: TAGS - len(plain)]]


def fleet() -> tuple[MemoryEngine, MemoryRegistry]:
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    listed = tags()
    for r in range(REPOSITORIES):
        for tag in listed:
            registry.publish(f"registry.example/app{r}:{tag}")
    for n in range(CONTAINERS):
        current = listed[(n * 37) % len(listed)]
        engine.run(
            f"c{n:05}",
            f"registry.example/app{n % REPOSITORIES}:{current}",
            labels={L.TAG_RULE: BOUNDS[n % len(BOUNDS)]},
        )
    return engine, registry


def main() -> int:
    engine, registry = fleet()
    times, cpu_times = [], []
    for _ in range(RUNS):
        registry.requests.clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        the_plan = plan(engine, registry, UpdateParams(), pull=False)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    listings = sum(n for (method, _), n in registry.requests.items() if method == "tags")
    moved = sum(1 for entry in the_plan if entry.new_reference is not None)
    median, cpu = statistics.median(times), statistics.median(cpu_times)
    print(
        f"plan() with tag rules: {CONTAINERS} containers, {REPOSITORIES} repositories, "
        f"{TAGS} tags each"
    )
    print(
        f"median of {RUNS} runs: {median:.3f} s wall, {cpu:.3f} s CPU "
        f"({cpu / CONTAINERS * 1e6:.0f} us CPU/container)"
    )
    print(f"tag list requests per scan: {listings}; containers moving to a newer tag: {moved}")
    ok = cpu < LIMIT and listings == REPOSITORIES
    if not ok:
        print(f"FAILED: want under {LIMIT} s of CPU and {REPOSITORIES} tag lists", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
