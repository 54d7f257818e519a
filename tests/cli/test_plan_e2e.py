"""``POST /v1/plan`` and acting on it, with the real ``watchtower`` command, engine and registry."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api_process import TOKEN, serving
from tests.support.e2e_fixtures import Images, Names
from tests.support.net import free_port
from watchtower import labels as L
from watchtower.planner import MOVED

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run(api: Any, reference: str, name: str, labels: dict[str, str] | None = None) -> str:
    created = api.create_container(
        reference,
        name=name,
        labels=labels or {},
        host_config=api.create_host_config(network_mode="none"),
    )
    api.start(created["Id"])
    return str(created["Id"])


def plan(base: str) -> dict[str, Any]:
    answer = requests.post(f"{base}/v1/plan", headers=AUTH, timeout=180)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_plan_made_by_the_server_is_carried_out_as_shown(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    db, web, watched, gone = (e2e_names(n) for n in ("db", "web", "watched", "gone"))
    db_ref = e2e_images.publish(e2e_names("plan-db"), "v1")
    run(docker_api, db_ref, db)
    run(
        docker_api,
        e2e_images.publish(e2e_names("plan-web"), "v1"),
        web,
        {L.DEPENDS_ON: db},
    )
    watched_ref = e2e_images.publish(e2e_names("plan-watched"), "v1")
    watched_id = run(docker_api, watched_ref, watched, {L.MONITOR_ONLY: "true"})
    # An image with repo digests, named after a registry nothing listens on.
    unreachable = f"127.0.0.1:{free_port()}/{e2e_names('plan-gone')}"
    docker_api.tag(e2e_images.build("v1"), unreachable, "latest")
    run(docker_api, f"{unreachable}:latest", gone)
    e2e_images.publish(e2e_names("plan-db"), "v2")
    e2e_images.publish(e2e_names("plan-watched"), "v2")
    v1, v2 = e2e_images.build("v1"), e2e_images.build("v2")
    web_before = docker_api.inspect_container(web)

    with serving(dockerd.url, tmp_path, [db, web, watched, gone]) as (process, base):
        first = plan(base)
        entries = {e["name"]: e for e in first["entries"]}
        assert [e["name"] for e in first["entries"]] == [db, web, gone, watched]
        assert (entries[db]["action"], entries[db]["group"]) == ("update", "update")
        assert entries[db]["latest_digest"] != entries[db]["digest"]
        assert entries[web]["group"] == "restart" and entries[web]["because"] == [db]
        assert (entries[watched]["group"], entries[watched]["reason"]) == ("skip", "monitor only")
        assert entries[gone]["group"] == "error" and entries[gone]["action"] == "none"
        assert first["counts"] == {
            "update": 1,
            "restart": 1,
            "error": 1,
            "skip": 1,
            "fresh": 0,
            "canary": 0,
            "deferred": 0,
        }

        acted = requests.post(
            f"{base}/v1/update?plan={first['id']}&timeout=2m", headers=AUTH, timeout=180
        )

        assert acted.status_code == 200, acted.text
        outcomes = {e["name"]: e["outcome"] for e in acted.json()["entries"]}
        assert outcomes == {db: "updated", web: "restarted"}
        assert docker_api.inspect_container(db)["Image"] == v2
        web_after = docker_api.inspect_container(web)
        assert web_after["Id"] != web_before["Id"]
        assert web_after["Image"] == web_before["Image"] == v1
        assert docker_api.inspect_container(watched)["Id"] == watched_id
        assert docker_api.inspect_container(watched)["Image"] == v1
        again = requests.post(f"{base}/v1/update?plan={first['id']}", headers=AUTH, timeout=30)
        assert again.status_code == 409

        # A plan whose image is pushed again before it is acted on.
        e2e_images.publish(e2e_names("plan-db"), "v2", labels={"plan.test": "second"})
        second = plan(base)
        assert {e["name"]: e["group"] for e in second["entries"]}[db] == "update"
        e2e_images.publish(e2e_names("plan-db"), "v2", labels={"plan.test": "third"})

        moved = requests.post(
            f"{base}/v1/update?plan={second['id']}&timeout=2m", headers=AUTH, timeout=180
        )

        assert moved.status_code == 200, moved.text
        rows = {e["name"]: e for e in moved.json()["entries"]}
        assert rows[db]["outcome"] == "skipped"
        assert rows[db]["reason"].startswith(MOVED)
        assert docker_api.inspect_container(db)["Image"] == v2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
