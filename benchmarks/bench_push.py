"""Push against polling on a private engine and registry: latency, and the cost of idle time.

Two figures (issue 17):

* push-to-running latency: the registry is configured with a
  ``notifications: endpoints:`` entry pointing at the HTTP API's
  ``/v1/push/registry``; each of several pushes of a new version is timed
  from the end of ``docker push`` to the container running the new image
  (seen by inspecting it), and the median is printed with the report's own
  ``push_latency``;
* registry requests of an idle hour: with push, the requests counted in the
  registry's access log over a quiet stretch with push on (none are
  expected: nothing polls), scaled to an hour; with a poll every five
  minutes, twelve times the requests counted during one real scan of the
  same fleet (computed from counted requests per scan, not an hour of
  waiting).

Run: ``nox -s bench`` or ``python benchmarks/bench_push.py`` (as root, with
docker.io, docker-registry and busybox-static installed).
"""

from __future__ import annotations

import logging
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import images  # noqa: E402
from tests.support.dockerd import Dockerd, unavailable_reason  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from tests.support.registry import RegistryServer, notifications_to  # noqa: E402
from watchtower import UpdateParams, update  # noqa: E402
from watchtower.cli.api import ApiServer, create_app  # noqa: E402
from watchtower.cli.api_settings import ApiSettings  # noqa: E402
from watchtower.cli.metrics import Metrics  # noqa: E402
from watchtower.cli.push import PushReceiver  # noqa: E402
from watchtower.cli.push_settings import PushSettings  # noqa: E402
from watchtower.cli.runner import Runner  # noqa: E402
from watchtower.docker import DockerClient  # noqa: E402
from watchtower.registry import HttpRegistry  # noqa: E402

TOKEN = "bench-push-token"
IDLE_IMAGES = 10  # the fleet that nobody pushes to
PUSHES = 5
QUIET = 10.0  # seconds of idle time measured with push on
POLL_EVERY = 300  # seconds: the polling we compare against


def publish(api: Any, registry: str, repository: str, version: str) -> tuple[str, str]:
    """Build version ``version`` of ``repository``, push it; its reference and image id."""
    reference = f"{registry}/{repository}:latest"
    image_id = images.build_image(api, reference, version=version)
    images.push(api, reference)
    return reference, image_id


def running(api: Any, name: str, image_id: str) -> bool:
    try:
        state = api.inspect_container(name)
    except Exception:  # being replaced: renamed aside, the new one not there yet
        return False
    return bool(state["Image"] == image_id and state["State"]["Running"])


def run_container(api: Any, reference: str, name: str) -> None:
    created = api.create_container(
        reference, name=name, host_config=api.create_host_config(network_mode="none")
    )
    api.start(created["Id"])


def main() -> int:
    """Measure and print; 1 when a pushed version did not run within a minute."""
    reason = unavailable_reason()
    if reason:
        print(f"bench_push: skipped, {reason}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="wt-bench-push-"))
    engine = Dockerd.start()
    port = free_port()
    server = RegistryServer.start(
        work / "registry",
        notifications=notifications_to(f"http://127.0.0.1:{port}/v1/push/registry", TOKEN),
    )
    client = DockerClient.from_env(engine.url)
    api = client.api
    params = UpdateParams(names=("bench-.*",))
    runner = Runner(
        client,
        HttpRegistry(),
        params,
        metrics=Metrics(),
        logger=logging.getLogger("bench_push"),
    )
    runner.push = PushReceiver(runner, PushSettings(frozenset({"registry"})))
    api_server = ApiServer(create_app(runner, ApiSettings(token=TOKEN)), "127.0.0.1", port)
    try:
        runner.push.start()
        api_server.start()
        for n in range(IDLE_IMAGES):
            reference, _ = publish(api, server.host, f"idle{n}", "1")
            run_container(api, reference, f"bench-idle{n}")
        reference, _ = publish(api, server.host, "app", "1")
        run_container(api, reference, "bench-app")
        # The notifications of the setup run nothing (no container yet) or find all fresh.
        runner.push.queue.wait_idle(timedelta(seconds=30))
        print(f"bench_push: private engine and registry, {IDLE_IMAGES + 1} containers")

        latencies, reported, requests = [], [], []
        asked_others = 0
        for version in range(2, 2 + PUSHES):
            mark = len(server.access_log())
            _, image_id = publish(api, server.host, "app", str(version))
            pushed = time.monotonic()
            while not running(api, "bench-app", image_id):
                if time.monotonic() - pushed > 60:
                    print(f"FAILED: version {version} was not running after 60 s")
                    return 1
                time.sleep(0.05)
            latencies.append(time.monotonic() - pushed)
            runner.push.queue.wait_idle(timedelta(seconds=30))
            report = runner.last_report
            if report is not None and report.push_latency is not None:
                reported.append(report.push_latency.total_seconds())
            # Watchtower's own requests (the push and the pull are the engine's).
            ours = [line for line in server.access_log()[mark:] if "watchtower-updater" in line]
            requests.append(len(ours))
            asked_others += sum("/v2/idle" in line for line in server.access_log()[mark:])
        print(
            f"push to running, {PUSHES} pushes: median {statistics.median(latencies):.2f} s "
            f"(min {min(latencies):.2f}, max {max(latencies):.2f}); the report's push_latency "
            f"median {statistics.median(reported or [0]):.2f} s "
            "(includes the 1 s coalescing window)"
        )
        print(
            f"watchtower's registry requests of each push-triggered run: {requests}; "
            f"requests for the {IDLE_IMAGES} images not pushed: {asked_others}"
        )

        mark = len(server.access_log())
        time.sleep(QUIET)
        idle = len(server.access_log()) - mark  # every request, the engine's too
        print(
            f"idle with push: {idle} registry requests in {QUIET:.0f} s, "
            f"{idle * 3600 / QUIET:.0f} an hour"
        )
        mark = len(server.access_log())
        update(client, HttpRegistry(), params)
        per_scan = len(server.access_log()) - mark
        scans = 3600 // POLL_EVERY
        print(
            f"idle with polling every {POLL_EVERY // 60} minutes: {per_scan} requests per scan "
            f"(counted on one real scan of the fleet) x {scans} scans = "
            f"{per_scan * scans} an hour"
        )
    finally:
        api_server.stop()
        runner.push.stop()
        client.close()
        server.stop()
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
