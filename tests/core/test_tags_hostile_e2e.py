"""A hostile tag pattern cannot freeze the daemon: the real command, engine and registry.

``(a|a)*b`` searched in a tag of many a's takes exponential time in a
backtracking engine, which holds the interpreter lock all along: the HTTP
API, the scheduler and the signal handlers would stop with it.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api_process import TOKEN, serving
from tests.support.e2e_fixtures import Images, Names
from tests.support.registry import RegistryServer
from watchtower import labels as L

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOSTILE = "(a|a)*b"
# Tags hold at most 128 characters; 120 a's are far beyond what backtracking gets through.
SUFFIX = "-" + "a" * 120


def _statuses(url: str) -> dict[str, str]:
    answer = requests.get(f"{url}/v1/containers/details", headers=AUTH, timeout=30).json()
    return {c["name"]: c["status"] for c in answer["containers"]}


def test_a_nested_repeat_in_a_tag_label_leaves_the_daemon_responsive(
    docker_api: Any,
    dockerd: Any,
    e2e_images: Images,
    e2e_registry: RegistryServer,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    """/livez answers 20 of 20 probes within a second, the run ends, SIGTERM ends the daemon."""
    repository = e2e_names("hostile")
    old = e2e_images.publish(repository, "v1", "1.0.0" + SUFFIX)
    new = e2e_images.publish(repository, "v2", "1.0.1" + SUFFIX)
    # The pattern as include keeps a container where it is; as exclude it lets it move:
    # either way it is searched in the newer, long tag.
    kept, moved = e2e_names("kept"), e2e_names("moved")
    for name, label in ((kept, L.TAG_INCLUDE), (moved, L.TAG_EXCLUDE)):
        created = docker_api.create_container(
            old,
            name=name,
            labels={L.TAG_RULE: "patch", label: HOSTILE},
            host_config=docker_api.create_host_config(network_mode="none"),
        )
        docker_api.start(created["Id"])

    with serving(dockerd.url, tmp_path, [kept, moved], "--stop-timeout", "2s") as (process, url):
        mark = len(e2e_registry.access_log())
        started = requests.post(f"{url}/v1/update?async=true", headers=AUTH, timeout=30)
        assert started.status_code == 202
        # Once the registry has listed the tags, the rules search them.
        deadline = time.monotonic() + 60
        while not any("/tags/list" in line for line in e2e_registry.access_log()[mark:]):
            assert time.monotonic() < deadline, "the run never listed the repository's tags"
            time.sleep(0.05)

        took = []
        for _ in range(20):
            probe = time.monotonic()
            # The bound: each answer within a second.
            assert requests.get(f"{url}/livez", timeout=1.0).status_code == 200
            took.append(time.monotonic() - probe)
        assert max(took) < 1.0, took

        deadline = time.monotonic() + 120
        while True:
            statuses = _statuses(url)
            # Unknown until checked, stale until replaced, missing while being replaced.
            if all(statuses.get(n) not in (None, "unknown", "stale") for n in (kept, moved)):
                break
            assert time.monotonic() < deadline, statuses
            time.sleep(0.2)
        assert statuses == {kept: "fresh", moved: "updated"}
        assert docker_api.inspect_container(kept)["Config"]["Image"] == old
        assert docker_api.inspect_container(moved)["Config"]["Image"] == new

        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - stopping < 10
