"""Dependency order: reading the graph from containers, and sorting it."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.labels import COMPOSE_DEPENDS_ON, COMPOSE_PROJECT, COMPOSE_SERVICE, DEPENDS_ON
from watchtower.model import Container, ImageRef
from watchtower.sorter import (
    Ordering,
    components,
    dependency_graph,
    dependents,
    parse_compose_depends_on,
    sort_by_dependencies,
)

IMAGE = ImageRef("docker.io", "library/busybox", "latest")


def container_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def ctr(
    name: str,
    *,
    id: str | None = None,
    links: tuple[str, ...] = (),
    network_mode: str = "default",
    labels: Mapping[str, str] | None = None,
) -> Container:
    return Container(
        id=id or container_id(name),
        name=name,
        image=IMAGE,
        image_id="sha256:" + "0" * 64,
        links=links,
        network_mode=network_mode,
        labels=labels,
    )


def compose(
    project: str, service: str, number: int = 1, depends_on: str | None = None
) -> Container:
    labels = {COMPOSE_PROJECT: project, COMPOSE_SERVICE: service}
    if depends_on is not None:
        labels[COMPOSE_DEPENDS_ON] = depends_on
    return ctr(f"{project}-{service}-{number}", labels=labels)


# ---------------------------------------------------------------------------
# dependency_graph: one table per source


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        (("db",), {"db"}),
        (("/db",), {"db"}),
        (("db:database",), {"db"}),
        (("/db:/web/db",), {"db"}),
        (("/db:/web/db", "/cache:/web/cache"), {"db", "cache"}),
        (("/missing:/web/missing",), set()),
        ((":alias", ""), set()),
    ],
)
def test_links(links: tuple[str, ...], expected: set[str]) -> None:
    graph = dependency_graph([ctr("web", links=links), ctr("db"), ctr("cache")])
    assert graph == {"web": frozenset(expected), "db": frozenset(), "cache": frozenset()}


SUPPLIER_ID = "25e75393800b5c450a6841212a3b92ed28fa35414a586dec9f2c8a520d4910c2"
OTHER_ID = "25e7ffff800b5c450a6841212a3b92ed28fa35414a586dec9f2c8a520d4910c2"


@pytest.mark.parametrize(
    ("network_mode", "expected"),
    [
        ("container:vpn", {"vpn"}),
        ("container:/vpn", {"vpn"}),
        (f"container:{SUPPLIER_ID}", {"vpn"}),
        ("container:25e75393", {"vpn"}),
        (f"container:{OTHER_ID[:12]}", {"proxy"}),
        # A prefix both ids share names neither container.
        ("container:25e7", set()),
        ("container:gone", set()),
        ("container:", set()),
        ("bridge", set()),
        ("host", set()),
        ("vpn", set()),
    ],
)
def test_network_mode(network_mode: str, expected: set[str]) -> None:
    graph = dependency_graph(
        [
            ctr("app", network_mode=network_mode),
            ctr("vpn", id=SUPPLIER_ID),
            ctr("proxy", id=OTHER_ID),
        ]
    )
    assert graph["app"] == frozenset(expected)


def test_network_mode_prefers_a_name_to_an_id_prefix() -> None:
    # The engine looks up a full id, then a name, then an id prefix.
    containers = [
        ctr("app", network_mode="container:25e7"),
        ctr("25e7"),
        ctr("vpn", id=SUPPLIER_ID),
    ]
    assert dependency_graph(containers)["app"] == {"25e7"}


def test_network_mode_prefers_a_full_id_to_a_name() -> None:
    containers = [
        ctr("app", network_mode=f"container:{SUPPLIER_ID}"),
        ctr(SUPPLIER_ID, id="f" * 64),
        ctr("vpn", id=SUPPLIER_ID),
    ]
    assert dependency_graph(containers)["app"] == {"vpn"}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("db", {"db"}),
        ("db,cache", {"db", "cache"}),
        (" db , /cache ", {"db", "cache"}),
        ("/db,,  ,cache,", {"db", "cache"}),
        ("db,elsewhere", {"db"}),
        ("", set()),
    ],
)
def test_depends_on_label(label: str, expected: set[str]) -> None:
    graph = dependency_graph([ctr("web", labels={DEPENDS_ON: label}), ctr("db"), ctr("cache")])
    assert graph["web"] == frozenset(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("db", ("db",)),
        ("db:service_started:false", ("db",)),
        ("db:service_healthy:true,cache:service_started:false", ("db", "cache")),
        (" db:service_started , cache ,", ("db", "cache")),
        ("db,db:service_healthy:true", ("db",)),
        ('{"db": {"condition": "service_healthy"}, "cache": {}}', ("db", "cache")),
        ("{not json", ("{not json",)),
        ("", ()),
    ],
)
def test_parse_compose_depends_on(value: str, expected: tuple[str, ...]) -> None:
    assert parse_compose_depends_on(value) == expected


def test_compose_depends_on_resolves_services_within_the_project() -> None:
    containers = [
        compose("shop", "web", depends_on="db:service_healthy:true,cache:service_started:false"),
        compose("shop", "db", 1),
        compose("shop", "db", 2),
        compose("shop", "cache"),
        # Same service names in another project: never a dependency of shop-web.
        compose("blog", "db"),
        compose("blog", "cache"),
        compose("blog", "web", depends_on="db"),
    ]
    graph = dependency_graph(containers)
    assert graph["shop-web-1"] == {"shop-db-1", "shop-db-2", "shop-cache-1"}
    assert graph["blog-web-1"] == {"blog-db-1"}
    assert graph["shop-db-1"] == graph["blog-db-1"] == frozenset()


def test_compose_depends_on_names_services_not_containers() -> None:
    # A container named like the service, outside the project, is not the service.
    containers = [compose("shop", "web", depends_on="db"), ctr("db")]
    assert dependency_graph(containers)["shop-web-1"] == frozenset()


def test_compose_depends_on_can_be_ignored() -> None:
    containers = [
        compose("shop", "web", depends_on="db"),
        compose("shop", "db"),
    ]
    graph = dependency_graph(containers, use_compose_depends_on=False)
    assert graph["shop-web-1"] == frozenset()


def test_sources_add_up() -> None:
    containers = [
        ctr(
            "web",
            links=("/db:/web/db",),
            network_mode="container:vpn",
            labels={
                DEPENDS_ON: "cache",
                COMPOSE_PROJECT: "p",
                COMPOSE_SERVICE: "web",
                COMPOSE_DEPENDS_ON: "queue:service_started:true",
            },
        ),
        ctr("db"),
        ctr("vpn"),
        ctr("cache"),
        ctr("q1", labels={COMPOSE_PROJECT: "p", COMPOSE_SERVICE: "queue"}),
    ]
    assert dependency_graph(containers)["web"] == {"db", "vpn", "cache", "q1"}


def test_self_dependency_is_kept_and_is_a_cycle() -> None:
    graph = dependency_graph([ctr("web", labels={DEPENDS_ON: "web"}), ctr("db")])
    assert graph["web"] == {"web"}
    assert sort_by_dependencies(graph) == Ordering(order=("db",), cycles=(("web",),))


def test_graph_then_order() -> None:
    containers = [
        ctr("web", links=("/api:/web/api",)),
        ctr("api", labels={DEPENDS_ON: "db, cache"}),
        ctr("sidecar", network_mode="container:" + container_id("web")[:10]),
        ctr("db"),
        ctr("cache"),
    ]
    ordering = sort_by_dependencies(dependency_graph(containers))
    assert ordering == Ordering(order=("cache", "db", "api", "web", "sidecar"), cycles=())


# ---------------------------------------------------------------------------
# The graph algorithms, against brute force

Graph = dict[str, list[str]]

NAMES = st.text(alphabet="abcdefg", min_size=1, max_size=2)


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    """Random graphs: DAGs, graphs with cycles, with edges to unknown names."""
    nodes = draw(st.lists(NAMES, unique=True, max_size=12))
    acyclic = draw(st.booleans())
    graph: Graph = {n: [] for n in nodes}
    if nodes:
        # A DAG: edges only run from later to earlier nodes of a random order.
        pairs = st.tuples(st.sampled_from(nodes), st.sampled_from(nodes))
        for a, b in draw(st.lists(pairs, max_size=30)):
            if acyclic and nodes.index(a) <= nodes.index(b):
                continue
            graph[a].append(b)
        for a in draw(st.lists(st.sampled_from(nodes), max_size=3)):
            graph[a].append(draw(NAMES.map(lambda s: s + "!")))
    return graph


def reach(graph: Mapping[str, Collection[str]]) -> dict[str, set[str]]:
    """Every node reachable from each key through one edge or more."""
    result: dict[str, set[str]] = {}
    for start in graph:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(graph.get(n, ()))
        result[start] = seen
    return result


def shuffled(graph: Graph, rnd: random.Random) -> Graph:
    keys = list(graph)
    rnd.shuffle(keys)
    out: Graph = {}
    for k in keys:
        edges = list(graph[k])
        rnd.shuffle(edges)
        out[k] = edges
    return out


@given(graphs())
def test_order_puts_dependencies_first(graph: Graph) -> None:
    ordering = sort_by_dependencies(graph)
    position = {n: i for i, n in enumerate(ordering.order)}
    for n in ordering.order:
        for d in graph[n]:
            if d in position:
                assert position[d] < position[n], (n, d)


@given(graphs())
def test_cycles_are_exactly_the_nodes_that_reach_themselves(graph: Graph) -> None:
    reachable = reach(graph)
    ordering = sort_by_dependencies(graph)
    expected = {
        tuple(sorted(m for m in graph if m == n or (m in reachable[n] and n in reachable[m])))
        for n in graph
        if n in reachable[n]
    }
    assert set(ordering.cycles) == expected
    assert list(ordering.cycles) == sorted(ordering.cycles)
    assert all(list(c) == sorted(c) for c in ordering.cycles)


@given(graphs())
def test_order_and_cycles_partition_the_nodes(graph: Graph) -> None:
    ordering = sort_by_dependencies(graph)
    on_cycles = [n for c in ordering.cycles for n in c]
    assert len(ordering.order) + len(on_cycles) == len(graph)
    assert set(ordering.order) | set(on_cycles) == set(graph)


@given(graphs(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(graph: Graph, rnd: random.Random) -> None:
    other = shuffled(graph, rnd)
    roots = [n for n in graph if rnd.random() < 0.3]
    subset = [n for n in graph if rnd.random() < 0.6]
    assert sort_by_dependencies(other) == sort_by_dependencies(graph)
    assert dependents(other, roots[::-1]) == dependents(graph, roots)
    assert components(other, subset[::-1]) == components(graph, subset)


@given(graphs(), st.data())
def test_dependents_is_the_transitive_closure(graph: Graph, data: st.DataObject) -> None:
    candidates = sorted(set(graph) | {d for deps in graph.values() for d in deps} | {"zz"})
    roots = set(data.draw(st.lists(st.sampled_from(candidates), max_size=4)))
    reachable = reach(graph)
    expected = {n for n in graph if reachable[n] & roots}
    assert dependents(graph, roots) == expected


@given(graphs(), st.data())
def test_components_partition_into_independent_ordered_groups(
    graph: Graph, data: st.DataObject
) -> None:
    nodes = set(data.draw(st.lists(st.sampled_from(sorted(graph) or ["x"]), max_size=12)))
    nodes |= set(data.draw(st.lists(NAMES.map(lambda s: s + "?"), max_size=2)))
    groups = components(graph, nodes)

    members = [n for g in groups for n in g]
    assert sorted(members) == sorted(nodes)
    assert [g[0] for g in groups] == sorted(g[0] for g in groups)
    group_of = {n: i for i, g in enumerate(groups) for n in g}
    edges = [(n, d) for n in nodes for d in graph.get(n, ()) if d in nodes]
    for n, d in edges:
        assert group_of[n] == group_of[d], (n, d)

    induced = {n: [d for d in graph.get(n, ()) if d in nodes] for n in nodes}
    undirected: dict[str, set[str]] = {n: set() for n in nodes}
    for n, d in edges:
        undirected[n].add(d)
        undirected[d].add(n)
    reachable = reach(induced)
    for group in groups:
        # Connected: everything in the group is reached from its first member.
        seen, todo = {group[0]}, [group[0]]
        while todo:
            for m in undirected[todo.pop()] - seen:
                seen.add(m)
                todo.append(m)
        assert seen == set(group)
        # In dependency order, except within a cycle.
        position = {n: i for i, n in enumerate(group)}
        for n in group:
            for d in induced[n]:
                if n not in reachable[d]:
                    assert position[d] < position[n], (n, d)


@given(graphs())
def test_components_of_an_acyclic_group_follow_sort_by_dependencies(graph: Graph) -> None:
    ordering = sort_by_dependencies(graph)
    nodes = set(ordering.order)
    expected_order = sort_by_dependencies(
        {n: [d for d in graph[n] if d in nodes] for n in nodes}
    ).order
    for group in components(graph, nodes):
        assert list(group) == [n for n in expected_order if n in set(group)]


def test_ties_are_broken_by_name() -> None:
    graph = {"c": ["a"], "b": [], "a": [], "d": ["b", "a"]}
    assert sort_by_dependencies(graph).order == ("a", "b", "c", "d")


def test_dependents_of_cycle_members_are_ordered_without_them() -> None:
    graph = {"a": ["b"], "b": ["a"], "c": ["a"], "d": ["c"]}
    assert sort_by_dependencies(graph) == Ordering(order=("c", "d"), cycles=(("a", "b"),))


def test_dependents_excludes_roots_unless_they_depend_on_a_root() -> None:
    graph = {"db": [], "api": ["db"], "web": ["api"], "x": ["y"], "y": ["x"]}
    assert dependents(graph, ["db"]) == {"api", "web"}
    assert dependents(graph, ["db", "api"]) == {"api", "web"}
    assert dependents(graph, ["x"]) == {"x", "y"}
    assert dependents(graph, ["unknown"]) == frozenset()


def test_components_example() -> None:
    graph = {
        "web": ["api"],
        "api": ["db"],
        "db": [],
        "blog": ["blogdb"],
        "blogdb": [],
        "lonely": [],
    }
    # Without "api", web and db share no edge: they are separate units.
    assert components(graph, ["web", "db", "blog", "blogdb", "lonely"]) == (
        ("blogdb", "blog"),
        ("db",),
        ("lonely",),
        ("web",),
    )
    assert components(graph, graph) == (
        ("blogdb", "blog"),
        ("db", "api", "web"),
        ("lonely",),
    )


def test_long_chains_need_no_recursion() -> None:
    n = 10_000
    graph = {f"n{i:06d}": [f"n{i - 1:06d}"] if i else [] for i in range(n)}
    assert sort_by_dependencies(graph).order == tuple(sorted(graph))
    graph["n000000"] = [f"n{n - 1:06d}"]
    ordering = sort_by_dependencies(graph)
    assert ordering.order == () and len(ordering.cycles[0]) == n
    assert len(components(graph, graph)) == 1
    assert len(dependents(graph, ["n000000"])) == n


@settings(max_examples=25)
@given(st.randoms(use_true_random=False))
def test_dependency_graph_does_not_depend_on_container_order(rnd: random.Random) -> None:
    containers = [
        compose("shop", "web", depends_on="db,cache"),
        compose("shop", "db", 1),
        compose("shop", "db", 2),
        compose("shop", "cache"),
        ctr("app", network_mode="container:" + container_id("vpn")[:8], links=("/db:/app/db",)),
        ctr("vpn", labels={DEPENDS_ON: "shop-cache-1"}),
        ctr("db"),
    ]
    expected = dependency_graph(containers)
    rnd.shuffle(containers)
    assert dependency_graph(containers) == expected
