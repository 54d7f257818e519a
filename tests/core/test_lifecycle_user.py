"""Who lifecycle hooks run as: --lifecycle-uid/--lifecycle-gid and the lifecycle.uid/.gid labels."""

from __future__ import annotations

import pytest

from watchtower import labels, update
from watchtower.cli.config import load
from watchtower.errors import ConfigurationError
from watchtower.model import Container, ImageRef
from watchtower.params import UpdateParams
from watchtower.settings import ContainerSettings
from watchtower.testing import MemoryEngine, MemoryRegistry


def _container(**label_values: str) -> Container:
    return Container(
        id="c" * 64,
        name="web",
        image=ImageRef("docker.io", "library/nginx", "latest"),
        image_id="sha256:" + "1" * 64,
        labels=label_values,
    )


@pytest.mark.parametrize(
    ("uid", "gid", "label_values", "user"),
    [
        (0, 0, {}, ""),
        (1000, 0, {}, "1000"),
        (0, 100, {}, ":100"),
        (1000, 100, {}, "1000:100"),
        (1000, 100, {labels.LIFECYCLE_UID: "33"}, "33:100"),
        (0, 0, {labels.LIFECYCLE_UID: "33", labels.LIFECYCLE_GID: "34"}, "33:34"),
        (1000, 0, {labels.LIFECYCLE_UID: ""}, "1000"),
    ],
)
def test_the_label_wins_over_the_flag(
    uid: int, gid: int, label_values: dict[str, str], user: str
) -> None:
    params = UpdateParams(lifecycle_uid=uid, lifecycle_gid=gid)
    assert ContainerSettings.read(_container(**label_values), params).hook_user == user


@pytest.mark.parametrize("raw", ["-1", "abc", "2147483648", "\uff11\uff12"])
def test_an_unreadable_id_label_falls_back_to_the_flag(raw: str) -> None:
    params = UpdateParams(lifecycle_uid=1000)
    settings = ContainerSettings.read(_container(**{labels.LIFECYCLE_UID: raw}), params)
    assert settings.hook_user == "1000"
    assert settings.problems == (
        f"Container 'web' has label {labels.LIFECYCLE_UID}={raw!r}, which is not an id from 0 "
        "to 2147483647; 1000 is used instead.",
    )


def test_the_flags_reach_the_parameters() -> None:
    params = load(["--lifecycle-uid", "33", "--lifecycle-gid=34"], {}).params
    assert (params.lifecycle_uid, params.lifecycle_gid) == (33, 34)


def test_a_negative_id_flag_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="--lifecycle-gid must be from 0 to 2147483647"):
        load(["--lifecycle-gid=-1"], {})


def test_a_run_passes_the_user_to_every_hook() -> None:
    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    engine.run(
        "web",
        registry.publish("example.org/web:1"),
        labels={labels.PRE_CHECK: "check", labels.PRE_UPDATE: "drain", labels.LIFECYCLE_GID: "7"},
    )
    engine.run("db", registry.publish("example.org/db:1"), labels={labels.PRE_CHECK: "check"})
    registry.publish("example.org/web:1")  # a new version
    update(engine, registry, UpdateParams(lifecycle_hooks=True, lifecycle_uid=1000))
    assert sorted(engine.hook_users) == [
        ("db", "check", "1000"),
        ("web", "check", "1000:7"),
        ("web", "drain", "1000:7"),
    ]


def test_without_ids_a_backend_is_never_given_a_user() -> None:
    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    engine.run("web", registry.publish("example.org/web:1"), labels={labels.PRE_CHECK: "check"})
    update(engine, registry, UpdateParams(lifecycle_hooks=True))
    assert engine.hook_users == [("web", "check", "")]
