"""Plan and run an update on the in-memory backends: no engine, no registry.

Run it with ``python examples/in_memory.py``.
"""

from __future__ import annotations

from watchtower import Event, UpdateParams, plan, update
from watchtower.testing import MemoryEngine, MemoryRegistry

registry = MemoryRegistry()
engine = MemoryEngine(registry)

registry.publish("example.org/db:16")
registry.publish("example.org/web:2")
engine.run("db", "example.org/db:16")
engine.run("web", "example.org/web:2", network_mode="container:db")
engine.run("worker", "example.org/web:2")

registry.publish("example.org/db:16")  # a new build of db:16 is pushed

print(plan(engine, registry).describe())
print()


def show(event: Event) -> None:
    print(event.describe())


report = update(engine, registry, UpdateParams(cleanup=True), observer=show)
print()
print(report.summary())
for entry in report:
    print(f"{entry.name:<7} {entry.outcome.value:<9} {entry.reason}")
