"""How long parse_reference takes for 10,000 containers' image references.

Prints microseconds per reference for three cases: 10,000 distinct
references (every one a cache miss), 10,000 containers on 50 images (the
usual case: mostly cache hits), and the distinct references again without
the cache, as the cost of one parse.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from watchtower.model import ImageRef
from watchtower.reference import _parse, _parse_cached, parse_reference

COUNT = 10_000
DIGEST = "sha256:" + "ab" * 32


def references(count: int, distinct: int) -> list[str]:
    """``count`` references drawn from ``distinct`` different ones, in the usual shapes."""
    shapes = [
        "app{i}",
        "app{i}:1.{i}",
        "team/app{i}:v2",
        "ghcr.io/org/app{i}:latest",
        "localhost:5000/app{i}@" + DIGEST,
        "registry.example:8443/group/sub/app{i}:1.0@" + DIGEST,
    ]
    unique = [shapes[i % len(shapes)].format(i=i) for i in range(distinct)]
    return [unique[i % distinct] for i in range(count)]


def measure(parse: Callable[[str], ImageRef], texts: Sequence[str], *, clear: bool) -> float:
    """Best of five runs, in microseconds per reference."""
    best = float("inf")
    for _ in range(5):
        if clear:
            _parse_cached.cache_clear()
        start = time.perf_counter()
        for text in texts:
            parse(text)
        best = min(best, time.perf_counter() - start)
    return best / len(texts) * 1e6


def main() -> None:
    distinct = references(COUNT, COUNT)
    shared = references(COUNT, 50)
    print(f"bench_reference: {COUNT} references, best of 5 runs")
    figures = [
        ("distinct, cold cache", measure(parse_reference, distinct, clear=True)),
        ("50 images, cold cache", measure(parse_reference, shared, clear=True)),
        ("distinct, no cache", measure(_parse, distinct, clear=False)),
    ]
    for label, micros in figures:
        print(f"  {label:24} {micros:6.2f} us/reference  {micros * COUNT / 1000:7.1f} ms total")


if __name__ == "__main__":
    main()
