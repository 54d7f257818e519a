"""Going back on a real engine: --cleanup keeps v1, a rollback uses it, a hold, a release."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names

from .test_cli_e2e import environment, stale_container

pytestmark = [pytest.mark.e2e]


def watchtower(args: list[str], tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchtower", *args],
        env={**environment(tmp_path), **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_rollback_from_the_kept_image_is_held_until_released(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    name = e2e_names("app")
    _, _, v2 = stale_container(docker_api, e2e_images, e2e_names, "back")
    v1 = docker_api.inspect_container(name)["Image"]
    once = ["--run-once", "--cleanup", "--host", dockerd.url, "--data-dir", data, name]
    first = watchtower(once, tmp_path)
    assert first.returncode == 0, first.stderr
    assert docker_api.inspect_container(name)["Image"] == v2
    assert docker_api.inspect_image(v1)["Id"] == v1  # kept by --cleanup, to go back to

    # The registry is out of reach for this process, and the engine is watched for pulls.
    time.sleep(1.1)  # the engine's events are by the second: none of the first run's
    since = int(time.time())
    back = watchtower(
        ["rollback", name, "-H", dockerd.url, "--data-dir", data],
        tmp_path,
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
    )
    assert back.returncode == 0, back.stderr
    assert back.stdout.startswith(f"{name}: rolled back to ")
    now = docker_api.inspect_container(name)
    assert now["Image"] == v1 and now["State"]["Running"]
    pulls = docker_api.events(
        since=since, until=int(time.time()) + 1, decode=True, filters={"event": "pull"}
    )
    assert list(pulls) == []

    held = watchtower(once, tmp_path)
    assert held.returncode == 0, held.stderr
    assert docker_api.inspect_container(name)["Image"] == v1  # held: the registry's v2 waits

    released = watchtower(["release", name, "--data-dir", data], tmp_path)
    assert released.returncode == 0, released.stderr
    again = watchtower(once, tmp_path)
    assert again.returncode == 0, again.stderr
    assert docker_api.inspect_container(name)["Image"] == v2

    shown = watchtower(["history", name, "--data-dir", data], tmp_path)
    lines = shown.stdout.splitlines()[1:]
    assert len(lines) == 3 and all("updated" in line for line in lines)
    assert "rolled back to" in lines[1]
