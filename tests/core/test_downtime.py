"""Replacements in parallel: each container is down for its own stop, create and start only."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from watchtower import UpdateParams, update
from watchtower import replacement as replacement_module
from watchtower.model import Container
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

STEP = 0.02  # seconds each engine step takes


class SlowEngine:
    """An in-memory engine whose stops, creates and starts take time, noting when
    each container went down (its stop was asked) and came back (its replacement started)."""

    def __init__(self, engine: MemoryEngine, slow_stops: dict[str, float]) -> None:
        self.engine = engine
        self.slow_stops = slow_stops
        self.down: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        name = container.name.partition("-watchtower-")[0]
        with self._lock:
            self.down[name] = (time.monotonic(), float("inf"))
        time.sleep(self.slow_stops.get(name, STEP))
        self.engine.stop_container(container, signal=signal, timeout=timeout)

    def create_replacement(self, old: Container, image: Any) -> str:
        time.sleep(STEP)
        return self.engine.create_replacement(old, image)

    def start_container(self, container_id: str) -> None:
        time.sleep(STEP)
        self.engine.start_container(container_id)
        name = self.engine.get_container(container_id).name
        with self._lock:
            self.down[name] = (self.down[name][0], time.monotonic())


def fleet(count: int, slow_stops: dict[str, float] | None = None) -> tuple[SlowEngine, Any]:
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    for index in range(count):
        image = f"example.org/app{index}:1"
        registry.publish(image)
        engine.run(f"c{index}", image)
        registry.publish(image)
    return SlowEngine(engine, slow_stops or {}), registry


def test_independent_units_in_parallel_are_never_down_at_the_same_time() -> None:
    engine, registry = fleet(6)
    report = update(engine, registry, UpdateParams(update_concurrency=3))  # type: ignore[arg-type]
    assert len(report.updated) == 6
    spans = sorted(engine.down.values())
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


def test_a_stop_that_waits_out_its_timeout_does_not_hold_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replacement_module, "PATIENCE", 0.05)
    engine, registry = fleet(3, slow_stops={"c0": 0.6})
    report = update(engine, registry, UpdateParams(update_concurrency=3))  # type: ignore[arg-type]
    assert len(report.updated) == 3
    slow_start, slow_end = engine.down["c0"]
    # The others were replaced while c0 was still stopping.
    assert all(end < slow_start + 0.6 for name, (_, end) in engine.down.items() if name != "c0")
    assert slow_end >= slow_start + 0.6
