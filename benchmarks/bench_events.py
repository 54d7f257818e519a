"""What a run's events cost, and what a slow observer costs a container.

Prints, on the in-memory backends: the median time of update() over 1,000
containers (10 % stale) with no observer and with one that keeps every
event, and the events told; then the stop-to-start gap of one replaced
container with no observer and with one that takes 0.2 s an event, which
must not grow by the observer's time (its events go through the run's
delivery thread, never the thread that stops and starts).

Run with ``python benchmarks/bench_events.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from watchtower import UpdateParams, update
from watchtower.events import Event
from watchtower.model import Container
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

RUNS = 5
SLOW = 0.2  # seconds the slow observer takes per event


def fleet(containers: int, images: int) -> tuple[MemoryEngine, MemoryRegistry]:
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    refs = [registry.publish(f"registry.example/app{i}:latest") for i in range(images)]
    for n in range(containers):
        engine.run(f"c{n:05}", refs[n % images])
    for ref in refs[: images // 10]:
        registry.publish(ref)
    return engine, registry


class Gap:
    """An in-memory engine noting when its one container's stop and start ended."""

    def __init__(self, engine: MemoryEngine) -> None:
        self.engine = engine
        self.stopped = self.started = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        self.engine.stop_container(container, signal=signal, timeout=timeout)
        self.stopped = time.monotonic()

    def start_container(self, container_id: str) -> None:
        self.engine.start_container(container_id)
        self.started = time.monotonic()


def run_time(keep: bool) -> tuple[float, int]:
    """Median seconds of a run over 1,000 containers, and the events told."""
    times, told = [], 0
    for _ in range(RUNS):
        engine, registry = fleet(1_000, 100)
        seen: list[Event] = []
        start = time.perf_counter()
        update(engine, registry, UpdateParams(), observer=seen.append if keep else None)
        times.append(time.perf_counter() - start)
        told = len(seen)
    return statistics.median(times), told


def gap(delay: float) -> float:
    """Seconds between the end of a container's stop and the end of its replacement's start."""
    registry = MemoryRegistry(FixedClock())
    memory = MemoryEngine(registry)
    memory.run("web", registry.publish("registry.example/web:1"))
    registry.publish("registry.example/web:1")  # a newer one: web is replaced
    engine = Gap(memory)

    def slow(event: Event) -> None:
        time.sleep(delay)

    report = update(engine, registry, UpdateParams(), observer=slow if delay else None)  # type: ignore[arg-type]
    assert len(report.updated) == 1
    return engine.started - engine.stopped


def main() -> int:
    bare, _ = run_time(keep=False)
    kept, told = run_time(keep=True)
    print(f"update() over 1,000 containers (100 stale), median of {RUNS} runs")
    print(f"  no observer:           {bare:.3f} s")
    print(f"  an observer keeping:   {kept:.3f} s ({told} events, {told / 1_000:.1f} a container)")
    quick, slow = gap(0.0), gap(SLOW)
    print("one container's stop-to-start gap")
    print(f"  no observer:           {quick * 1e3:.2f} ms")
    print(f"  {SLOW} s an event:        {slow * 1e3:.2f} ms (told in line it would add {SLOW} s)")
    ok = slow < quick + SLOW / 2
    print("ok" if ok else "FAILED: the slow observer added downtime")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
