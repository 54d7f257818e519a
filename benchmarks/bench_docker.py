"""One update run on a private engine: wall time, registry requests, downtime.

20 containers on 5 images, 2 of the images changed (8 stale containers).
Printed for each scenario:

* the wall time of one ``update()`` run;
* the registry requests during the run, by kind, from the registry's own
  access log;
* each updated container's downtime, from the engine's events: from the
  moment the old container's process died to the moment its replacement
  started (median and max), and from the stop request (the engine's
  ``kill`` event) to the replacement's start.

Scenarios: polite containers; the 8 stale containers ignoring SIGTERM under a
10 s stop timeout at the default update concurrency (no container may be
down more than 12 s); the same at update concurrency 4 (the run must also
take under 30 s). The script exits non-zero when a bound does not hold.

Run: ``nox -s bench`` or ``python benchmarks/bench_docker.py`` (as root, with
docker.io, docker-registry and busybox-static installed).
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
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

CONTAINERS = 20
IMAGES = 5
CHANGED = 2
STOP_TIMEOUT = timedelta(seconds=10)
MAX_DOWN = 12.0
MAX_RUN_AT_4 = 30.0

_REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+)')


def request_kind(line: str) -> str | None:
    """``HEAD manifest``, ``GET blob``, ... for an access-log line."""
    match = _REQUEST.search(line)
    if match is None:
        return None
    method, path = match.group("method"), match.group("path").split("?")[0]
    if path in ("/v2", "/v2/"):
        what = "ping"
    elif "/manifests/" in path:
        what = "manifest"
    elif "/blobs/" in path:
        what = "blob"
    else:
        what = "other"
    return f"{method} {what}"


def setup(api: Any, registry_host: str, scenario: str, stubborn: bool) -> dict[str, str]:
    """Run 20 containers on 5 images, then push new versions of 2 images.

    Returns the stale containers' ids by name.
    """
    stale = {}
    for index in range(IMAGES):
        changed = index < CHANGED
        command = images.STUBBORN if stubborn and changed else images.POLITE
        tag = f"{registry_host}/bench-{scenario}/img{index}:latest"
        images.build_and_push(api, tag, version=f"{scenario}-{index}-1", command=command)
        for number in range(index, CONTAINERS, IMAGES):
            name = f"bench-{scenario}-c{number:02d}"
            created = api.create_container(
                tag,
                name=name,
                labels={"bench": scenario},
                host_config=api.create_host_config(network_mode="none"),
            )
            api.start(created["Id"])
            if changed:
                stale[name] = str(created["Id"])
        if changed:
            images.build_and_push(api, tag, version=f"{scenario}-{index}-2", command=command)
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


def scenario(
    api: Any,
    client: DockerClient,
    server: RegistryServer,
    key: str,
    title: str,
    *,
    stubborn: bool,
    concurrency: int | None,
) -> tuple[float, float]:
    """Set up, run one update, print the figures; returns (run seconds, max downtime)."""
    stale = setup(api, server.host, key, stubborn)
    log_start = len(server.access_log())
    extra = {} if concurrency is None else {"update_concurrency": concurrency}
    params = UpdateParams(enable_labels=(f"bench={key}",), stop_timeout=STOP_TIMEOUT, **extra)
    wall_start = time.time()
    started = time.monotonic()
    report = update(client, HttpRegistry(), params)
    elapsed = time.monotonic() - started
    wall_end = time.time()
    kinds = Counter(
        kind for line in server.access_log()[log_start:] if (kind := request_kind(line))
    )
    down = downtimes(api, stale, wall_start, wall_end)
    updated = sorted(e.name for e in report.updated)
    print(f"\n== {title}")
    print(
        f"containers {len(report)}, updated {len(updated)}, failed {len(report.failed)}"
        f" (update concurrency {params.update_concurrency})"
    )
    print(f"wall time of one update run: {elapsed:.2f} s")
    print(
        "registry requests: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f" (total {sum(kinds.values())})"
    )
    if down:
        dead = [d[0] for d in down.values()]
        asked = [d[1] for d in down.values()]
        print(
            f"downtime, process died -> replacement running: "
            f"median {statistics.median(dead):.2f} s, max {max(dead):.2f} s"
        )
        print(
            f"stop requested -> replacement running: median {statistics.median(asked):.2f} s,"
            f" max {max(asked):.2f} s"
        )
    if len(updated) != len(stale) or len(down) != len(stale):
        print(f"!! expected {len(stale)} updated containers, got {len(updated)}")
        return elapsed, float("inf")
    for name in list(stale):
        api.remove_container(name, force=True, v=True)
    for entry in api.containers(all=True, filters={"label": f"bench={key}"}):
        api.remove_container(entry["Id"], force=True, v=True)
    return elapsed, max(d[1] for d in down.values())


def main() -> int:
    """Run the three scenarios; 1 when a bound does not hold."""
    reason = unavailable_reason()
    if reason:
        print(f"bench_docker: skipped, {reason}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="wt-bench-"))
    engine = Dockerd.start()
    server = RegistryServer.start(work / "registry")
    failures = []
    try:
        client = DockerClient.from_env(engine.url)
        api = client.api
        print(
            f"bench_docker: {CONTAINERS} containers on {IMAGES} images, {CHANGED} images "
            f"changed ({CONTAINERS * CHANGED // IMAGES} stale); API {client.api_version}"
        )
        scenario(
            api, client, server, "a", "containers stop on SIGTERM", stubborn=False, concurrency=None
        )
        _, down = scenario(
            api,
            client,
            server,
            "b",
            "stale containers ignore SIGTERM, 10 s stop timeout, default concurrency",
            stubborn=True,
            concurrency=None,
        )
        if down > MAX_DOWN:
            failures.append(f"a container was down {down:.1f} s (> {MAX_DOWN:g} s)")
        elapsed, down = scenario(
            api,
            client,
            server,
            "c",
            "stale containers ignore SIGTERM, 10 s stop timeout, update concurrency 4",
            stubborn=True,
            concurrency=4,
        )
        if down > MAX_DOWN:
            failures.append(f"a container was down {down:.1f} s (> {MAX_DOWN:g} s)")
        if elapsed > MAX_RUN_AT_4:
            failures.append(f"the run took {elapsed:.1f} s at concurrency 4 (> {MAX_RUN_AT_4:g} s)")
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
