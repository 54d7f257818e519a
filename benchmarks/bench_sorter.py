"""Benchmark: reading and sorting the dependencies of 10,000 containers.

Prints the time each step of :mod:`watchtower.sorter` takes, best of a few runs.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Callable

from watchtower.labels import COMPOSE_DEPENDS_ON, COMPOSE_PROJECT, COMPOSE_SERVICE, DEPENDS_ON
from watchtower.model import Container, ImageRef
from watchtower.sorter import components, dependency_graph, dependents, sort_by_dependencies

IMAGE = ImageRef("docker.io", "library/busybox", "latest")


def make_containers(count: int, seed: int = 1) -> list[Container]:
    """Compose projects of five services, plain containers linked to each other, a few cycles."""
    rnd = random.Random(seed)
    containers: list[Container] = []

    def add(name: str, **kwargs: object) -> None:
        cid = hashlib.sha256(name.encode()).hexdigest()
        containers.append(
            Container(id=cid, name=name, image=IMAGE, image_id="sha256:" + "0" * 64, **kwargs)  # type: ignore[arg-type]
        )

    project = 0
    while len(containers) < count * 3 // 5:
        p = f"proj{project}"
        project += 1
        for service, deps, replicas in (
            ("db", "", 1),
            ("cache", "", 1),
            ("api", "db:service_healthy:true,cache:service_started:false", 2),
            ("web", "api:service_started:true", 1),
        ):
            for n in range(1, replicas + 1):
                labels = {COMPOSE_PROJECT: p, COMPOSE_SERVICE: service}
                if deps:
                    labels[COMPOSE_DEPENDS_ON] = deps
                add(f"{p}-{service}-{n}", labels=labels)
    plain: list[str] = []
    while len(containers) < count:
        name = f"c{len(containers)}"
        kwargs: dict[str, object] = {}
        if plain and rnd.random() < 0.5:
            targets = rnd.sample(plain, min(2, len(plain)))
            kwargs["links"] = tuple(f"/{d}:/{name}/{d}" for d in targets)
        if plain and rnd.random() < 0.2:
            supplier = rnd.choice(plain)
            supplier_id = hashlib.sha256(supplier.encode()).hexdigest()
            kwargs["network_mode"] = "container:" + supplier_id[:12]
        if plain and rnd.random() < 0.2:
            kwargs["labels"] = {DEPENDS_ON: ", ".join(rnd.sample(plain, min(3, len(plain))))}
        if rnd.random() < 0.005:
            # A cycle: this container and the next name each other.
            partner = f"c{len(containers) + 1}"
            add(name, labels={DEPENDS_ON: partner})
            add(partner, labels={DEPENDS_ON: name})
            plain += [name, partner]
            continue
        add(name, **kwargs)
        plain.append(name)
    return containers


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--containers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    containers = make_containers(args.containers)
    graph = dependency_graph(containers)
    ordering = sort_by_dependencies(graph)
    edges = sum(len(d) for d in graph.values())
    roots = [c.name for c in containers[::50]]
    restart = dependents(graph, roots) | set(roots)
    print(
        f"sorter: {len(containers)} containers, {edges} dependency edges, "
        f"{len(ordering.cycles)} cycles, {len(restart)} to restart from {len(roots)} stale"
    )
    steps: list[tuple[str, Callable[[], object]]] = [
        ("dependency_graph", lambda: dependency_graph(containers)),
        ("sort_by_dependencies", lambda: sort_by_dependencies(graph)),
        ("dependents", lambda: dependents(graph, roots)),
        ("components", lambda: components(graph, restart)),
    ]
    for label, fn in steps:
        seconds = best(fn, args.runs)
        per = seconds / len(containers) * 1e6
        print(f"  {label:<22} {seconds * 1e3:8.1f} ms  ({per:.2f} us per container)")


if __name__ == "__main__":
    main()
