"""--api-version: a pinned engine API version, negotiation when the engine refuses it."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from watchtower.cli.config import load
from watchtower.docker import DockerClient
from watchtower.docker.connect import check_api_version
from watchtower.errors import ConfigurationError

pytestmark = pytest.mark.e2e


def test_a_pinned_version_is_spoken(dockerd: Any) -> None:
    client = DockerClient.from_env(dockerd.url, api_version="1.41")
    try:
        assert client.api_version == "1.41"
        assert client.list_containers() is not None
    finally:
        client.close()


def test_a_version_the_engine_refuses_falls_back_to_negotiation(
    dockerd: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "watchtower.docker.connect"):
        client = DockerClient.from_env(dockerd.url, api_version="1.99")
    try:
        assert client.api_version != "1.99" and client.api_version >= "1.25"
    finally:
        client.close()
    assert "refuses API 1.99" in caplog.text


@pytest.mark.parametrize("text", ["1.44", "v1.41"])
def test_versions_are_read(text: str) -> None:
    assert check_api_version(text) == text.removeprefix("v")


@pytest.mark.parametrize("text", ["latest", "1", "1.4x", "1.44.0"])
def test_a_malformed_version_is_refused_before_the_engine(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(["--api-version", text], {})
    assert str(caught.value) == (
        f"--api-version: The Docker API version {text!r} is not a version such as 1.44."
    )
