"""Snapshots of inspect answers (:mod:`watchtower.docker.snapshot`), without an engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from watchtower.docker.snapshot import (
    container_from_inspect,
    image_from_inspect,
    image_reference,
    link_names,
    named_volumes,
)
from watchtower.model import ContainerState

SUPPLIER = "a" * 64


def inspect(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Id": "b" * 64,
        "Name": "/web",
        "Image": "sha256:" + "1" * 64,
        "State": {"Status": "running"},
        "Config": {"Image": "127.0.0.1:5000/app:1", "Labels": {"k": "v"}},
        "HostConfig": {"NetworkMode": "default"},
    }
    for key, value in changes.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return base


def test_basic_fields() -> None:
    image = {"Id": "sha256:" + "1" * 64, "RepoDigests": ["127.0.0.1:5000/app@sha256:d"]}
    snap = container_from_inspect(inspect(Config={"StopSignal": "SIGINT", "StopTimeout": 7}), image)
    assert snap.name == "web"
    assert str(snap.image) == "127.0.0.1:5000/app:1"
    assert snap.repo_digests == ("127.0.0.1:5000/app@sha256:d",)
    assert snap.labels == {"k": "v"}
    assert snap.state is ContainerState.RUNNING
    assert snap.stop_signal == "SIGINT"
    assert snap.stop_timeout == timedelta(seconds=7)
    assert not snap.has_healthcheck
    assert snap.raw["Id"] == "b" * 64


@pytest.mark.parametrize(
    ("test", "expected"),
    [(["CMD", "true"], True), (["CMD-SHELL", "true"], True), (["NONE"], False), ([], False)],
)
def test_has_healthcheck(test: list[str], expected: bool) -> None:
    snap = container_from_inspect(inspect(Config={"Healthcheck": {"Test": test}}), None)
    assert snap.has_healthcheck is expected


def test_links_are_names() -> None:
    assert link_names(["/db:/web/db", "/cache:/web/c", "/db:/web/db2"]) == ("db", "cache")


@pytest.mark.parametrize("target", [SUPPLIER, SUPPLIER[:12], "db"])
def test_container_network_mode_is_shown_by_name(target: str) -> None:
    snap = container_from_inspect(
        inspect(HostConfig={"NetworkMode": f"container:{target}"}),
        None,
        {SUPPLIER: "db", "c" * 64: "other"},
    )
    assert snap.network_mode == "container:db"


def test_image_by_id_uses_the_original_image_label() -> None:
    data = inspect(
        Config={
            "Image": "sha256:" + "1" * 64,
            "Labels": {"com.centurylinklabs.zodiac.original-image": "127.0.0.1:5000/app:2"},
        }
    )
    assert str(image_reference(data)) == "127.0.0.1:5000/app:2"


def test_image_by_id_without_label_is_pinned() -> None:
    data = inspect(Config={"Image": "sha256:" + "1" * 64, "Labels": {}})
    assert image_reference(data).is_pinned


@pytest.mark.parametrize(
    ("config", "labels"),
    [
        ({"Labels": {"version": "1.25.4"}}, {"version": "1.25.4"}),
        ({"Labels": None}, {}),
        (None, {}),
        ({}, {}),
    ],
)  # fmt: skip
def test_an_image_carries_its_config_labels(
    config: dict[str, Any] | None, labels: dict[str, str]
) -> None:
    """An image's own labels come from its config; none is an empty mapping."""
    image = image_from_inspect({"Id": "sha256:1", "RepoDigests": ["a@sha256:2"], "Config": config})
    assert (image.id, image.repo_digests, dict(image.labels)) == (
        "sha256:1",
        ("a@sha256:2",),
        labels,
    )


@pytest.mark.parametrize(
    ("inspect", "size"),
    [
        ({"Size": 7_340_032}, 7_340_032),
        ({"Size": 0}, 0),
        ({}, None),  # an engine that does not say
        ({"Size": None}, None),
        ({"Size": -1}, None),
        ({"Size": "12"}, None),
        ({"Size": True}, None),
    ],
)  # fmt: skip
def test_an_image_carries_its_size_when_the_engine_gives_one(
    inspect: dict[str, Any], size: int | None
) -> None:
    """The inspect answer's Size, in bytes; anything but a count of bytes is unknown."""
    assert image_from_inspect({"Id": "sha256:1", **inspect}).size == size


@pytest.mark.parametrize(
    ("mounts", "expected"),
    [
        (None, {}),
        (
            [{"Type": "volume", "Name": "pgdata", "Destination": "/var/lib/pg"}],
            {"pgdata": "/var/lib/pg"},
        ),
        ([{"Type": "volume", "Name": "e" * 64, "Destination": "/data"}], {}),  # anonymous
        ([{"Type": "bind", "Source": "/srv", "Destination": "/srv"}], {}),
        ([{"Type": "volume", "Name": "", "Destination": "/x"}], {}),
        (
            [
                {"Type": "volume", "Name": "a", "Destination": "/a"},
                {"Type": "tmpfs", "Destination": "/tmp"},
                {"Type": "volume", "Name": "b.1", "Destination": "/b"},
            ],
            {"a": "/a", "b.1": "/b"},
        ),
    ],
)
def test_only_named_volumes_are_read_with_their_paths(
    mounts: Any, expected: dict[str, str]
) -> None:
    assert named_volumes(mounts) == expected
