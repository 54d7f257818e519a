"""Registry checks: requests per scan and wall time, one at a time vs concurrently.

Pushes 100 tiny distinct images to a real docker-registry on 127.0.0.1, puts a
loopback proxy (its own process) in front of it that adds 50 ms to every
answer, and checks all
100 through :func:`watchtower.staleness.remote_digests` with a fresh
:class:`~watchtower.registry.HttpRegistry` (cold: challenge + HEADs) and then
again with the same one (warm: HEADs only), at concurrency 1 and at
``UpdateParams().check_concurrency``. Prints the median of a few runs and the
speed-up, and exits non-zero if the default is not at least 5 times faster.

Run: ``nox -s bench`` or ``python benchmarks/bench_registry.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import registry as registry_support
from tests.support.manifests import Pusher
from watchtower import UpdateParams
from watchtower.model import ImageRef
from watchtower.registry import DockerCredentials, HttpRegistry
from watchtower.staleness import remote_digests

IMAGES = 100
DELAY = 0.050
REQUIRED_SPEEDUP = 5.0


def _scan(
    registry: HttpRegistry,
    refs: list[ImageRef],
    expected: dict[ImageRef, str],
    concurrency: int,
    server: registry_support.RegistryServer,
) -> tuple[float, int]:
    """Check every reference once; (wall seconds, requests the registry logged)."""
    before = len(server.access_log())
    start = time.perf_counter()
    result = remote_digests(registry, refs, concurrency)
    elapsed = time.perf_counter() - start
    if dict(result) != expected:
        raise SystemExit("bench_registry: the digests differ from what was pushed")
    return elapsed, len(server.access_log()) - before


@contextlib.contextmanager
def _delaying_proxy(upstream: str) -> Iterator[str]:
    """A proxy adding DELAY to every answer, in its own process (it must not share our GIL)."""
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.proxy", upstream, str(DELAY)],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per setting (median shown)")
    args, _ = parser.parse_known_args()
    if not registry_support.available():
        print("bench_registry: skipped, docker-registry is not installed")
        return 0
    default = UpdateParams().check_concurrency
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        server = registry_support.RegistryServer.start(Path(tmp) / "registry")
        try:
            pusher = Pusher(f"http://{server.host}")
            pushed = {}
            for i in range(IMAGES):
                repo = f"bench/app{i:03d}"
                pushed[repo] = pusher.image(repo, "v1", f"bench image {i}".encode()).digest
            pusher.close()
            with _delaying_proxy(f"http://{server.host}") as address:
                refs = [ImageRef(address, repo, "v1") for repo in pushed]
                expected = {ref: pushed[ref.path] for ref in refs}
                creds = DockerCredentials(Path(tmp) / "no-docker-config", environ={})
                figures: dict[int, dict[str, list[float]]] = {}
                for concurrency in (1, default):
                    runs: dict[str, list[float]] = {
                        "cold": [],
                        "warm": [],
                        "cold_n": [],
                        "warm_n": [],
                    }
                    for _ in range(args.runs):
                        registry = HttpRegistry(credentials=creds)
                        seconds, count = _scan(registry, refs, expected, concurrency, server)
                        runs["cold"].append(seconds)
                        runs["cold_n"].append(count)
                        seconds, count = _scan(registry, refs, expected, concurrency, server)
                        runs["warm"].append(seconds)
                        runs["warm_n"].append(count)
                    figures[concurrency] = runs
        finally:
            server.stop()

    print(
        f"bench_registry: {IMAGES} distinct images, {DELAY * 1000:.0f} ms added to every "
        f"answer, median of {args.runs} runs"
    )
    print(
        f"{'concurrency':>12} {'cold requests':>14} {'cold wall':>10} "
        f"{'warm requests':>14} {'warm wall':>10}"
    )
    for concurrency, runs in figures.items():
        print(
            f"{concurrency:>12} {statistics.median(runs['cold_n']):>14.0f} "
            f"{statistics.median(runs['cold']):>9.2f}s "
            f"{statistics.median(runs['warm_n']):>14.0f} "
            f"{statistics.median(runs['warm']):>9.2f}s"
        )
    cold = statistics.median(figures[1]["cold"]) / statistics.median(figures[default]["cold"])
    warm = statistics.median(figures[1]["warm"]) / statistics.median(figures[default]["warm"])
    print(
        f"speed-up at concurrency {default} (the default) over 1: "
        f"cold {cold:.1f}x, warm {warm:.1f}x (required: {REQUIRED_SPEEDUP:.0f}x)"
    )
    if min(cold, warm) < REQUIRED_SPEEDUP:
        print(
            "bench_registry: FAILED, the default concurrency is less than "
            f"{REQUIRED_SPEEDUP:.0f}x faster"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
