"""The push flags: sources, Docker Hub's secret, and the rarer poll."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchtower.cli.config import load
from watchtower.cli.push_settings import PushSettings
from watchtower.cli.schedule import Interval
from watchtower.errors import ConfigurationError

TOKEN = ["--http-api-token", "t0ken"]
SECRET = "0123456789abcdef"


def test_no_push_sources_by_default() -> None:
    config = load([], {})
    assert config.push == PushSettings()
    assert not config.push.enabled


def test_sources_from_the_flag_and_the_environment() -> None:
    config = load(["--push-sources", "registry,generic", *TOKEN], {})
    assert config.push.sources == {"registry", "generic"}
    config = load([], {"WATCHTOWER_PUSH_SOURCES": "dockerhub", "WATCHTOWER_PUSH_SECRET": SECRET})
    assert config.push.sources == {"dockerhub"}
    assert config.push.secret == SECRET
    assert SECRET not in repr(config)


def test_with_push_the_poll_interval_replaces_the_schedule() -> None:
    config = load(["--push-sources", "registry", "--push-poll-interval", "6h", *TOKEN], {})
    assert config.schedule == Interval(timedelta(hours=6))


def test_without_push_the_poll_interval_changes_nothing() -> None:
    config = load(["--push-poll-interval", "6h", "--interval", "300"], {})
    assert config.schedule == Interval(timedelta(minutes=5))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--push-sources", "quay", *TOKEN], "--push-sources 'quay' is not a push source"),
        (["--push-sources", "registry"], "--push-sources registry and generic need the API's"),
        (["--push-sources", "generic"], "--push-sources registry and generic need the API's"),
        (["--push-sources", "dockerhub"], "--push-sources dockerhub needs --push-secret"),
        (
            ["--push-sources", "dockerhub", "--push-secret", "short"],
            "--push-sources dockerhub needs --push-secret",
        ),
        (
            ["--push-sources", "registry", "--push-poll-interval", "-1h", *TOKEN],
            "--push-poll-interval",
        ),
    ],
)
def test_a_bad_push_setting_is_one_sentence(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(argv, {})
    assert str(caught.value).startswith(message)
