"""Canary rollouts on real engines: the canary engine, or container, gets a new image first.

Each test runs ``python -m watchtower --run-once`` over a hosts file whose
first engine is a canary, with a history (``--data-dir``) and a short
``--canary-soak``: a v2 that does not start never reaches the other
engine; a good v2 reaches it only in a run after the soak. The last one
does the same on one engine, with a container labelled as the canary.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_e2e import environment
from tests.cli.test_fleet_e2e import on_each, spare_api  # noqa: F401  (a fixture)
from tests.core.test_hosts_e2e import start
from tests.support.dockerd import Dockerd
from tests.support.e2e_fixtures import Images, Names

pytestmark = pytest.mark.e2e

SOAK = 2.0


def run_once(tmp_path: Path, hosts: Path | str, *names: str, at_once: bool = False) -> str:
    """One run over the hosts file (or the one engine at that address); its standard error."""
    where = ["--host", hosts] if isinstance(hosts, str) else ["--hosts-file", str(hosts)]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--run-once",
            *where,
            "--data-dir",
            str(tmp_path / "data"),
            "--canary-soak",
            f"{int(SOAK)}s",
            *(["--canary-promote-at-once"] if at_once else []),
            *names,
        ],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


def canary_hosts(tmp_path: Path, canary: str, other: str) -> Path:
    path = tmp_path / "hosts"
    path.write_text(f"one {canary} canary\ntwo {other}\n")
    return path


def test_a_v2_that_fails_on_the_canary_never_reaches_the_other_engine(
    dockerd: Dockerd,
    docker_api: Any,
    spare_dockerd: Dockerd,
    spare_api: Any,  # noqa: F811
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    app = e2e_names("app")
    on_each((docker_api, spare_api), e2e_images, (app,))
    e2e_images.publish(app, "broken2")  # its command is no program: it never starts
    hosts = canary_hosts(tmp_path, dockerd.url, spare_dockerd.url)

    run_once(tmp_path, hosts, app)
    time.sleep(SOAK + 0.5)
    run_once(tmp_path, hosts, app)

    v1 = e2e_images.build("v1")
    assert docker_api.inspect_container(app)["Image"] == v1  # rolled back on the canary
    assert spare_api.inspect_container(app)["Image"] == v1  # never tried on the other


def test_a_good_v2_reaches_the_other_engine_only_after_the_soak(
    dockerd: Dockerd,
    docker_api: Any,
    spare_dockerd: Dockerd,
    spare_api: Any,  # noqa: F811
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    app = e2e_names("app")
    on_each((docker_api, spare_api), e2e_images, (app,))
    e2e_images.publish(app, "v2")
    hosts = canary_hosts(tmp_path, dockerd.url, spare_dockerd.url)
    v1, v2 = e2e_images.build("v1"), e2e_images.build("v2")

    run_once(tmp_path, hosts, app)

    assert docker_api.inspect_container(app)["Image"] == v2
    assert spare_api.inspect_container(app)["Image"] == v1

    time.sleep(SOAK + 0.5)
    run_once(tmp_path, hosts, app)

    assert spare_api.inspect_container(app)["Image"] == v2


def canary_and_other(api: Any, images: Images, names: Names) -> tuple[str, str, str]:
    """``app``'s v1 run as a canary container and as another one; v2 published. Their names."""
    app = names("app")
    canary, other = f"{app}-canary", f"{app}-other"
    reference = images.publish(app, "v1")
    api.pull(reference)
    created = api.create_container(
        reference,
        name=canary,
        labels={"com.centurylinklabs.watchtower.canary": "true"},
        host_config=api.create_host_config(network_mode="none"),
    )
    api.start(created["Id"])
    start(api, reference, other)
    images.publish(app, "v2")
    return app, canary, other


def test_a_canary_container_gets_v2_first_and_the_other_one_after_the_soak(
    dockerd: Dockerd, docker_api: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    _, canary, other = canary_and_other(docker_api, e2e_images, e2e_names)
    v1, v2 = e2e_images.build("v1"), e2e_images.build("v2")

    logged = run_once(tmp_path, dockerd.url, canary, other)

    assert docker_api.inspect_container(canary)["Image"] == v2
    assert docker_api.inspect_container(other)["Image"] == v1
    assert "updated 1" in logged and "skipped 1" in logged

    time.sleep(SOAK + 0.5)
    run_once(tmp_path, dockerd.url, canary, other)

    assert docker_api.inspect_container(other)["Image"] == v2


def test_promoted_at_once_the_other_container_follows_the_canary_in_the_same_run(
    dockerd: Dockerd, docker_api: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    _, canary, other = canary_and_other(docker_api, e2e_images, e2e_names)
    v2 = e2e_images.build("v2")

    logged = run_once(tmp_path, dockerd.url, canary, other, at_once=True)

    assert docker_api.inspect_container(canary)["Image"] == v2
    assert docker_api.inspect_container(other)["Image"] == v2
    assert "updated 2" in logged
    assert started(docker_api, canary) < started(docker_api, other)  # the canary first


def started(api: Any, name: str) -> str:
    """When the container started, as text that sorts as the time does (nanoseconds padded)."""
    at = str(api.inspect_container(name)["State"]["StartedAt"]).rstrip("Z")
    whole, _, fraction = at.partition(".")
    return f"{whole}.{fraction.ljust(9, '0')}"
