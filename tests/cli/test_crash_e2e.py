"""The real command line, killed with SIGKILL at each step of a replacement, then repaired.

The command runs unchanged against the private engine through a proxy of
its socket (tests/support/killproxy.py), which kills it right after the
engine carried out a chosen request, or right before one reaches it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from tests.cli.test_cli_e2e import environment, run_container
from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from tests.support.killproxy import KillProxy, proxy_of

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]

#: Where the run dies: (method, target pattern, after the engine's answer?).
#: ``{old}`` is the old container's id, ``{name}`` its name.
STEPS = {
    "after rename": ("POST", r"/containers/{old}/rename\?", True),
    "after stop": ("POST", r"/containers/{old}/stop", True),
    "after create": ("POST", r"/containers/create\?name={name}(&|$)", True),
    "after start": ("POST", r"/containers/[0-9a-f]{{64}}/start", True),
    "before remove": ("DELETE", r"/containers/{old}(\?|$)", False),
}


@pytest.fixture
def proxy(dockerd: Any) -> Iterator[KillProxy]:
    with proxy_of(dockerd.socket, "wt-kill-") as server:
        yield server


def command(host: str, *names: str) -> list[str]:
    flags = ["--run-once", "--include-stopped", "--host", host]
    return [sys.executable, "-m", "watchtower", *flags, *names]


def ours(api: Any, names: Names) -> dict[str, dict[str, Any]]:
    """This test's containers by name, inspected."""
    found = {}
    for entry in api.containers(all=True):
        name = entry["Names"][0].lstrip("/")
        if name.startswith(names.prefix):
            try:
                found[name] = api.inspect_container(entry["Id"])
            except docker.errors.NotFound:
                # A request the killed run had sent (another unit's create or
                # remove) may still finish at the engine after the listing.
                continue
    return found


@pytest.mark.parametrize("step", list(STEPS))
def test_a_run_killed_at_each_step_is_repaired_by_the_next(
    step: str,
    proxy: KillProxy,
    docker_api: Any,
    dockerd: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    app, idle = e2e_names("app"), e2e_names("idle")
    reference = e2e_images.publish(e2e_names("crash"), "v1")
    old_id = run_container(docker_api, reference, app)
    host_config = docker_api.create_host_config(network_mode="none")
    docker_api.create_container(reference, name=idle, host_config=host_config)  # never started
    e2e_images.publish(e2e_names("crash"), "v2")
    new_image = e2e_images.build("v2")

    process = subprocess.Popen(
        command(proxy.url, app, idle),
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    method, pattern, after = STEPS[step]
    proxy.arm(process.pid, method, pattern.format(old=old_id, name=app), after=after)
    _, killed_err = process.communicate(timeout=120)
    assert proxy.fired.is_set(), (proxy.seen, killed_err)
    assert process.returncode == -signal.SIGKILL
    left = ours(docker_api, e2e_names)
    assert f"{app}-watchtower-old-{old_id[:12]}" in left, sorted(left)  # half done

    result = subprocess.run(
        command(dockerd.url, app, idle),
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "Repaired " in result.stdout + result.stderr
    now = ours(docker_api, e2e_names)
    assert sorted(now) == sorted([app, idle])  # nothing renamed aside remains
    assert now[app]["State"]["Running"], step
    assert now[app]["Image"] == new_image
    assert not now[idle]["State"]["Running"], "a container that never ran was started"
    assert now[idle]["State"]["Status"] == "created"
    assert now[idle]["Image"] == new_image
