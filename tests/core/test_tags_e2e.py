"""Tag rules end to end: a real engine, a real registry, containers landing on their tags."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names
from tests.support.images import build_and_push
from tests.support.registry import RegistryServer
from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.docker import DockerClient
from watchtower.plans import Action
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome

pytestmark = pytest.mark.e2e

TAGS = ("1.0.0", "1.0.1", "1.1.0", "2.0.0", "1.0.2-rc1", "1.0.0-alpine", "1.0.1-alpine")

# name: (the tag it runs, its labels, the tag it must land on)
CONTAINERS: dict[str, tuple[str, dict[str, str], str]] = {
    "patch": ("1.0.0", {L.TAG_RULE: "patch"}, "1.0.1"),
    "minor": ("1.0.0", {L.TAG_RULE: "minor"}, "1.1.0"),
    "major": ("1.0.0", {L.TAG_RULE: "major"}, "2.0.0"),
    "pre": ("1.0.0", {L.TAG_RULE: "patch", L.TAG_PRERELEASE: "true"}, "1.0.2-rc1"),
    "alpine": ("1.0.0-alpine", {L.TAG_RULE: "major"}, "1.0.1-alpine"),
    "norule": ("1.0.0", {}, "1.0.0"),
    "watching": ("1.0.0", {L.TAG_RULE: "minor", L.MONITOR_ONLY: "true"}, "1.0.0"),
}


def tag_lists(registry: RegistryServer, since: int) -> list[str]:
    """The tag list requests watchtower made after log line ``since``."""
    return [line for line in registry.access_log()[since:] if "/tags/list" in line]


def test_containers_land_on_the_tags_their_rules_pick(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_registry: RegistryServer,
    e2e_names: Names,
) -> None:
    """Patch, minor, major, pre-release and suffixed rules each land right, with one listing."""
    repository = f"{e2e_registry.host}/tags-e2e-{os.getpid()}"
    ids = {}
    for tag in TAGS:
        ids[tag], _ = build_and_push(docker_api, f"{repository}:{tag}", version=tag)
    for name, (tag, labels, _) in CONTAINERS.items():
        created = docker_api.create_container(
            f"{repository}:{tag}",
            name=e2e_names(name),
            labels=labels,
            host_config=docker_api.create_host_config(network_mode="none"),
        )
        docker_api.start(created["Id"])
    params = UpdateParams(names=(e2e_names.pattern,), stop_timeout=timedelta(seconds=2))

    mark = len(e2e_registry.access_log())
    shown = plan(docker_client, HttpRegistry(), params, pull=False).describe()
    assert f"{repository}:1.0.0 -> {repository}:1.1.0" in shown
    assert len(tag_lists(e2e_registry, mark)) == 1

    mark = len(e2e_registry.access_log())
    report = update(docker_client, HttpRegistry(), params)
    assert len(tag_lists(e2e_registry, mark)) == 1, tag_lists(e2e_registry, mark)

    for name, (tag, _, lands_on) in CONTAINERS.items():
        inspect = docker_api.inspect_container(e2e_names(name))
        assert inspect["Config"]["Image"] == f"{repository}:{lands_on}", name
        assert inspect["Image"] == ids[lands_on], name
        assert inspect["State"]["Running"], name
        entry = report.get(e2e_names(name))
        assert entry is not None
        if lands_on != tag:
            assert (
                entry.outcome is Outcome.UPDATED and entry.new_image == f"{repository}:{lands_on}"
            )
    watching = report.get(e2e_names("watching"))
    assert watching is not None and watching.outcome is Outcome.STALE
    assert watching.new_image == f"{repository}:1.1.0"

    # The next scan finds every container on its newest allowed tag.
    again = plan(docker_client, HttpRegistry(), params)
    assert [e.name for e in again if e.action is not Action.NONE] == []
