"""The real engine is never wedged by parallel replacements, and a silent engine is noticed once.

Debian 12's own dockerd (20.10.24) can deadlock when a container is renamed
while another one exits (watchtower.lanes). The stress test runs the real
command line many times over 8 parallel replacements on that engine while
every CPU is kept busy; the silent-engine test puts a proxy of the engine's
socket in front of the command that stops forwarding mid-run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_e2e import environment, run_container
from tests.support.e2e_fixtures import Images, Names
from tests.support.killproxy import KillProxy, proxy_of

pytestmark = pytest.mark.e2e

RUNS = 20
CONTAINERS = 8


@contextlib.contextmanager
def busy_cpus() -> Iterator[None]:
    """Every CPU spinning in a process of its own, for the block."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def fleet(api: Any, images: Images, names: Names) -> list[str]:
    """8 running containers on two repositories, each repository at v1."""
    references = [images.publish(names(f"safe{n}"), "v1") for n in range(2)]
    containers = [names(f"c{n}") for n in range(CONTAINERS)]
    for n, name in enumerate(containers):
        run_container(api, references[n % 2], name)
    return containers


def publish_all(images: Images, names: Names, variant: str) -> None:
    for n in range(2):
        images.publish(names(f"safe{n}"), variant)


def ours(api: Any, names: Names) -> dict[str, dict[str, Any]]:
    """This test's containers by name, from the engine's listing."""
    found = {}
    for entry in api.containers(all=True):
        name = entry["Names"][0].lstrip("/")
        if name.startswith(names.prefix):
            found[name] = entry
    return found


def run_once(host: str, containers: list[str], tmp_path: Path, *flags: str) -> Any:
    """The real command's one-shot run on ``containers``; a hang raises TimeoutExpired."""
    return subprocess.run(
        [sys.executable, "-m", "watchtower", "--run-once", "--host", host, *flags, *containers],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_parallel_runs_under_load_never_hang_the_engine(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    containers = fleet(docker_api, e2e_images, e2e_names)
    hangs, aside, elapsed = 0, [], []
    with busy_cpus():
        for run in range(RUNS):
            publish_all(e2e_images, e2e_names, "v2" if run % 2 == 0 else "v1")
            began = time.monotonic()
            try:
                result = run_once(dockerd.url, containers, tmp_path, "--update-concurrency", "4")
            except subprocess.TimeoutExpired:
                hangs += 1
                break
            elapsed.append(time.monotonic() - began)
            assert result.returncode == 0, result.stderr
            assert f"updated {CONTAINERS}," in result.stdout + result.stderr, result.stderr
            docker_api.ping()  # the engine still answers
            now = ours(docker_api, e2e_names)
            aside += [name for name in now if "-watchtower-" in name]
            assert sorted(now) == sorted(containers), sorted(now)
            assert all(entry["State"] == "running" for entry in now.values())
    assert (hangs, aside) == (0, [])
    assert len(elapsed) == RUNS


@pytest.fixture
def proxy(dockerd: Any) -> Iterator[KillProxy]:
    with proxy_of(dockerd.socket, "wt-silent-") as server:
        yield server


ENGINE_TIMEOUT = 3  # seconds
STOP_TIMEOUT = 1


@pytest.mark.parametrize(
    ("method", "pattern"),
    [("POST", r"/containers/[0-9a-f]+/stop"), ("POST", r"/containers/[0-9a-f]+/rename\?")],
    ids=["at the first stop", "at the first rename"],
)
def test_an_engine_that_stops_answering_ends_the_run_with_one_sentence(
    method: str,
    pattern: str,
    proxy: KillProxy,
    docker_api: Any,
    dockerd: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    containers = fleet(docker_api, e2e_images, e2e_names)
    publish_all(e2e_images, e2e_names, "v2")
    new_image = e2e_images.build("v2")
    proxy.freeze(method, pattern)
    flags = ["--engine-timeout", f"{ENGINE_TIMEOUT}s", "--stop-timeout", f"{STOP_TIMEOUT}s"]
    began = time.monotonic()
    result = run_once(proxy.url, containers, tmp_path, *flags, "--update-concurrency", "4")
    took = time.monotonic() - began
    log = result.stdout + result.stderr
    assert proxy.frozen.is_set(), log

    # The calls in flight wait out one engine timeout (a stop: its own timeout
    # too), together; nothing is asked after. A second wait would double this.
    assert took < 2 * ENGINE_TIMEOUT + STOP_TIMEOUT + 4, (took, log)
    assert log.count("stopped answering") == 1, log
    assert "units not started." in log and f"at {proxy.url}" in log, log
    assert result.returncode == 0, log

    # The engine answers again: the next run repairs what was left and updates the rest.
    proxy.thaw()
    again = run_once(proxy.url, containers, tmp_path)
    assert again.returncode == 0, again.stderr
    now = ours(docker_api, e2e_names)
    assert sorted(now) == sorted(containers), sorted(now)
    assert all(entry["State"] == "running" for entry in now.values())
    assert {docker_api.inspect_container(name)["Image"] for name in containers} == {new_image}
