"""Choosing our image from a multi-platform index."""

from __future__ import annotations

import pytest

from watchtower.errors import ConfigurationError
from watchtower.registry import Platform

INDEX = [
    {"digest": "sha256:amd", "platform": {"os": "linux", "architecture": "amd64"}},
    {"digest": "sha256:armv6", "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
    {"digest": "sha256:armv7", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
    {
        "digest": "sha256:arm64",
        "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
    },
    {"digest": "sha256:win", "platform": {"os": "windows", "architecture": "amd64"}},
    {"digest": "sha256:att", "platform": {"os": "unknown", "architecture": "unknown"}},
    "garbage",
    {"digest": 5, "platform": {"os": "linux", "architecture": "amd64"}},
]


@pytest.mark.parametrize(
    ("platform", "chosen"),
    [
        ("linux/amd64", "sha256:amd"),
        ("linux/arm/v7", "sha256:armv7"),
        ("linux/arm/v6", "sha256:armv6"),
        ("linux/arm64", "sha256:arm64"),
        ("linux/arm64/v8", "sha256:arm64"),
        ("windows/amd64", "sha256:win"),
        ("linux/arm/v5", None),
        ("linux/s390x", None),
    ],
)
def test_choose(platform: str, chosen: str | None) -> None:
    assert Platform.parse(platform).choose(INDEX) == chosen


def test_not_an_index() -> None:
    assert Platform("linux", "amd64").choose({"manifests": []}) is None


@pytest.mark.parametrize("text", ["linux", "linux/", "a/b/c/d", ""])
def test_bad_platforms(text: str) -> None:
    with pytest.raises(ConfigurationError, match="is not os/architecture"):
        Platform.parse(text)


def test_round_trip_and_host() -> None:
    assert str(Platform.parse("Linux/ARM/v7")) == "linux/arm/v7"
    assert Platform.host().os == "linux"
