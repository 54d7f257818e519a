"""What the safety features cost: one container replaced on a private engine and registry.

Each scenario runs one ``serve1`` container (``FROM scratch`` + a static
busybox serving ``/health`` on the host's network, as the end-to-end tests
build it), publishes a new image and runs one update over it. Each prints
the run's wall time, the downtime (the engine's ``kill`` of the old
container to its replacement's ``start``, from the engine's events) and the
longest span in which ``/health``, asked every 20 ms, did not answer 200:

* snapshot cost: without protection, then with the ``snapshot-volumes``
  label on a named volume holding 1, 64 and 256 MiB of random bytes (written
  by busybox ``dd`` in a throwaway container); the snapshot's own time
  (``snapshot_volume``) per MiB, and its slope between the sizes. The
  snapshot is taken between the stop and the replacement's start: all of
  it is downtime;
* rollback with restore: a v2 (``scribblelost2``) that rewrites the 64 MiB
  volume, then answers 404 to its HTTP probe (2 s probe timeout): the time
  from the failed probe (the ``Failed`` event of step ``verify``) to the old
  container's ``start`` event, the restore's own time inside it;
* probe and soak cost: no checks, an HTTP probe that passes, and that probe
  with a 2 s soak. In ``watchtower.replacement`` the old container is
  stopped (and snapshotted) before its replacement is created; the
  replacement is started, waited healthy, then ``verify`` runs its probes
  and its soak (the soak counts from the replacement's start, so the
  probes' time counts toward it), and only then is the old, already
  stopped container removed. The replacement serves during the soak: a
  soak lengthens the run by about its length, not the downtime. The script
  exits non-zero when the soak adds more than 1 s to the downtime or to the
  unanswered span.

The machine may be shared: each scenario runs 3 times, its figures are the
medians, with ratios and differences to the run without the feature.
``--quick`` runs each once and leaves out the 256 MiB volume. The whole
script takes about a minute here (2 cores).

Run: ``nox -s bench`` or ``python benchmarks/bench_protection.py [--quick]``
(as root, with docker.io, docker-registry and busybox-static installed).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.dockerd import Dockerd, unavailable_reason  # noqa: E402
from tests.support.e2e_fixtures import Images  # noqa: E402
from tests.support.registry import RegistryServer  # noqa: E402
from watchtower import UpdateParams, update  # noqa: E402
from watchtower import labels as L  # noqa: E402
from watchtower.docker import DockerClient  # noqa: E402
from watchtower.docker.volumes import snapshots_of  # noqa: E402
from watchtower.events import Event, Failed, Step  # noqa: E402
from watchtower.registry import HttpRegistry  # noqa: E402

SIZES = (1, 64, 256)
QUICK_SIZES = (1, 64)
ROLLBACK_SIZE = 64
SOAK = 2.0
REPEATS = 3


class TimingClient(DockerClient):
    """The default client, timing its volume snapshots and restores."""

    def __init__(self, api: Any) -> None:
        super().__init__(api)
        self.times: dict[str, list[float]] = {"snapshot": [], "restore": []}
        self.snapshot_volume = self._timed("snapshot", self.snapshot_volume)  # type: ignore[method-assign]
        self.restore_volume = self._timed("restore", self.restore_volume)  # type: ignore[method-assign]

    def _timed(self, kind: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return method(*args, **kwargs)
            finally:
                self.times[kind].append(time.monotonic() - started)

        return timed


def free_port() -> int:
    """A free TCP port on the loopback."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(port: int) -> bool:
    """True when ``GET /health`` on ``port`` answers 200."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


class Watcher:
    """Asks ``/health`` every 20 ms in a thread: the longest span without a 200."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.longest_gap = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        last_ok = time.monotonic()
        while not self._stop.is_set():
            if healthy(self.port):
                last_ok = time.monotonic()
            self.longest_gap = max(self.longest_gap, time.monotonic() - last_ok)
            self._stop.wait(0.02)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def fill(api: Any, image: str, volume: str, mib: int) -> None:
    """Write ``mib`` MiB of random bytes into ``volume`` from a throwaway container."""
    helper = api.create_container(
        image,
        command=[
            "sh",
            "-c",
            f"dd if=/dev/urandom of=/data/blob bs=1048576 count={mib} 2>/dev/null",
        ],
        host_config=api.create_host_config(
            network_mode="none", binds={volume: {"bind": "/data", "mode": "rw"}}
        ),
    )["Id"]
    try:
        api.start(helper)
        if api.wait(helper, timeout=120)["StatusCode"] != 0:
            raise RuntimeError(f"filling {volume} failed")
    finally:
        api.remove_container(helper, force=True)


def scenario(
    client: TimingClient,
    images: Images,
    key: str,
    new: str,
    labels: dict[str, str],
    mib: int = 0,
) -> dict[str, Any]:
    """Run ``serve1`` (with a ``mib`` MiB protected volume when ``mib``), publish
    ``new``, update once; the run's figures."""
    api = client.api
    repo = name = f"bench-protection-{key}"
    volume = f"{name}-data" if mib else ""
    port = free_port()
    image = images.publish(repo, "serve1")
    binds = {}
    if volume:
        api.create_volume(volume)
        fill(api, image, volume, mib)
        binds = {volume: {"bind": "/data", "mode": "rw"}}
        labels = {**labels, L.SNAPSHOT_VOLUMES: volume}
    created = api.create_container(
        image,
        name=name,
        environment={"PORT": str(port)},
        labels={**{k: v.replace("PORT", str(port)) for k, v in labels.items()}, "bench": key},
        host_config=api.create_host_config(network_mode="host", binds=binds),
    )
    old_id = str(created["Id"])
    api.start(old_id)
    deadline = time.monotonic() + 10
    while not healthy(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} never served /health")
        time.sleep(0.05)
    images.publish(repo, new)
    params = UpdateParams(
        enable_labels=(f"bench={key}",), stop_timeout=timedelta(seconds=2), snapshot_keep=1
    )
    events: list[Event] = []
    for times in client.times.values():
        times.clear()
    since = time.time()
    started = time.monotonic()
    with Watcher(port) as watcher:
        report = update(client, HttpRegistry(), params, observer=events.append)
        elapsed = time.monotonic() - started
    entry = report.get(name)
    figures: dict[str, Any] = {
        "elapsed": elapsed,
        "outcome": entry.outcome.value if entry else "missing",
        "reason": entry.reason if entry else "",
        "snapshot": sum(client.times["snapshot"]),
        "restore": sum(client.times["restore"]),
        "serving": healthy(port),
        "unserved": watcher.longest_gap,
    }
    figures.update(engine_times(api, name, old_id, since, time.time()))
    failed = [e for e in events if isinstance(e, Failed) and e.step is Step.VERIFY]
    if failed and "old_restarted" in figures:
        figures["back"] = figures["old_restarted"] - failed[0].at.timestamp()
    api.remove_container(name, force=True, v=True)
    if volume:
        for snapshot in snapshots_of(api, volume):
            api.remove_volume(snapshot, force=True)
        api.remove_volume(volume, force=True)
    return figures


def engine_times(api: Any, name: str, old_id: str, since: float, until: float) -> dict[str, Any]:
    """From the engine's events: the downtime (old one's ``kill`` -> replacement's
    ``start``) and when the old one started again, if it did."""
    kill = start = restarted = None
    for event in api.events(
        since=int(since), until=int(until) + 1, decode=True, filters={"type": "container"}
    ):
        when = event["timeNano"] / 1e9
        if when < since:
            continue
        action = event.get("status") or event.get("Action")
        attributes = event.get("Actor", {}).get("Attributes") or {}
        if event.get("id") == old_id:
            if action == "kill" and kill is None:
                kill = when
            elif action == "start" and kill is not None:
                restarted = when
        elif action == "start" and attributes.get("name") == name and start is None:
            start = when
    figures: dict[str, Any] = {}
    if kill is not None and start is not None:
        figures["down"] = start - kill
    if restarted is not None:
        figures["old_restarted"] = restarted
        if kill is not None:
            figures["outage"] = restarted - kill
    return figures


def measure(
    client: TimingClient,
    images: Images,
    key: str,
    new: str,
    labels: dict[str, str],
    mib: int = 0,
    *,
    repeats: int,
) -> dict[str, Any]:
    """:func:`scenario` ``repeats`` times: the median of each figure, every outcome."""
    runs = [scenario(client, images, f"{key}-{n}", new, labels, mib) for n in range(repeats)]
    outcomes = sorted({run["outcome"] for run in runs})
    figures: dict[str, Any] = {
        "outcome": "/".join(outcomes),
        "reason": "; ".join(run["reason"] for run in runs if run["reason"]),
        "serving": all(run["serving"] for run in runs),
    }
    numbers = {key for run in runs for key, value in run.items() if isinstance(value, float)}
    for number in numbers:
        values = [run[number] for run in runs if number in run]
        if len(values) == len(runs):  # a figure some run lacks is not a median of them all
            figures[number] = statistics.median(values)
    return figures


def line(title: str, run: dict[str, Any], base: dict[str, Any] | None = None) -> None:
    """Print one run: outcome, downtime and wall time, with ratios to ``base``."""
    down, elapsed = run.get("down"), run["elapsed"]
    text = f"{title:<28} {run['outcome']:<8} wall {elapsed:5.2f} s"
    if base:
        text += f" ({elapsed / base['elapsed']:.2f}x, {elapsed - base['elapsed']:+.2f} s)"
    if down is not None:
        text += f", downtime {down:5.2f} s"
        if base and base.get("down"):
            text += f" ({down / base['down']:.2f}x, {down - base['down']:+.2f} s)"
    text += f", unanswered {run['unserved']:.2f} s"
    print(text)
    if run["outcome"] not in ("updated", "failed"):
        print(f"   !! {run['reason']}")


def main() -> int:
    """Run the scenarios; 1 when one did not end as it should."""
    reason = unavailable_reason()
    if reason:
        print(f"bench_protection: skipped, {reason}")
        return 0
    quick = "--quick" in sys.argv[1:]
    sizes, repeats = (QUICK_SIZES, 1) if quick else (SIZES, REPEATS)
    work = Path(tempfile.mkdtemp(prefix="wt-bench-"))
    engine = Dockerd.start()
    server = RegistryServer.start(work / "registry")
    failures: list[str] = []
    try:
        client = TimingClient(DockerClient.from_env(engine.url).api)
        images = Images(client.api, server.host)
        print(f"bench_protection: private engine (API {client.api_version}) and registry")
        images.publish("bench-protection-warm", "serve1")  # builds the images once
        images.publish("bench-protection-warm", "serve2")
        images.publish("bench-protection-warm", "scribblelost2")

        print("\n== snapshot cost: one replacement, the protected volume's size")
        base = measure(client, images, "none", "serve2", {}, repeats=repeats)
        line("no protection", base)
        snapped: dict[int, dict[str, Any]] = {}
        for mib in sizes:
            run = measure(client, images, f"snap{mib}", "serve2", {}, mib, repeats=repeats)
            snapped[mib] = run
            line(f"snapshot of {mib} MiB", run, base)
            print(
                f"   snapshot's own time {run['snapshot']:.2f} s, "
                f"{1000 * run['snapshot'] / mib:.1f} ms/MiB"
            )
            if run["outcome"] != "updated":
                failures.append(f"the {mib} MiB replacement was not updated")
        small, large = snapped[sizes[0]], snapped[sizes[-1]]
        slope = (large["snapshot"] - small["snapshot"]) / (sizes[-1] - sizes[0])
        print(
            f"snapshot time per MiB between {sizes[0]} and {sizes[-1]} MiB: "
            f"{1000 * slope:.1f} ms/MiB ({1 / slope if slope > 0 else 0:.0f} MiB/s)"
        )

        print(
            f"\n== rollback with restore: a v2 rewrites the {ROLLBACK_SIZE} MiB volume, then fails"
        )
        probe = {L.PROBE_HTTP: "http://:PORT/health", L.PROBE_TIMEOUT: "2s"}
        back = measure(
            client, images, "back", "scribblelost2", probe, ROLLBACK_SIZE, repeats=repeats
        )
        line("failed probe, restored", back, base)  # its downtime: until the failed v2 ran
        if back["outcome"] != "failed" or "back" not in back or not back["serving"]:
            failures.append("the failed replacement was not rolled back to a serving container")
        else:
            print(
                f"failed probe -> old container running again: {back['back']:.2f} s "
                f"(the restore of {ROLLBACK_SIZE} MiB: {back['restore']:.2f} s, snapshot "
                f"{back['snapshot']:.2f} s)"
            )
            print(
                f"old container out of service (stop -> running again): {back['outage']:.2f} s, "
                f"the 2 s probe timeout included"
            )

        print("\n== probe and soak cost")
        plain = measure(client, images, "plain", "serve2", {}, repeats=repeats)
        line("no checks", plain)
        probed = measure(client, images, "probe", "serve2", probe, repeats=repeats)
        line("HTTP probe, passes", probed, plain)
        soaked = measure(
            client, images, "soak", "serve2", {**probe, L.SOAK: f"{SOAK:g}s"}, repeats=repeats
        )
        line(f"HTTP probe + {SOAK:g} s soak", soaked, probed)
        added_run = soaked["elapsed"] - probed["elapsed"]
        added_down = soaked.get("down", 0.0) - probed.get("down", 0.0)
        added_gap = soaked["unserved"] - probed["unserved"]
        print(
            f"the {SOAK:g} s soak added {added_run:+.2f} s to the run, {added_down:+.2f} s to "
            f"the downtime and {added_gap:+.2f} s to the longest unanswered span"
        )
        for title, run in (("probe", probed), ("soak", soaked)):
            if run["outcome"] != "updated" or not run["serving"]:
                failures.append(f"the {title} run did not leave a serving replacement")
        if added_down > 1.0 or added_gap > 1.0:
            failures.append("the soak added to the downtime")
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
