"""Maintenance windows on the command line: ``--window``, ``TZ``, and ``/v1/update?force``."""

from __future__ import annotations

import zoneinfo
from datetime import timezone

import pytest
from flask.testing import FlaskClient

from watchtower import labels as L
from watchtower.cli.api import create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.config import load
from watchtower.errors import ConfigurationError
from watchtower.params import UpdateParams
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import WEB, make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The fixtures' clock, 2026-01-01 00:00 UTC, is a Thursday: outside a Saturday window.
SATURDAY = "Sat 02:00/4h"


def test_the_window_flag_and_variable_become_the_parameters() -> None:
    by_flag = load(["--window", "Sat 02:00/4h; Sun 03:00/1h"], {}).params
    assert [w.text for w in by_flag.windows] == ["Sat 02:00/4h", "Sun 03:00/1h"]
    by_variable = load([], {"WATCHTOWER_WINDOW": "02:00/30m"}).params
    assert [w.text for w in by_variable.windows] == ["02:00/30m"]
    assert load([], {}).params.windows == ()


def test_tz_is_the_zone_of_windows_without_one() -> None:
    """``TZ`` is read for the flag's windows and, through the parameters, the labels'."""
    params = load(["--window", SATURDAY], {"TZ": "Europe/Berlin"}).params
    assert params.windows[0].zone == zoneinfo.ZoneInfo("Europe/Berlin")
    assert params.zone == zoneinfo.ZoneInfo("Europe/Berlin")
    assert load([], {}).params.zone == zoneinfo.ZoneInfo("UTC")
    prefixed = load(["--window", "TZ=Asia/Tokyo 02:00/1h"], {"TZ": "Europe/Berlin"}).params
    assert prefixed.windows[0].zone == zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (
            ["--window", "Sat 2am/4h"],
            {},
            "--window 'Sat 2am/4h': '2am' is not a time of day such as 02:00 or 22:30.",
        ),
        (
            [],
            {"WATCHTOWER_WINDOW": "Sat 02:00"},
            "--window 'Sat 02:00' has no duration; add one after a slash, such as 02:00/4h.",
        ),
        (
            ["--window", "TZ=Moon 02:00/1h"],
            {},
            "--window 'TZ=Moon 02:00/1h': 'Moon' is not a known time zone.",
        ),
    ],
)
def test_a_bad_window_stops_the_start_with_one_sentence(
    argv: list[str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(argv, environ)
    assert str(caught.value) == message


@pytest.fixture
def engine(registry: MemoryRegistry) -> MemoryEngine:
    engine = MemoryEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.WINDOW: SATURDAY})
    registry.publish(WEB)
    return engine


@pytest.fixture
def api(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> FlaskClient:
    runner = make_runner(engine, registry, clock, UpdateParams(zone=timezone.utc))
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


def test_an_update_outside_the_window_replaces_nothing(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    body = api.post("/v1/update", headers=AUTH).get_json()
    assert body["summary"]["updated"] == 0
    assert engine.container("web").image_id != registry.served(WEB)[1]


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_force_replaces_outside_the_window(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry, value: str
) -> None:
    body = api.post(f"/v1/update?force={value}&container=web", headers=AUTH).get_json()
    assert body["summary"]["updated"] == 1
    assert engine.container("web").image_id == registry.served(WEB)[1]


def test_force_false_keeps_the_window(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    assert api.post("/v1/update?force=0", headers=AUTH).get_json()["summary"]["updated"] == 0


def test_an_unreadable_force_is_400_and_runs_nothing(
    api: FlaskClient, engine: MemoryEngine
) -> None:
    before = len(engine.calls)
    response = api.post("/v1/update?force=please", headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["error"] == (
        "invalid 'force' parameter: 'please' is not true or false"
    )
    assert len(engine.calls) == before
