"""The fork's pkg/sorter/sorter_test.go (SortByDependencies), run against :mod:`watchtower.sorter`.

The fork's sorter also moves watchtower instances to the end; here that
order belongs to the plan (its units, with watchtower's last), so those two
cases run through :func:`watchtower.plan` on the in-memory engine. Cases
decided differently are in deviations.py.
"""

from __future__ import annotations

import pytest

from tests.conformance.deviations import deviation
from watchtower import UpdateParams, plan
from watchtower import labels as L
from watchtower.model import Container, ImageRef
from watchtower.sorter import dependency_graph, sort_by_dependencies
from watchtower.testing import MemoryEngine, MemoryRegistry

SOURCE = "nicholas-fedor/watchtower pkg/sorter/sorter_test.go"


def _container(name: str, *links: str) -> Container:
    return Container(
        id=f"id-{name}".ljust(64, "0"),
        name=name,
        image=ImageRef("docker.io", "library/app", "1"),
        image_id="sha256:" + "1" * 64,
        links=links,
    )


# (case, containers as (name, links...) in the engine's order, the fork's expected order)
CASES = [
    ("sorts containers with no links first", [("c1", "c2"), ("c2",)], "c2, c1"),
    ("handles multiple dependencies", [("c1", "c2", "c3"), ("c2", "c3"), ("c3",)], "c3, c2, c1"),
    ("handles missing dependencies gracefully", [("c1", "c2"), ("c3",)], "c3, c1"),
    ("handles empty list", [], ""),
    ("simple chain with slashes", [("c",), ("b", "/c"), ("a", "/b")], "c, b, a"),
    (
        "multiple dependencies with slashes",
        [("d",), ("c",), ("b", "/d"), ("a", "/b", "/c")],
        "d, c, b, a",
    ),
    ("diamond dependency graph", [("d",), ("b", "/d"), ("c", "/d"), ("a", "/b", "/c")], None),
    ("no dependencies", [("c",), ("b",), ("a",)], "c, b, a"),
]


@pytest.mark.parametrize(("case", "containers", "expected"), CASES, ids=[c[0] for c in CASES])
def test_sort_by_dependencies(
    case: str, containers: list[tuple[str, ...]], expected: str | None
) -> None:
    graph = dependency_graph([_container(*spec) for spec in containers])
    order = sort_by_dependencies(graph).order
    if expected is None:  # the diamond: only its ends are fixed
        assert (order[0], order[-1]) == ("d", "a")
        return
    marked = deviation(SOURCE, "SortByDependencies", case)
    if marked is not None:
        assert (marked.theirs, ", ".join(order)) == (expected, marked.ours)
    else:
        assert ", ".join(order) == expected


def test_circular_references() -> None:
    """SortByDependencies "detects circular references": here the cycle is skipped, not fatal."""
    marked = deviation(SOURCE, "SortByDependencies", "detects circular references")
    assert marked is not None
    graph = dependency_graph([_container("c1", "c2"), _container("c2", "c1"), _container("c3")])
    ordering = sort_by_dependencies(graph)
    assert (ordering.order, ordering.cycles) == (("c3",), (("c1", "c2"),))


# (case, containers as (name, is watchtower, links...) in the engine's order, the fork's order
# of the others, and the watchtower instances, whose own order the fork leaves open)
LAST_CASES = [
    (
        "places Watchtower containers last",
        [("watchtower", True), ("c1", False, "c2"), ("c2", False)],
        (["c2", "c1"], {"watchtower"}),
    ),
    (
        "places multiple Watchtower containers last",
        [("watchtower1", True), ("c1", False, "c2"), ("watchtower2", True), ("c2", False)],
        (["c2", "c1"], {"watchtower1", "watchtower2"}),
    ),
]


@pytest.mark.parametrize(
    ("case", "containers", "expected"), LAST_CASES, ids=[c[0] for c in LAST_CASES]
)
@pytest.mark.parametrize("prefix", ["", "0-"], ids=["fork's names", "watchtower named first"])
def test_watchtower_instances_come_last(
    case: str,
    containers: list[tuple[object, ...]],
    expected: tuple[list[str], set[str]],
    prefix: str,
) -> None:
    # The sorter breaks ties by name, under which the fork's names already put
    # watchtower last; the prefix makes the names sort it first.
    def named(name: object) -> str:
        return f"{prefix}{name}" if str(name).startswith("watchtower") else str(name)

    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    registry.publish("example.org/app:1")
    for name, is_watchtower, *links in containers:
        labels = {L.WATCHTOWER: "true"} if is_watchtower else {}
        engine.run(named(name), "example.org/app:1", labels=labels, links=[str(n) for n in links])
    registry.publish("example.org/app:1")
    the_plan = plan(engine, registry, UpdateParams(self_update=True))
    order = [name for unit in the_plan.units for name in unit]
    apps, last = expected
    assert order[: len(apps)] == apps, case
    assert set(order[len(apps) :]) == {named(n) for n in last}, case
