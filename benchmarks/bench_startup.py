"""Start-up time and resident memory: what a user waits for and what the daemon keeps.

Printed:

* the wall time of ``import watchtower`` and of ``watchtower --help``, each as
  the median of interleaved runs beside ``python -c pass`` (the yardstick: the
  interpreter's own start), with the median of the pairwise ratios and the
  time added to the yardstick; targets 30 ms and 80 ms added. The command is
  the installed ``watchtower`` script beside this interpreter, as a user runs
  it (not ``python -m watchtower``), so the package must be installed here;
* the resident memory of a looping daemon on the in-memory backends (20
  containers on 5 images, a new version of one image every tenth run, the
  metrics exposed every run), with the modules the real daemon loads
  (docker-py, requests, the registry client, the command) imported: after
  the first scan (target 28 MiB), then every 1,000 runs, beside the
  interpreter's own and that of docker-py and requests alone (the floor the
  docker backend sets). The curve must stay flat: the last figure may not
  exceed the first after warm-up by more than 2 MiB.

Run: ``nox -s bench`` or ``python benchmarks/bench_startup.py [RUNS]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAIRS = 25
LOOPS = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
GROWTH_BOUND_MIB = 2.0
TARGET_MIB = 28.0


def _wall(argv: list[str]) -> float:
    started = time.perf_counter()
    # Away from the checkout, so that both figures load the installed package
    # (with the bytecode pip compiled), not the source tree.
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd="/")
    return time.perf_counter() - started


def startup(label: str, argv: list[str], target_ms: float) -> None:
    yardstick = [sys.executable, "-c", "pass"]
    _wall(argv), _wall(yardstick)  # warm the file cache
    ours, theirs = [], []
    for _ in range(PAIRS):
        ours.append(_wall(argv))
        theirs.append(_wall(yardstick))
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    added = (statistics.median(ours) - statistics.median(theirs)) * 1000
    print(
        f"{label:<22} median of {PAIRS} {statistics.median(ours) * 1000:6.1f} ms, "
        f"python -c pass {statistics.median(theirs) * 1000:6.1f} ms, "
        f"ratio {ratio:4.2f}, added {added:5.1f} ms (target: {target_ms:.0f} ms added)"
    )


_LOOP = """
import sys

def rss_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20

print("python", round(rss_mib(), 1), flush=True)
import docker, requests  # the docker backend's libraries
print("docker-py", round(rss_mib(), 1), flush=True)
import logging
import watchtower.cli.command, watchtower.cli.config  # what the daemon loads
import watchtower.docker.client, watchtower.registry
from watchtower import UpdateParams
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from datetime import timedelta

clock = FixedClock(step=timedelta(seconds=1))
registry = MemoryRegistry(clock)
engine = MemoryEngine(registry)
images = [f"example.org/app{i}:1" for i in range(5)]
for image in images:
    registry.publish(image)
for n in range(20):
    engine.run(f"c{n}", images[n % 5])
metrics = Metrics(clock=clock)
logger = logging.getLogger("watchtower.bench")
logger.addHandler(logging.NullHandler())
logger.propagate = False
runner = Runner(engine, registry, UpdateParams(cleanup=True), metrics=metrics,
                logger=logger, clock=clock)
loops = int(sys.argv[1])
for run in range(1, loops + 1):
    if run % 10 == 0:
        registry.publish(images[run % 5])
    runner.run()
    metrics.exposition()
    # The in-memory engine keeps a record of every call for tests: not the daemon's.
    engine.calls.clear(), engine.spans.clear(), engine.stops.clear()
    if run == 1 or run % 1000 == 0:
        print(run, round(rss_mib(), 1), flush=True)
"""


def memory() -> bool:
    out = subprocess.run(
        [sys.executable, "-c", _LOOP, str(LOOPS)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    rows = [line.split() for line in out.splitlines()]
    floors = {label: float(mib) for label, mib in rows[:2]}
    curve = [(int(run), float(mib)) for run, mib in rows[2:]]
    print("resident memory of a looping daemon (in-memory backends, 20 containers):")
    print(
        f"  the interpreter alone: {floors['python']:5.1f} MiB; with docker-py and requests, "
        f"which the docker backend needs: {floors['docker-py']:5.1f} MiB"
    )
    for run, mib in curve:
        print(f"  after run {run:>5}: {mib:5.1f} MiB")
    first = curve[0][1]
    word = "ok" if first <= TARGET_MIB else "MISSED"
    print(
        f"  after the first scan: {first:.1f} MiB (target <= {TARGET_MIB:g} MiB, "
        f"{first / TARGET_MIB:.2f}x of it): {word}; watchtower's own share "
        f"{first - floors['docker-py']:.1f} MiB"
    )
    warm = curve[1][1] if len(curve) > 2 else curve[0][1]
    growth = curve[-1][1] - warm
    print(f"  growth after warm-up: {growth:+.1f} MiB (bound: {GROWTH_BOUND_MIB:.0f} MiB)")
    return growth <= GROWTH_BOUND_MIB


def main() -> int:
    # The script pip wrote beside this interpreter; sys.executable is not
    # resolved, so that of a virtual environment is found in its bin/.
    script = Path(sys.executable).with_name("watchtower")
    if not script.exists():
        print(f"No {script}: install the package into this environment first.", file=sys.stderr)
        return 2
    print("Start-up, interleaved with the interpreter's own start")
    startup("import watchtower", [sys.executable, "-c", "import watchtower"], 30)
    startup("watchtower --help", [str(script), "--help"], 80)
    return 0 if memory() else 1


if __name__ == "__main__":
    sys.exit(main())
