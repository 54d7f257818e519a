"""The HTTP API's query values and bodies: any of them is answered, never with a 500."""

from __future__ import annotations

import urllib.parse

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from watchtower.cli.api import create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from ..cli.support import make_runner
from .conftest import PROFILE
from .strategies import near

TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def api(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> FlaskClient:
    registry.publish("example.org/web:1")
    engine.run("web", "example.org/web:1")
    runner = make_runner(engine, registry, clock)
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


_KEYS = st.sampled_from(["since", "until", "limit", "image", "container", "name", "async"])
_VALUES = near("2026-01-01T00:00:00Z", "1700000000", "5", "web", "example.org/web:1", "true")
_QUERY = st.lists(st.tuples(_KEYS, _VALUES), max_size=4)
_ROUTES = st.sampled_from(
    [
        ("get", "/v1/history"),
        ("get", "/v1/containers"),
        ("post", "/v1/check"),
        ("post", "/v1/update"),
        ("get", "/v1/status"),
        ("get", "/livez"),
    ]
)


@PROFILE
@given(route=_ROUTES, query=_QUERY, body=st.binary(max_size=200))
def test_any_query_or_body_is_answered_without_a_server_error(
    api: FlaskClient, route: tuple[str, str], query: list[tuple[str, str]], body: bytes
) -> None:
    method, path = route
    encoded = urllib.parse.urlencode(query, errors="surrogatepass")
    response = getattr(api, method)(f"{path}?{encoded}", headers=AUTH, data=body)
    assert response.status_code < 500, response.get_data(as_text=True)
