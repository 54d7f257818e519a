"""Maintenance windows against a real engine and registry: checked outside, replaced inside."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.docker import DockerClient
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome
from watchtower.testing import FixedClock

pytestmark = [pytest.mark.e2e]

# A Thursday noon: outside a Saturday window.
THURSDAY = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _params(names: Names, **kwargs: Any) -> UpdateParams:
    return UpdateParams(
        names=(names.pattern,),
        stop_timeout=timedelta(seconds=2),
        zone=timezone.utc,
        **kwargs,
    )


def test_outside_its_window_a_stale_container_is_kept_and_forced_it_is_replaced(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    """The engine keeps the very container; forced, it runs the new image."""
    repo, name = e2e_names("win"), e2e_names("win")
    created = docker_api.create_container(
        e2e_images.publish(repo, "v1"),
        name=name,
        labels={L.WINDOW: "Sat 02:00/4h"},
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(created["Id"])
    e2e_images.publish(repo, "v2")

    report = update(docker_client, HttpRegistry(), _params(e2e_names), clock=FixedClock(THURSDAY))
    (entry,) = report.entries
    assert entry.outcome is Outcome.STALE
    assert entry.reason == "waits for the window that opens Sat 2026-01-03 02:00 UTC"
    after = docker_api.inspect_container(name)
    assert (after["Id"], after["Image"]) == (created["Id"], e2e_images.build("v1"))

    forced = _params(e2e_names, ignore_windows=True)
    (entry,) = update(docker_client, HttpRegistry(), forced, clock=FixedClock(THURSDAY)).entries
    assert entry.outcome is Outcome.UPDATED
    assert docker_api.inspect_container(name)["Image"] == e2e_images.build("v2")
