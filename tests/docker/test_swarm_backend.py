"""The swarm backend's pure parts: a service from its inspect answer, a rollout's end, auth."""

from __future__ import annotations

import base64
import json
from typing import Any

import docker
import pytest

from watchtower.docker.swarm import SwarmClient, rollout_of, service_from_inspect
from watchtower.model import ImageRef, Rollout, RolloutState

DIGEST = "sha256:" + "a" * 64


def answer(mode: dict[str, Any], image: str = f"127.0.0.1:5000/app:1@{DIGEST}") -> dict[str, Any]:
    return {
        "ID": "svc1",
        "Version": {"Index": 7},
        "Spec": {
            "Name": "web",
            "Labels": {"com.centurylinklabs.watchtower.enable": "true"},
            "TaskTemplate": {"ContainerSpec": {"Image": image}},
            "Mode": mode,
        },
    }


@pytest.mark.parametrize(
    ("mode", "replicas"),
    [({"Replicated": {"Replicas": 3}}, 3), ({"Replicated": {}}, 0), ({"Global": {}}, None)],
)
def test_a_service_from_its_inspect_answer(mode: dict[str, Any], replicas: int | None) -> None:
    service = service_from_inspect(answer(mode))
    assert (service.id, service.name, service.replicas) == ("svc1", "web", replicas)
    assert service.image == ImageRef("127.0.0.1:5000", "app", "1", DIGEST)
    assert service.followed == ImageRef("127.0.0.1:5000", "app", "1")
    assert service.labels == {"com.centurylinklabs.watchtower.enable": "true"}


BEFORE = {"State": "completed", "StartedAt": "2026-01-01T00:00:00Z", "Message": "done"}


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (None, None),
        (BEFORE, None),  # the previous rollout's status: this one has not begun
        ({"State": "updating", "StartedAt": "t2"}, None),
        ({"State": "rollback_started", "StartedAt": "t2"}, None),
        (
            {"State": "completed", "StartedAt": "t2", "Message": "update completed"},
            Rollout(RolloutState.COMPLETED, "update completed"),
        ),
        (
            {"State": "rollback_completed", "StartedAt": "t2", "Message": "rollback completed"},
            Rollout(RolloutState.ROLLED_BACK, "rollback completed"),
        ),
        (
            {"State": "paused", "StartedAt": "t2", "Message": "update paused: task failed"},
            Rollout(RolloutState.FAILED, "update paused: task failed"),
        ),
        ({"State": "rollback_paused", "StartedAt": "t2"}, Rollout(RolloutState.FAILED)),
    ],
)
def test_when_a_rollout_has_ended_and_how(
    after: dict[str, str] | None, expected: Rollout | None
) -> None:
    assert rollout_of(BEFORE, after) == expected


def test_a_first_rollout_ends_at_its_first_final_state() -> None:
    done = {"State": "completed", "StartedAt": "t1"}
    assert rollout_of(None, done) == Rollout(RolloutState.COMPLETED)


def test_the_update_carries_the_registry_credentials_for_every_node() -> None:
    api = docker.APIClient(base_url="unix:///nonexistent.sock", version="1.41")
    secret = {"username": "robot", "password": "s3cret", "serveraddress": "registry.example"}
    swarm = SwarmClient(api, auth=lambda host: secret if host == "registry.example" else None)

    header = swarm._registry_auth(ImageRef("registry.example", "app", "1"))["X-Registry-Auth"]
    decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    assert decoded == secret
    assert swarm._registry_auth(ImageRef("other.example", "app", "1")) == {}
    assert "s3cret" not in repr(swarm)
