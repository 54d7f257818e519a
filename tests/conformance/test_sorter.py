"""The fork's pkg/sorter/sorter_test.go (SortByDependencies), run against :mod:`watchtower.sorter`.

The fork's sorter also moves watchtower instances to the end; here that
order belongs to the orchestrator, not the sorter, and is not there yet
(issue 10), so those two cases are not ported: they belong in a test of
update() on the in-memory engine once it is. Cases decided differently are
in deviations.py.
"""

from __future__ import annotations

import pytest

from tests.conformance.deviations import deviation
from watchtower.model import Container, ImageRef
from watchtower.sorter import dependency_graph, sort_by_dependencies

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
