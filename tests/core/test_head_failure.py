"""--warn-on-head-failure: how loudly a failed digest check is logged before the pull."""

from __future__ import annotations

import logging

import pytest

from watchtower import UpdateParams, update
from watchtower.cli.config import load
from watchtower.errors import ConfigurationError, RegistryError
from watchtower.report import Outcome
from watchtower.testing import MemoryEngine, MemoryRegistry


@pytest.mark.parametrize(
    ("image", "strategy", "level"),
    [
        ("example.org/web:1", "auto", logging.DEBUG),
        ("example.org/web:1", "always", logging.WARNING),
        ("docker.io/library/web:1", "auto", logging.WARNING),
        ("ghcr.io/o/web:1", "auto", logging.WARNING),
        ("docker.io/library/web:1", "never", logging.DEBUG),
    ],
)
def test_the_level_follows_the_strategy_and_the_registry(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    caplog: pytest.LogCaptureFixture,
    image: str,
    strategy: str,
    level: int,
) -> None:
    registry.publish(image)
    engine.run("web", image)
    registry.publish(image)
    registry.fail(image, RegistryError("HEAD answered 500"))
    with caplog.at_level(logging.DEBUG, "watchtower.staleness"):
        report = update(engine, registry, UpdateParams(warn_on_head_failure=strategy))
    assert report.get("web").outcome is Outcome.UPDATED  # the pull still happens
    (record,) = [r for r in caplog.records if r.name == "watchtower.staleness"]
    assert record.levelno == level
    assert record.getMessage().endswith("falling back to a full pull: HEAD answered 500")


def test_a_rate_limited_check_is_not_pulled(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.publish("docker.io/library/web:1")
    engine.run("web", "docker.io/library/web:1")
    registry.publish("docker.io/library/web:1")
    registry.rate_limit("docker.io/library/web:1")
    report = update(engine, registry, UpdateParams(warn_on_head_failure="always"))
    assert report.get("web").outcome is Outcome.SKIPPED
    assert engine.count("pull") == 0


@pytest.mark.parametrize(("raw", "value"), [("", "auto"), ("Always", "always"), ("never", "never")])
def test_the_flag_reaches_the_parameters(raw: str, value: str) -> None:
    assert load([f"--warn-on-head-failure={raw}"], {}).params.warn_on_head_failure == value


def test_an_unknown_strategy_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="--warn-on-head-failure 'loud' is not one of"):
        load(["--warn-on-head-failure", "loud"], {})
