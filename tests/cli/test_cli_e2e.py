"""The real ``watchtower`` command, as a subprocess, against a real engine and registry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from tests.support.net import free_port, wait_for_port

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]

REPO_ROOT = Path(__file__).resolve().parents[2]


def environment(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no docker config of the machine's, no WATCHTOWER_* leftovers."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WATCHTOWER_", "DOCKER_", "REPO_"))
    }
    env.update(
        HOME=str(tmp_path),
        DOCKER_CONFIG=str(tmp_path / ".docker"),
        PYTHONPATH=str(REPO_ROOT),
        NO_COLOR="1",
    )
    return env


def run_container(api: Any, image: str, name: str) -> str:
    created = api.create_container(
        image, name=name, host_config=api.create_host_config(network_mode="none")
    )
    api.start(created["Id"])
    return str(created["Id"])


def stale_container(api: Any, images: Images, names: Names, repo: str) -> tuple[str, str, str]:
    """A running container on v1 of ``repo`` while the registry serves v2."""
    reference = images.publish(names(repo), "v1")
    container_id = run_container(api, reference, names("app"))
    images.publish(names(repo), "v2")
    return reference, container_id, images.build("v2")


def test_run_once_updates_a_stale_container(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    reference, old_id, new_image = stale_container(docker_api, e2e_images, e2e_names, "once")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--run-once",
            "--porcelain",
            "v1",
            "--host",
            dockerd.url,
            e2e_names("app"),
        ],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{e2e_names('app')} ({reference}): Updated\n"
    now = docker_api.inspect_container(e2e_names("app"))
    assert now["Id"] != old_id
    assert now["Image"] == new_image
    assert now["State"]["Running"]


def test_monitor_only_changes_nothing_and_reports_stale(
    docker_api: Any,
    dockerd: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    _, old_id, new_image = stale_container(docker_api, e2e_images, e2e_names, "monitor")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--run-once",
            "--monitor-only",
            "--porcelain",
            "json",
            e2e_names("app"),
        ],
        env={**environment(tmp_path), "DOCKER_HOST": dockerd.url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(c["name"], c["state"], c["update_available"]) for c in report["containers"]] == [
        (e2e_names("app"), "Stale", True)
    ]
    now = docker_api.inspect_container(e2e_names("app"))
    assert now["Id"] == old_id
    assert now["Image"] != new_image


def test_a_bad_flag_exits_2_before_touching_anything(
    docker_api: Any,
    dockerd: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    _, old_id, _ = stale_container(docker_api, e2e_images, e2e_names, "bad")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--run-once",
            "--host",
            dockerd.url,
            "--schedule",
            "0 4 * *",
            e2e_names("app"),
        ],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "watchtower: --schedule '0 4 * *' has 4 fields; a cron "
        "expression has 6 (seconds first, as Watchtower) or 5 (minutes "
        "first).\n"
    )
    assert docker_api.inspect_container(e2e_names("app"))["Id"] == old_id


@pytest.fixture
def api_process(dockerd: Any, e2e_names: Names, tmp_path: Path) -> Iterator[tuple[Any, str]]:
    port = free_port()
    token_file = tmp_path / "token"
    token_file.write_text("right-token\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--host",
            dockerd.url,
            "--http-api-endpoints",
            "update,metrics,health",
            "--http-api-token",
            str(token_file),
            "--http-api-host",
            "127.0.0.1",
            "--http-api-port",
            str(port),
            e2e_names("app"),
        ],
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, timeout=60)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def test_http_api_updates_with_the_token_only_and_counts_it(
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    api_process: tuple[Any, str],
) -> None:
    process, base = api_process
    _, old_id, new_image = stale_container(docker_api, e2e_images, e2e_names, "api")

    wrong = requests.post(
        f"{base}/v1/update", headers={"Authorization": "Bearer wrong"}, timeout=60
    )
    assert wrong.status_code == 401
    assert docker_api.inspect_container(e2e_names("app"))["Id"] == old_id

    right = requests.post(
        f"{base}/v1/update", headers={"Authorization": "Bearer right-token"}, timeout=120
    )
    assert right.status_code == 200, right.text
    assert right.json()["summary"]["updated"] == 1
    now = docker_api.inspect_container(e2e_names("app"))
    assert now["Id"] != old_id and now["Image"] == new_image

    metrics = requests.get(
        f"{base}/v1/metrics", headers={"Authorization": "Bearer right-token"}, timeout=30
    ).text
    assert "watchtower_containers_scanned 1.0" in metrics
    assert "watchtower_containers_updated 1.0" in metrics
    assert "watchtower_containers_failed 0.0" in metrics
    assert "watchtower_scans_total 1.0" in metrics
    assert requests.get(f"{base}/livez", timeout=30).status_code == 200

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
