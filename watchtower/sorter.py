"""Dependency order of containers: links, ``network_mode: container:``, depends-on labels."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from attrs import frozen

from .model import Container

__all__ = ["Ordering", "dependency_graph", "sort_by_dependencies"]


@frozen
class Ordering:
    """The result of sorting containers by their dependencies.

    Attributes:
        order: Names of the containers not on a cycle, every one after
            everything it depends on.
        cycles: The containers on dependency cycles, one sorted tuple of names
            per strongly connected component; they must be skipped.
    """

    order: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...] = ()


def dependency_graph(containers: Sequence[Container]) -> dict[str, frozenset[str]]:
    """For each container's name, the names of the given containers it depends on."""
    raise NotImplementedError


def sort_by_dependencies(graph: Mapping[str, Collection[str]]) -> Ordering:
    """Order the graph's nodes so that each comes after its dependencies."""
    raise NotImplementedError
