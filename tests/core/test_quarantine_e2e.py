"""Quarantine on the real engine and registry: a v2 that does not start is not tried twice."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names
from watchtower import UpdateParams, update
from watchtower.cli.quarantine import release_digest_command
from watchtower.docker import DockerClient
from watchtower.history import FILE_NAME, SqliteHistory
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome, Report

pytestmark = [pytest.mark.e2e]


def run(api: Any, image: str, name: str) -> str:
    created = api.create_container(
        image, name=name, host_config=api.create_host_config(network_mode="none")
    )
    api.start(created["Id"])
    return str(created["Id"])


def go(client: DockerClient, names: Names, data_dir: Path) -> Report:
    params = UpdateParams(
        names=(names.pattern,),
        update_concurrency=1,
        stop_timeout=timedelta(seconds=2),
        health_timeout=timedelta(seconds=15),
    )
    with SqliteHistory(data_dir / FILE_NAME) as history:
        return update(client, HttpRegistry(), params, history=history)


def test_a_digest_that_does_not_start_is_quarantined_until_released(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    repo = e2e_names("app")
    image = e2e_images.publish(repo, "v1")
    ids = {name: run(docker_api, image, e2e_names(name)) for name in ("a", "b")}
    e2e_images.publish(repo, "broken2")  # its command is no program: it never starts
    digest = docker_api.inspect_distribution(image)["Descriptor"]["digest"]

    first = go(docker_client, e2e_names, tmp_path)

    outcomes = {e.name: e for e in first}
    failed = [e for e in outcomes.values() if e.outcome is Outcome.FAILED]
    skipped = [e for e in outcomes.values() if e.outcome is Outcome.SKIPPED]
    assert len(failed) == 1 and failed[0].rolled_back, outcomes
    assert len(skipped) == 1, outcomes
    assert skipped[0].reason.startswith(f"digest {digest[:19]}\u2026 is quarantined: it failed on ")
    assert [q.digest for q in first.quarantined] == [digest]
    # Both still run v1, under their own names: the second was never stopped.
    for name, cid in ids.items():
        now = docker_api.inspect_container(e2e_names(name))
        assert now["Id"] == cid and now["State"]["Running"]

    second = go(docker_client, e2e_names, tmp_path)
    assert {e.outcome for e in second} == {Outcome.SKIPPED}
    assert second.quarantined == ()  # told once

    out, err = io.StringIO(), io.StringIO()
    code = release_digest_command(
        [digest[:19], "--data-dir", str(tmp_path)], {}, stdout=out, stderr=err
    )
    assert (code, err.getvalue()) == (0, ""), err.getvalue()

    third = go(docker_client, e2e_names, tmp_path)
    # Tried again: the first replacement fails once more and quarantines it anew.
    assert sorted(e.outcome.value for e in third) == ["failed", "skipped"]
    assert [q.digest for q in third.quarantined] == [digest]
