"""Approval on a real engine and registry: the container waits; an approval replaces it."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.api_process import TOKEN, serving
from tests.support.e2e_fixtures import Images, Names
from tests.support.mosquitto import Broker, Listener, require_mosquitto
from watchtower.cli.mqtt import object_id

from .test_rollback_e2e import watchtower

pytestmark = [pytest.mark.e2e]

AUTH = {"Authorization": f"Bearer {TOKEN}"}
POLICY = "com.centurylinklabs.watchtower.policy"


def test_an_update_waits_for_approval_and_the_approval_replaces_it_with_that_digest(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    name = e2e_names("app")
    reference = e2e_images.publish(e2e_names("approve"), "v1")
    created = docker_api.create_container(
        reference,
        name=name,
        labels={POLICY: "approve"},
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(created["Id"])
    e2e_images.publish(e2e_names("approve"), "v2")
    v1, v2 = docker_api.inspect_container(name)["Image"], e2e_images.build("v2")
    data = tmp_path / "data"
    with serving(dockerd.url, tmp_path, [name], "--data-dir", str(data)) as (process, base):
        for _ in range(2):  # the second run finds the same digest: it asks nothing new
            ran = requests.post(f"{base}/v1/update", headers=AUTH, timeout=120)
            assert ran.status_code == 200, ran.text
            assert docker_api.inspect_container(name)["Image"] == v1
        listed = requests.get(f"{base}/v1/approvals", headers=AUTH, timeout=30).json()
        (pending,) = listed["approvals"]
        assert (pending["container"], pending["state"]) == (name, "pending")
        assert "(waits for approval: " in pending["summary"]
        digest = pending["digest"]
        assert digest.startswith("sha256:")

        wrong = requests.post(
            f"{base}/v1/approvals/{name}/approve?digest={'0' * 64}", headers=AUTH, timeout=30
        )
        assert wrong.status_code == 409
        assert docker_api.inspect_container(name)["Image"] == v1

        approved = requests.post(
            f"{base}/v1/approvals/{name}/approve?digest={digest[7:19]}", headers=AUTH, timeout=120
        )
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["approval"]["state"] == "approved"
        assert body["entry"]["outcome"] == "updated"
        now = docker_api.inspect_container(name)
        assert now["Image"] == v2 and now["State"]["Running"]
        repo_digests = docker_api.inspect_image(now["Image"])["RepoDigests"]
        assert any(entry.endswith(f"@{digest}") for entry in repo_digests)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def test_watchtower_approve_runs_the_approved_update_on_the_engine(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    name = e2e_names("app")
    reference = e2e_images.publish(e2e_names("approve-cli"), "v1")
    created = docker_api.create_container(
        reference,
        name=name,
        labels={POLICY: "approve"},
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(created["Id"])
    e2e_images.publish(e2e_names("approve-cli"), "v2")
    v1, v2 = docker_api.inspect_container(name)["Image"], e2e_images.build("v2")
    data = str(tmp_path / "data")
    first = watchtower(["--run-once", "--host", dockerd.url, "--data-dir", data, name], tmp_path)
    assert first.returncode == 0, first.stderr
    assert docker_api.inspect_container(name)["Image"] == v1
    approved = watchtower(["approve", name, "-H", dockerd.url, "--data-dir", data], tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith(f"{name}: the update to ")
    assert approved.stdout.endswith("is approved and done.\n")
    assert docker_api.inspect_container(name)["Image"] == v2


def test_home_assistant_s_install_press_approves_and_updates_on_the_engine(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    require_mosquitto()
    broker = Broker(tmp_path)
    broker.start()
    name = e2e_names("app")
    reference = e2e_images.publish(e2e_names("approve-mqtt"), "v1")
    created = docker_api.create_container(
        reference,
        name=name,
        labels={POLICY: "approve"},
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(created["Id"])
    e2e_images.publish(e2e_names("approve-mqtt"), "v2")
    v1, v2 = docker_api.inspect_container(name)["Image"], e2e_images.build("v2")
    listener = Listener(broker, "homeassistant/#", "watchtower/#")
    extra = ["--data-dir", str(tmp_path / "data"), "--mqtt", broker.url]
    try:
        with serving(dockerd.url, tmp_path, [name], *extra) as (process, base):
            assert listener.wait("watchtower/availability") == b"online"
            ran = requests.post(f"{base}/v1/update", headers=AUTH, timeout=120)
            assert ran.status_code == 200, ran.text
            key = object_id(name)
            config = json.loads(listener.wait(f"homeassistant/update/watchtower/{key}/config"))
            assert config["command_topic"] == f"watchtower/{key}/install"
            # The versions a digest alone tells apart come with the run's report, at its end.
            state = json.loads(
                listener.wait(
                    f"watchtower/{key}/state", lambda p: json.loads(p)["latest_version"] is not None
                )
            )
            assert state["installed_version"] != state["latest_version"]
            assert docker_api.inspect_container(name)["Image"] == v1

            listener.publish(f"watchtower/{key}/install", "install")
            listener.wait(
                f"watchtower/{key}/state",
                lambda p: (
                    json.loads(p)["installed_version"]
                    == json.loads(p)["latest_version"]
                    == state["latest_version"]
                ),
                timeout=120,
            )
            assert docker_api.inspect_container(name)["Image"] == v2
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        assert listener.wait("watchtower/availability", lambda p: p == b"offline")
    finally:
        listener.close()
        broker.stop()
