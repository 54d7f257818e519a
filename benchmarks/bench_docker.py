"""One-shot update runs on a private engine and registry: wall time, engine calls, downtime.

Scenarios, each printed with its target (issue 12):

* ``20/5/2``: 20 containers on 5 images, 2 images changed (8 replaced),
  default flags: the run's wall time (target <= 2.0 s) and the engine API
  calls per replaced container, counted per step of the replacement
  (target <= 7), beside the calls of the scan;
* ``100/20/5``: 100 containers on 20 images, 5 changed (25 replaced):
  wall time (target <= 4.0 s);
* slow stop: the 8 stale containers of 20/5/2 ignore SIGTERM under a 10 s
  stop timeout: the run (target <= 25 s) and each container's downtime,
  from the stop request to its replacement's start (target <= 11 s);
* downtime against parallelism: 20/5/2 again at update concurrency 1 and 2;
  the median downtime per container (process died -> replacement running,
  from the engine's events) at 2 and at the default concurrency over that
  at 1 should stay near 1.

Registry requests of each run are counted from the registry's access log,
watchtower's apart from the engine's own pulls (by their User-Agent).
The machine may be shared: the figures are one run each, with medians over
the containers and ratios to the targets. ``--sweep`` also runs 100/20/5 at
update concurrency 1, 2, 4, 8 and 16, the measurement behind the default.
The script exits non-zero when a bound of the slow-stop run does not hold
(the wall-time targets are reported, not enforced, on a noisy machine).

Run: ``nox -s bench`` or ``python benchmarks/bench_docker.py [--sweep]`` (as
root, with docker.io, docker-registry and busybox-static installed).
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import images  # noqa: E402
from tests.support.dockerd import Dockerd, unavailable_reason  # noqa: E402
from tests.support.registry import RegistryServer  # noqa: E402
from watchtower import UpdateParams, update  # noqa: E402
from watchtower.docker import DockerClient  # noqa: E402
from watchtower.registry import HttpRegistry  # noqa: E402

STOP_TIMEOUT = timedelta(seconds=10)
TARGET_SMALL = 2.0
TARGET_LARGE = 4.0
TARGET_SLOW_RUN = 25.0
TARGET_DOWN = 11.0
TARGET_CALLS = 7.0
SWEEP = (1, 2, 4, 8, 16)

_REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+)')
_VERSION = re.compile(r"^/v[\d.]+")


def request_kind(line: str) -> str | None:
    """``HEAD manifest``, ``GET blob``, ... for an access-log line; ``pull: ...`` when
    the engine asked (its pulls), not watchtower (by the User-Agent)."""
    match = _REQUEST.search(line)
    if match is None:
        return None
    method, path = match.group("method"), match.group("path").split("?")[0]
    who = "" if '"watchtower-updater/' in line else "pull: "
    if path in ("/v2", "/v2/"):
        what = "ping"
    elif "/manifests/" in path:
        what = "manifest"
    elif "/blobs/" in path:
        what = "blob"
    else:
        what = "other"
    return f"{who}{method} {what}"


class CountingClient(DockerClient):
    """The default client, counting each engine API call under the step that made it.

    A step is the client method the replacement called (``stop``, ``create``,
    ...); calls outside one (listing, image checks, pulls) count as ``scan``.
    """

    STEPS = (
        "rename_container",
        "stop_container",
        "create_replacement",
        "start_container",
        "wait_until_healthy",
        "remove_container",
        "run_hook",
    )

    def __init__(self, api: Any) -> None:
        super().__init__(api)
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._step = threading.local()
        api.hooks["response"].append(self._count)
        for name in self.STEPS:
            setattr(self, name, self._in_step(name, getattr(self, name)))

    def _in_step(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            self._step.name = name.split("_")[0]
            try:
                return method(*args, **kwargs)
            finally:
                self._step.name = None

        return step

    def _count(self, response: Any, *args: Any, **kwargs: Any) -> None:
        step = getattr(self._step, "name", None) or "scan"
        with self._lock:
            self.calls[step] += 1

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        """The calls made inside the block, by step."""
        before = Counter(self.calls)
        found: Counter[str] = Counter()
        yield found
        found.update(self.calls - before)


def setup(
    api: Any,
    registry: str,
    key: str,
    containers: int,
    image_count: int,
    changed: int,
    *,
    stubborn: bool = False,
) -> dict[str, str]:
    """Run ``containers`` containers on ``image_count`` images, then push new versions
    of ``changed`` images; the stale containers' ids by name."""
    stale: dict[str, str] = {}
    tags = [f"{registry}/bench-{key}/img{index}:latest" for index in range(image_count)]

    def publish(index: int, version: int) -> None:
        command = images.STUBBORN if stubborn and index < changed else images.POLITE
        images.build_and_push(api, tags[index], version=f"{key}-{index}-{version}", command=command)

    def run(number: int) -> None:
        name = f"bench-{key}-c{number:03d}"
        created = api.create_container(
            tags[number % image_count],
            name=name,
            labels={"bench": key},
            host_config=api.create_host_config(network_mode="none"),
        )
        api.start(created["Id"])
        if number % image_count < changed:
            stale[name] = str(created["Id"])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda index: publish(index, 1), range(image_count)))
        list(pool.map(run, range(containers)))
        list(pool.map(lambda index: publish(index, 2), range(changed)))
    for tag in tags[:changed]:
        api.remove_image(tag)  # the update has to pull it
    return stale


def downtimes(api: Any, stale: dict[str, str], since: float, until: float) -> dict[str, Any]:
    """Per stale container: seconds from its process's death (and from the stop
    request) to its replacement's start, from the engine's events."""
    died: dict[str, float] = {}
    asked: dict[str, float] = {}
    started: dict[str, float] = {}
    names = {cid: name for name, cid in stale.items()}
    for event in api.events(
        since=int(since), until=int(until) + 1, decode=True, filters={"type": "container"}
    ):
        when = event["timeNano"] / 1e9
        cid = event.get("id", "")
        name = (event.get("Actor", {}).get("Attributes") or {}).get("name", "")
        action = event.get("status") or event.get("Action")
        if cid in names:
            if action == "die":
                died.setdefault(names[cid], when)
            elif action == "kill":
                asked.setdefault(names[cid], when)
        elif action == "start" and name in stale:
            started[name] = when
    return {
        name: (started[name] - died[name], started[name] - asked.get(name, died[name]))
        for name in stale
        if name in died and name in started
    }


def teardown(api: Any, key: str) -> None:
    """Remove the scenario's containers."""
    for entry in api.containers(all=True, filters={"label": f"bench={key}"}):
        api.remove_container(entry["Id"], force=True, v=True)


def one_run(
    client: CountingClient,
    server: RegistryServer,
    key: str,
    shape: tuple[int, int, int],
    *,
    stubborn: bool = False,
    concurrency: int | None = None,
) -> dict[str, Any]:
    """Set up, run one update, tear down; the run's figures."""
    api = client.api
    stale = setup(api, server.host, key, *shape, stubborn=stubborn)
    log_start = len(server.access_log())
    extra = {} if concurrency is None else {"update_concurrency": concurrency}
    params = UpdateParams(enable_labels=(f"bench={key}",), stop_timeout=STOP_TIMEOUT, **extra)
    wall_start = time.time()
    with client.counting() as calls:
        started = time.monotonic()
        report = update(client, HttpRegistry(), params)
        elapsed = time.monotonic() - started
    wall_end = time.time()
    requests = Counter(
        kind for line in server.access_log()[log_start:] if (kind := request_kind(line))
    )
    down = downtimes(api, stale, wall_start, wall_end)
    teardown(api, key)
    complete = len(report.updated) == len(stale) == len(down) and not report.failed
    return {
        "elapsed": elapsed,
        "replaced": len(report.updated),
        "complete": complete,
        "calls": calls,
        "requests": requests,
        "died": [d[0] for d in down.values()],
        "asked": [d[1] for d in down.values()],
        "concurrency": params.update_concurrency,
    }


def verdict(value: float, target: float) -> str:
    """``1.23 s (target <= 2.0 s, 0.62x): ok``."""
    word = "ok" if value <= target else "MISSED"
    return f"{value:.2f} s (target <= {target:g} s, {value / target:.2f}x of it): {word}"


def show(title: str, figures: dict[str, Any], target: float | None = None) -> None:
    """Print one run's figures."""
    print(f"\n== {title} (update concurrency {figures['concurrency']})")
    if not figures["complete"]:
        print(f"!! the run did not replace every stale container ({figures['replaced']})")
    elapsed = figures["elapsed"]
    print("wall time: " + (verdict(elapsed, target) if target else f"{elapsed:.2f} s"))
    for who in ("watchtower", "the engine's pulls"):
        requests = {
            kind.removeprefix("pull: "): n
            for kind, n in figures["requests"].items()
            if kind.startswith("pull: ") == (who != "watchtower")
        }
        print(
            f"registry requests by {who}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
            + f" (total {sum(requests.values())})"
        )
    if figures["died"]:
        died, asked = figures["died"], figures["asked"]
        print(
            f"downtime, process died -> replacement running: median {statistics.median(died):.2f}"
            f" s, max {max(died):.2f} s"
        )
        print(
            f"downtime, stop requested -> replacement running: median "
            f"{statistics.median(asked):.2f} s, max {max(asked):.2f} s"
        )


def show_calls(figures: dict[str, Any]) -> None:
    """Print the engine calls per replaced container, by step."""
    calls: Counter[str] = figures["calls"]
    replaced = max(1, figures["replaced"])
    steps = {step: n for step, n in calls.items() if step != "scan"}
    per = sum(steps.values()) / replaced
    word = "ok" if per <= TARGET_CALLS else "MISSED"
    print(
        f"engine calls per replaced container: {per:.2f} (target <= {TARGET_CALLS:g}): {word}; "
        + ", ".join(f"{step} {n / replaced:.2f}" for step, n in sorted(steps.items()))
    )
    print(
        f"engine calls of the scan (listings, image checks, pulls): {calls['scan']}; "
        f"whole run per replaced container: {sum(calls.values()) / replaced:.2f}"
    )


def main() -> int:
    """Run the scenarios; 1 when a slow-stop bound does not hold."""
    reason = unavailable_reason()
    if reason:
        print(f"bench_docker: skipped, {reason}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="wt-bench-"))
    engine = Dockerd.start()
    server = RegistryServer.start(work / "registry")
    failures = []
    try:
        client = CountingClient(DockerClient.from_env(engine.url).api)
        print(f"bench_docker: private engine (API {client.api_version}) and registry")

        small = one_run(client, server, "a", (20, 5, 2))
        show("20 containers / 5 images / 2 changed (8 replaced)", small, TARGET_SMALL)
        show_calls(small)

        large = one_run(client, server, "b", (100, 20, 5))
        show("100 containers / 20 images / 5 changed (25 replaced)", large, TARGET_LARGE)
        show_calls(large)

        slow = one_run(client, server, "c", (20, 5, 2), stubborn=True)
        show("the same 8 replacements, SIGTERM ignored, 10 s stop timeout", slow, TARGET_SLOW_RUN)
        down = max(slow["asked"], default=float("inf"))
        print(f"longest downtime: {verdict(down, TARGET_DOWN)}")
        if slow["elapsed"] > TARGET_SLOW_RUN or down > TARGET_DOWN or not slow["complete"]:
            failures.append("the slow-stop run missed a bound")

        serial = one_run(client, server, "d", (20, 5, 2), concurrency=1)
        show("20 / 5 / 2 again, one replacement at a time", serial)
        pair = one_run(client, server, "e", (20, 5, 2), concurrency=2)
        show("20 / 5 / 2 again, two replacements at a time", pair)
        for run in (pair, small):
            if run["died"] and serial["died"]:
                ratio = statistics.median(run["died"]) / statistics.median(serial["died"])
                print(
                    f"median downtime at concurrency {run['concurrency']} over concurrency 1: "
                    f"{ratio:.2f}x (target: about 1); run time "
                    f"{run['elapsed'] / serial['elapsed']:.2f}x"
                )

        if "--sweep" in sys.argv[1:]:
            print("\n== sweep: 100 / 20 / 5 by update concurrency")
            for index, concurrency in enumerate(SWEEP):
                run = one_run(client, server, f"s{index}", (100, 20, 5), concurrency=concurrency)
                print(
                    f"concurrency {concurrency:2d}: run {run['elapsed']:.2f} s, downtime median "
                    f"{statistics.median(run['died'] or [0]):.2f} s, max "
                    f"{max(run['died'] or [0]):.2f} s"
                )
        client.close()
    finally:
        server.stop()
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
