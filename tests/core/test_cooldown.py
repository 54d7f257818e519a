"""The cooldown as the fork has it: fails closed, outlives a failed digest check, skips monitors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.cli.config import load
from watchtower.errors import ConfigurationError, RegistryError
from watchtower.registry import Platform
from watchtower.report import Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
HOUR = UpdateParams(cooldown=timedelta(hours=1))


def test_a_failed_digest_check_does_not_lift_the_cooldown(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)  # published "now"
    registry.fail(WEB, RegistryError("HEAD failed"))  # the digest request only
    entry = update(engine, registry, HOUR, clock=clock).get("web")
    assert entry.outcome is Outcome.SKIPPED
    assert "younger than the cooldown of 1h" in entry.reason
    assert engine.count("pull") == 0

    clock.advance(timedelta(hours=2))
    registry.fail(WEB, RegistryError("HEAD failed"))
    assert update(engine, registry, HOUR, clock=clock).get("web").outcome is Outcome.UPDATED


def test_an_age_that_cannot_be_read_keeps_the_update_waiting(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB, created=clock() - timedelta(days=30))
    engine.run("web", WEB)
    registry.publish(WEB, created=clock() - timedelta(days=30))
    registry.fail(WEB, RegistryError("HEAD failed"), times=2)  # the digest, then the age
    entry = update(engine, registry, HOUR, clock=clock).get("web")
    assert entry.outcome is Outcome.SKIPPED
    assert entry.reason == (
        "the age of its newer image could not be read: HEAD failed; the cooldown of 1h waits"
    )
    assert engine.count("pull") == 0


def test_a_monitor_only_container_reports_a_young_image_as_stale(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.MONITOR_ONLY: "true"})
    registry.publish(WEB)
    entry = update(engine, registry, HOUR, clock=clock).get("web")
    assert entry.outcome is Outcome.STALE
    assert "cooldown" not in entry.reason


def test_an_image_from_the_future_is_clock_skew_and_passes(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB, created=clock() + timedelta(hours=3))
    assert update(engine, registry, HOUR, clock=clock).get("web").outcome is Outcome.UPDATED


def test_the_cooldown_platform_comes_from_the_forks_variables() -> None:
    def platform(**variables: str) -> str:
        environ = {f"WATCHTOWER_COOLDOWN_PLATFORM_{k}": v for k, v in variables.items()}
        return load([], environ).cooldown_platform

    host = Platform.host()
    assert platform() == ""
    assert platform(OS="linux", ARCH="arm", VARIANT="v7") == "linux/arm/v7"
    assert platform(ARCH="arm64") == "linux/arm64"
    assert platform(OS="windows") == str(Platform("windows", host.architecture, host.variant))
    with pytest.raises(ConfigurationError, match="WATCHTOWER_COOLDOWN_PLATFORM_"):
        platform(ARCH="a/b/c")
