"""When a container may be replaced, in ``/v1/containers/details`` and ``/v1/check`` answers."""

from __future__ import annotations

from flask.testing import FlaskClient

from watchtower import labels as L
from watchtower.cli.api import OPERATIONS, create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.openapi import openapi_document
from watchtower.cli.schemas import ref
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import WEB, make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The fixtures' clock, 2026-01-01 00:00 UTC, is a Thursday: outside a Saturday window.
SATURDAY = "Sat 02:00/4h"
WAITS = "waits for the window that opens Sat 2026-01-03 02:00 UTC"
OPENS = "2026-01-03T02:00:00Z"


def _api(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> FlaskClient:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(make_runner(engine, registry, clock), settings).test_client()


def _stale(engine: MemoryEngine, registry: MemoryRegistry, **labels: str) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels=labels)
    registry.publish(WEB)


def test_the_details_say_when_a_container_waits_for_its_window(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, **{L.WINDOW: SATURDAY})
    (web,) = (
        _api(engine, registry, clock).get("/v1/containers/details", headers=AUTH).json["containers"]
    )
    assert {k: web[k] for k in ("windows", "schedule", "next_due", "waits")} == {
        "windows": [SATURDAY],
        "schedule": "",
        "next_due": OPENS,
        "waits": WAITS,
    }


def test_the_details_of_a_container_any_time_will_do_have_empty_timing(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry)
    (web,) = (
        _api(engine, registry, clock).get("/v1/containers/details", headers=AUTH).json["containers"]
    )
    assert {k: web[k] for k in ("windows", "schedule", "next_due", "waits")} == {
        "windows": [],
        "schedule": "",
        "next_due": None,
        "waits": "",
    }


def test_the_details_name_a_container_s_own_schedule_and_its_next_time(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, **{L.SCHEDULE: "0 0 3 * * *"})
    (web,) = (
        _api(engine, registry, clock).get("/v1/containers/details", headers=AUTH).json["containers"]
    )
    assert (web["schedule"], web["next_due"]) == ("0 0 3 * * *", "2026-01-01T03:00:00Z")
    assert web["waits"].startswith("waits for its schedule, next at ")


def test_a_check_says_when_a_stale_container_s_window_opens(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, **{L.WINDOW: SATURDAY})
    (web,) = _api(engine, registry, clock).post("/v1/check", headers=AUTH).json["containers"]
    assert web["update_available"] is True
    assert (web["next_due"], web["waits"]) == (OPENS, WAITS)


def test_a_check_of_a_container_without_windows_adds_no_field(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """The fork's answer stays as it was."""
    _stale(engine, registry)
    (web,) = _api(engine, registry, clock).post("/v1/check", headers=AUTH).json["containers"]
    assert "next_due" not in web and "waits" not in web


def test_the_openapi_document_describes_the_timing_fields() -> None:
    schemas = openapi_document(OPERATIONS)["components"]["schemas"]
    by_path = {op.path: op for op in OPERATIONS}
    for path, item in (("/v1/containers/details", "Container"), ("/v1/check", "CheckResult")):
        schema = by_path[path].schema
        assert schema is not None
        assert schema["properties"]["containers"]["items"] == ref(item)
    assert {"next_due", "waits", "windows", "schedule"} <= set(schemas["Container"]["properties"])
    assert {"next_due", "waits"} <= set(schemas["CheckResult"]["properties"])
