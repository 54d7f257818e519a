"""Dependency order of containers: links, ``network_mode: container:``, depends-on labels.

Two steps, both plain functions. :func:`dependency_graph` reads who depends on
whom from the containers' snapshots; the rest works on that graph alone
(a mapping from a name to the names it depends on):

* :func:`sort_by_dependencies` puts every container after its dependencies
  and sets aside those on dependency cycles, which cannot be ordered;
* :func:`dependents` finds what must restart when some containers restart;
* :func:`components` splits a set of containers into groups that can be
  replaced independently of each other.

Every result depends only on the graph, never on the order in which the
containers or their dependencies were listed: ties are broken by name.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence

from attrs import frozen

from ._text import load_json
from .labels import COMPOSE_DEPENDS_ON, COMPOSE_PROJECT, COMPOSE_SERVICE, DEPENDS_ON, read_list
from .model import Container

__all__ = [
    "Ordering",
    "components",
    "dependency_graph",
    "dependents",
    "parse_compose_depends_on",
    "sort_by_dependencies",
]


@frozen
class Ordering:
    """The result of sorting containers by their dependencies.

    Attributes:
        order: Names of the containers not on a cycle, every one after
            everything it depends on (a dependency on a cycle member does not
            hold it back); ties are broken by name.
        cycles: The containers on dependency cycles, one sorted tuple of names
            per strongly connected component, in sorted order; they cannot be
            ordered, so they must be skipped.
    """

    order: tuple[str, ...]
    cycles: tuple[tuple[str, ...], ...] = ()


# ---------------------------------------------------------------------------
# Reading dependencies from containers


def parse_compose_depends_on(value: str) -> tuple[str, ...]:
    """The service names in a ``com.docker.compose.depends_on`` label value.

    Compose writes ``service:condition:required`` entries separated by commas
    (``db:service_healthy:true,cache:service_started:false``); a bare
    ``service`` is accepted too, and so is a JSON object keyed by service,
    which some Compose versions wrote.

    Args:
        value: The label's value.

    Returns:
        The service names, in the label's order, without duplicates.
    """
    text = value.strip()
    names: Iterable[str] | None = None
    if text.startswith("{"):
        try:
            parsed = load_json(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            names = (str(key).strip() for key in parsed)
    if names is None:
        names = (entry.split(":", 1)[0].strip() for entry in text.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def _link_target(link: str) -> str:
    # Docker reports links as "/db:/web/db" (target, then alias path); users
    # write "db:alias" or "db". The target is the part before the colon.
    return link.split(":", 1)[0].strip().lstrip("/")


class _Resolver:
    """Finds containers by name, id or id prefix, as the Docker engine does."""

    def __init__(self, containers: Sequence[Container]) -> None:
        self.names = {c.name for c in containers}
        self.name_by_id = {c.id: c.name for c in containers if c.id}
        self._sorted_ids = sorted(self.name_by_id)

    def by_reference(self, ref: str) -> str | None:
        # The engine's own order: a full id, then a name, then a unique id prefix.
        ref = ref.strip()
        if not ref:
            return None
        if ref in self.name_by_id:
            return self.name_by_id[ref]
        name = ref.lstrip("/")
        if name in self.names:
            return name
        matches = self._ids_with_prefix(ref)
        if len(matches) == 1:
            return self.name_by_id[matches[0]]
        return None

    def _ids_with_prefix(self, prefix: str) -> list[str]:
        # Two are enough to tell a unique prefix from an ambiguous one.
        ids = self._sorted_ids
        lo, hi = 0, len(ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if ids[mid] < prefix:
                lo = mid + 1
            else:
                hi = mid
        return [i for i in ids[lo : lo + 2] if i.startswith(prefix)]


def _network_supplier(container: Container) -> str | None:
    mode = container.network_mode.strip()
    if not mode.startswith("container:"):
        return None
    return mode[len("container:") :]


def dependency_graph(
    containers: Sequence[Container], *, use_compose_depends_on: bool = True
) -> dict[str, frozenset[str]]:
    """For each container's name, the names of the given containers it depends on.

    A container depends on every container that any of these name:

    * its links (``db``, ``db:alias`` or Docker's ``/db:/web/db``: the target
      counts);
    * its ``network_mode`` when that is ``container:<name or id>``: a full id,
      a name, or an id prefix that fits exactly one container, in the order
      the engine tries them;
    * its ``com.centurylinklabs.watchtower.depends-on`` label: container names
      separated by commas;
    * its ``com.docker.compose.depends_on`` label (unless
      ``use_compose_depends_on`` is false): Compose service names, meaning
      every container of that service in the same Compose project, never one
      of another project.

    Unlike Watchtower, where the depends-on label replaces the links and the
    network supplier, every source adds to the others: a container that shares
    another's network namespace breaks when that one is recreated, whatever
    its labels say.

    Names that are not among ``containers`` are dropped: those containers are
    not ours to order. A container that names itself depends on itself, which
    :func:`sort_by_dependencies` reports as a cycle.

    Args:
        containers: The containers to order.
        use_compose_depends_on: Whether Compose's ``depends_on`` label counts.

    Returns:
        A mapping with one entry per container name (containers sharing a name
        share an entry).
    """
    resolver = _Resolver(containers)
    services: dict[tuple[str | None, str], set[str]] = {}
    for c in containers:
        service = c.labels.get(COMPOSE_SERVICE)
        if service is not None:
            key = (c.labels.get(COMPOSE_PROJECT), service.strip())
            services.setdefault(key, set()).add(c.name)

    graph: dict[str, set[str]] = {c.name: set() for c in containers}
    for c in containers:
        deps = graph[c.name]
        deps.update(_link_target(link) for link in c.links)
        deps.update(read_list(c, DEPENDS_ON))
        supplier = _network_supplier(c)
        if supplier is not None:
            resolved = resolver.by_reference(supplier)
            if resolved is not None:
                deps.add(resolved)
        if use_compose_depends_on and COMPOSE_DEPENDS_ON in c.labels:
            project = c.labels.get(COMPOSE_PROJECT)
            for service in parse_compose_depends_on(c.labels[COMPOSE_DEPENDS_ON]):
                deps.update(services.get((project, service), ()))
    return {name: frozenset(d for d in deps if d in graph) for name, deps in graph.items()}


# ---------------------------------------------------------------------------
# Working on the graph


def _successors(
    graph: Mapping[str, Collection[str]], nodes: Collection[str] | None = None
) -> dict[str, frozenset[str]]:
    """The graph restricted to ``nodes`` (default: its keys), edges deduplicated."""
    if nodes is None:
        nodes = graph.keys()
    keep = set(nodes)
    return {n: frozenset(d for d in graph.get(n, ()) if d in keep) for n in keep}


def _strong_components(succ: Mapping[str, Collection[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, with an explicit stack (no recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in succ:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(succ[root]))]
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                    break
                if nxt in on_stack and index[nxt] < low[node]:
                    low[node] = index[nxt]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[node] < low[parent]:
                        low[parent] = low[node]
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(component)
    return found


def _is_cycle(component: Sequence[str], succ: Mapping[str, Collection[str]]) -> bool:
    return len(component) > 1 or component[0] in succ[component[0]]


def _kahn(succ: Mapping[str, Collection[str]]) -> list[str]:
    """Topological order of an acyclic graph, the smallest name first among the ready."""
    waiting = {n: len(deps) for n, deps in succ.items()}
    users: dict[str, list[str]] = {n: [] for n in succ}
    for n, deps in succ.items():
        for d in deps:
            users[d].append(n)
    ready = [n for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for user in users[n]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    return order


def sort_by_dependencies(graph: Mapping[str, Collection[str]]) -> Ordering:
    """Order the graph's nodes so that each comes after its dependencies.

    The nodes are the graph's keys; dependencies on names that are not keys
    are ignored. Nodes on a cycle (a strongly connected component of more than
    one node, or a node that depends on itself) cannot be ordered and are
    reported apart; edges to them are ignored when ordering the rest. Among
    nodes that are ready at the same time the smallest name comes first, so
    the result depends only on the graph. Runs in linear time.

    Args:
        graph: For each node, the nodes it depends on.

    Returns:
        The order of the nodes not on a cycle, and the cycles.
    """
    succ = _successors(graph)
    cycles = sorted(
        tuple(sorted(component))
        for component in _strong_components(succ)
        if _is_cycle(component, succ)
    )
    on_cycle = {n for cycle in cycles for n in cycle}
    acyclic = {n: deps - on_cycle for n, deps in succ.items() if n not in on_cycle}
    return Ordering(tuple(_kahn(acyclic)), tuple(cycles))


def dependents(graph: Mapping[str, Collection[str]], roots: Collection[str]) -> frozenset[str]:
    """Every node that depends on one of ``roots``, directly or through others.

    A root is in the result only when it depends on a root itself (for example
    through a cycle). Runs in linear time.

    Args:
        graph: For each node, the nodes it depends on.
        roots: The nodes whose dependents are wanted; they need not be keys.

    Returns:
        The dependents of ``roots``.
    """
    users: dict[str, list[str]] = {}
    for n, deps in graph.items():
        for d in set(deps):
            users.setdefault(d, []).append(n)
    found: set[str] = set()
    todo = [u for r in set(roots) for u in users.get(r, ())]
    while todo:
        n = todo.pop()
        if n not in found:
            found.add(n)
            todo.extend(users.get(n, ()))
    return frozenset(found)


def components(
    graph: Mapping[str, Collection[str]], nodes: Collection[str]
) -> tuple[tuple[str, ...], ...]:
    """Split ``nodes`` into groups that share no dependency edge.

    Only edges between two of ``nodes`` count (the subgraph they induce); two
    nodes are in one group when a chain of such edges, followed in either
    direction, joins them. Each group lists its nodes in dependency order, as
    :func:`sort_by_dependencies` gives it; should a group hold a cycle, the
    cycle's members stand together, sorted by name, where the cycle as a
    whole fits. The groups are sorted by their first member.

    Args:
        graph: For each node, the nodes it depends on.
        nodes: The nodes to split; names that are not keys have no edges.

    Returns:
        The groups.
    """
    succ = _successors(graph, nodes)
    # Union-find over the undirected edges, with path halving.
    parent = {n: n for n in succ}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n, deps in succ.items():
        for d in deps:
            a, b = find(n), find(d)
            if a != b:
                parent[max(a, b)] = min(a, b)

    # Order every group through its condensation: a strongly connected
    # component is one unit, named by its smallest member.
    unit_of: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for component in _strong_components(succ):
        component.sort()
        members[component[0]] = component
        for n in component:
            unit_of[n] = component[0]
    unit_succ: dict[str, set[str]] = {u: set() for u in members}
    for n, deps in succ.items():
        unit_succ[unit_of[n]].update(unit_of[d] for d in deps)
    for unit, unit_deps in unit_succ.items():
        unit_deps.discard(unit)

    groups: dict[str, list[str]] = {}
    for unit in _kahn(unit_succ):
        groups.setdefault(find(unit), []).extend(members[unit])
    return tuple(sorted(tuple(group) for group in groups.values()))
