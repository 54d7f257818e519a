"""The fork's further endpoints, the OpenAPI document, the status page and the hardening flags.

On the in-memory backends through Flask's test client, and through a real
server where the network matters (CORS, proxies, the event stream).
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate

from tests.support.net import free_port
from watchtower.cli.api import OPERATIONS, ApiServer, create_app
from watchtower.cli.api.hardening import ClientAddress, RateLimiter
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.broadcast import Broadcaster
from watchtower.cli.runner import Runner
from watchtower.events import RunStarted, Stopped
from watchtower.model import Image, ImageRef
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import DB, WEB, GatedEngine, make_runner

TOKEN = "s3cret-token"
EVENTS = "events-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ALL = frozenset(API_ENDPOINTS)


@pytest.fixture
def gated(registry: MemoryRegistry) -> GatedEngine:
    return GatedEngine(registry)


@pytest.fixture
def runner(gated: GatedEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    return make_runner(gated, registry, clock)


def client(runner: Runner, **settings: Any) -> FlaskClient:
    given = {"endpoints": ALL, "token": TOKEN, "events_token": EVENTS, **settings}
    return create_app(runner, ApiSettings(**given)).test_client()


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    return client(runner)


def stale(engine: GatedEngine, registry: MemoryRegistry, name: str, reference: str) -> None:
    registry.publish(reference)
    engine.run(name, reference)
    registry.publish(reference)


# Images, config, details ----------------------------------------------------------


def test_images_counts_the_containers_of_each_image(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    registry.publish(WEB)
    gated.run("web", WEB)
    gated.run("web2", WEB)
    registry.publish(DB)
    gated.run("db", DB)
    body = api.get("/v1/images", headers=AUTH).get_json()
    web = gated.container("web")
    assert body["count"] == 2
    assert {
        "name": WEB,
        "image_id": web.image_id,
        "digest": registry.served(WEB)[0],
        "containers": 2,
    } in body["images"]
    only = api.get(f"/v1/images?id={web.image_id}", headers=AUTH).get_json()
    assert [i["name"] for i in only["images"]] == [WEB]
    assert api.get("/v1/images?name=nothing", headers=AUTH).get_json()["count"] == 0


def test_config_shows_the_settings_and_redacts_the_tokens(runner: Runner) -> None:
    body = client(runner, cors_origins=("https://a.example",)).get("/v1/config", headers=AUTH)
    config = body.get_json()["config"]
    assert config["monitor_only"] is False
    assert config["filter_desc"] == "Checking all containers"
    assert config["http_api"]["token"] == "[REDACTED]"
    assert config["http_api"]["events_token"] == "[REDACTED]"
    assert config["http_api"]["cors_origins"] == ["https://a.example"]
    assert TOKEN not in body.get_data(as_text=True)
    assert EVENTS not in body.get_data(as_text=True)


def test_details_show_state_settings_status_and_dependencies(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "db", DB)
    registry.publish(WEB)
    gated.run(
        "web",
        WEB,
        labels={
            "com.docker.compose.project": "shop",
            "com.centurylinklabs.watchtower.depends-on": "db",
            "com.centurylinklabs.watchtower.monitor-only": "true",
        },
    )
    before = {
        c["name"]: c
        for c in api.get("/v1/containers/details", headers=AUTH).get_json()["containers"]
    }
    assert before["web"]["depends_on"] == ["db"]
    assert (before["web"]["project"], before["db"]["project"]) == ("shop", "")
    assert before["web"]["monitor_only"] is True
    assert before["db"]["status"] == "unknown"
    assert before["db"]["running"] is True
    api.post("/v1/check", headers=AUTH)
    after = {
        c["name"]: c
        for c in api.get("/v1/containers/details", headers=AUTH).get_json()["containers"]
    }
    assert (after["db"]["status"], after["db"]["stale"]) == ("stale", True)
    assert after["db"]["latest_digest"] == registry.served(DB)[0]
    assert after["web"]["status"] == "fresh"
    api.post("/v1/update?container=db", headers=AUTH)
    done = api.get("/v1/containers/details?name=db", headers=AUTH).get_json()["containers"]
    assert [(c["name"], c["status"]) for c in done] == [("db", "updated")]


class _PullGate(MemoryEngine):
    """A MemoryEngine whose pulls wait until the test lets them go: a run in progress."""

    def __init__(self, registry: MemoryRegistry) -> None:
        super().__init__(registry)
        self.pulling, self.release = threading.Event(), threading.Event()

    def pull_image(self, ref: ImageRef) -> Image:
        self.pulling.set()
        assert self.release.wait(30), "the test never let the pull go"
        return super().pull_image(ref)


def test_details_say_whether_a_run_is_going_on(registry: MemoryRegistry, clock: FixedClock) -> None:
    engine = _PullGate(registry)
    registry.publish(DB)
    engine.run("db", DB)
    registry.publish(DB)
    runner = make_runner(engine, registry, clock)
    api = client(runner)
    assert api.get("/v1/containers/details", headers=AUTH).get_json()["running"] is False
    assert runner.start(trigger="api")
    try:
        assert engine.pulling.wait(10)
        # A page loaded now starts with its run buttons disabled.
        assert api.get("/v1/containers/details", headers=AUTH).get_json()["running"] is True
    finally:
        engine.release.set()
    assert runner.run(wait=True) is not None
    assert api.get("/v1/containers/details", headers=AUTH).get_json()["running"] is False


# Filters and timeouts ---------------------------------------------------------------


def test_query_filters_narrow_the_configured_selection(
    gated: GatedEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    stale(gated, registry, "web", WEB)
    stale(gated, registry, "db", DB)
    from watchtower.params import UpdateParams

    narrow = client(make_runner(gated, registry, clock, UpdateParams(names=("web",))))
    # db is outside the configured selection: asking for it is refused, and updates nothing.
    refused = narrow.post("/v1/update?container=db", headers=AUTH)
    assert (refused.status_code, refused.get_json()["error"]) == (
        400,
        "no watched container is named 'db'",
    )
    assert gated.container("db").image_id != registry.served(DB)[1]
    by_image = narrow.post("/v1/check?image=example.org/db", headers=AUTH)
    assert (by_image.status_code, by_image.get_json()["error"]) == (
        400,
        "no watched container runs the image 'example.org/db'",
    )
    assert narrow.post("/v1/check?container=web,db", headers=AUTH).status_code == 400
    checked = narrow.post("/v1/check?container=web", headers=AUTH).get_json()
    assert [c["name"] for c in checked["containers"]] == ["web"]


def test_a_sync_update_past_its_timeout_is_504_and_goes_on(
    api: FlaskClient, gated: GatedEngine, registry: MemoryRegistry
) -> None:
    stale(gated, registry, "web", WEB)
    gated.hold()
    response = api.post("/v1/update?timeout=200ms", headers=AUTH)
    assert response.status_code == 504
    assert "did not finish within 0.2s" in response.get_json()["error"]
    gated.let_go()
    runner_done = api.post("/v1/update?container=web", headers=AUTH)  # waits for the first
    assert runner_done.status_code == 200
    assert gated.container("web").image_id == registry.served(WEB)[1]


def test_the_update_timeout_flag_caps_the_query(runner: Runner, gated: GatedEngine) -> None:
    capped = client(runner, update_timeout=timedelta(milliseconds=200))
    gated.hold()
    try:
        response = capped.post("/v1/update?timeout=1h", headers=AUTH)
        assert response.status_code == 504
        assert "0.2s" in response.get_json()["error"]
    finally:
        gated.let_go()


def test_the_check_timeout_flag_bounds_a_check(runner: Runner, gated: GatedEngine) -> None:
    capped = client(runner, check_timeout=timedelta(milliseconds=200))
    registry_slow = threading.Event()
    original = runner.registry.digest

    def slow(ref: Any) -> str:
        registry_slow.wait(5)
        return original(ref)

    runner.registry.digest = slow  # type: ignore[method-assign]
    gated.registry.publish(WEB)
    gated.run("web", WEB)
    try:
        assert capped.post("/v1/check", headers=AUTH).status_code == 504
    finally:
        registry_slow.set()


@pytest.mark.parametrize("query", ["timeout=soon", "timeout=-5s"])
def test_a_malformed_timeout_is_400(api: FlaskClient, query: str) -> None:
    response = api.post(f"/v1/update?{query}", headers=AUTH)
    assert response.status_code == 400
    assert "timeout" in response.get_data(as_text=True)


# OpenAPI and swagger ----------------------------------------------------------------


def test_the_openapi_document_is_valid_and_lists_every_served_route(api: FlaskClient) -> None:
    document = api.get("/v1/openapi.json").get_json()
    validate(document)
    routes = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(rule)))
        for rule in api.application.url_map.iter_rules()
        for method in rule.methods or ()
        if method in ("GET", "POST")
        and rule.endpoint != "static"
        and not str(rule).startswith(("/swagger/index", "/login", "/logout"))
    }
    declared = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert {(m, p.rstrip("/") or "/") for m, p in routes} == {
        (m, p.rstrip("/") or "/") for m, p in declared
    }


def test_the_document_holds_only_the_served_groups(runner: Runner) -> None:
    document = (
        client(runner, endpoints=frozenset({"swagger", "check"})).get("/v1/openapi.json").get_json()
    )
    validate(document)
    assert set(document["paths"]) == {"/v1/check", "/v1/openapi.json", "/swagger/"}
    assert {op.group for op in OPERATIONS} == set(API_ENDPOINTS)


def test_swagger_is_a_packaged_page_loading_nothing_from_elsewhere(api: FlaskClient) -> None:
    page = api.get("/swagger/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/watchtower/swagger.js" in html
    assert "http://" not in html and "https://" not in html
    script = api.get("/static/watchtower/swagger.js")
    assert script.status_code == 200 and b"/v1/openapi.json" in script.data
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


# The status page -------------------------------------------------------------------


def test_the_page_asks_for_the_token_then_sets_the_access_token_cookie(
    api: FlaskClient,
) -> None:
    first = api.get("/")
    assert first.status_code == 200 and b'name="token"' in first.data
    wrong = api.post("/login", data={"token": "nope"})
    assert wrong.status_code == 401 and b"not the API token" in wrong.data
    right = api.post("/login", data={"token": TOKEN})
    assert right.status_code == 303
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith(f"access_token={TOKEN}") and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    page = api.get("/")
    assert b'id="containers"' in page.data and b"status.js" in page.data
    assert api.get("/v1/containers", headers={}).status_code == 200  # the cookie is enough
    api.post("/logout")
    assert b'name="token"' in api.get("/").data


# Events -----------------------------------------------------------------------------


def test_the_broadcaster_bounds_its_subscribers_and_drops_the_slow() -> None:
    from datetime import datetime, timezone

    from watchtower.cli import broadcast

    hub = Broadcaster(max_subscribers=1)
    reader = hub.subscribe()
    assert reader is not None and hub.subscribe() is None
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for _ in range(broadcast.QUEUE_SIZE + 1):
        hub(RunStarted(at=at))
    assert hub.subscribers == 0  # it fell behind and was dropped
    events = [reader.get(0.1) for _ in range(broadcast.QUEUE_SIZE + 1)]
    assert reader.closed and events[-1] is None
    again = hub.subscribe()
    assert again is not None
    hub.close()
    assert again.get(1) is None and again.closed and hub.subscribe() is None


@pytest.fixture
def served(runner: Runner) -> Iterator[str]:
    settings = ApiSettings(
        endpoints=ALL,
        token=TOKEN,
        events_token=EVENTS,
        cors_origins=("https://ui.example",),
        rate_limit=1000,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
        proxy_header="X-Real-IP",
    )
    server = ApiServer(create_app(runner, settings), "127.0.0.1", free_port())
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def _messages(response: requests.Response, until: str = "run_finished") -> list[dict[str, Any]]:
    """The stream's messages up to the first of kind ``until``, read as they arrive."""
    found: list[dict[str, Any]] = []
    buffer = ""
    for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
        buffer += chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
            if "data" in fields:
                data = json.loads(fields["data"])
                assert data["type"] == fields["event"]
                found.append(data)
                if data["type"] == until:
                    return found
    return found


@pytest.mark.parametrize(
    ("headers", "query"),
    [({"Authorization": f"Bearer {EVENTS}"}, ""), ({}, f"?access_token={EVENTS}"), (AUTH, "")],
)
def test_the_stream_carries_the_run_events_with_either_token(
    served: str,
    gated: GatedEngine,
    registry: MemoryRegistry,
    headers: dict[str, str],
    query: str,
) -> None:
    stale(gated, registry, "web", WEB)
    with requests.get(
        f"{served}/v1/events{query}", headers=headers, stream=True, timeout=20
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert requests.post(f"{served}/v1/update", headers=AUTH, timeout=20).ok
        kinds = [m["type"] for m in _messages(stream)]
    assert kinds[0] == "run_started"
    assert "updated" in kinds


def test_the_stream_refuses_a_wrong_token(served: str) -> None:
    refused = requests.get(f"{served}/v1/events?access_token=wrong", timeout=10)
    assert refused.status_code == 401


def test_the_stream_sends_what_the_runner_publishes(runner: Runner) -> None:
    from datetime import datetime, timezone

    from watchtower.cli.api.stream import sse_message

    text = sse_message(
        Stopped(at=datetime(2026, 1, 1, tzinfo=timezone.utc), container="web", container_id="abc")
    )
    kind, data = text.split("\n")[:2]
    assert kind == "event: stopped"
    assert json.loads(data[6:]) == {
        "type": "stopped",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {
            "at": "2026-01-01T00:00:00+00:00",
            "container": "web",
            "container_id": "abc",
            "host": "",
            "kind": "stopped",
        },
    }


# Hardening ---------------------------------------------------------------------------


def test_cors_allows_the_listed_origins_only(served: str) -> None:
    allowed = requests.options(
        f"{served}/v1/containers",
        headers={"Origin": "https://ui.example", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert allowed.status_code == 204
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    answer = requests.get(
        f"{served}/v1/containers", headers={**AUTH, "Origin": "https://ui.example"}, timeout=10
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "https://ui.example"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    other = requests.get(
        f"{served}/v1/containers", headers={**AUTH, "Origin": "https://evil.example"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = requests.options(
        f"{served}/v1/containers",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.status_code == 403


def test_without_cors_origins_no_cors_header_is_sent(api: FlaskClient) -> None:
    answer = api.get("/v1/containers", headers={**AUTH, "Origin": "https://ui.example"})
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_wildcard_origin_is_any_origin_without_credentials(runner: Runner) -> None:
    answer = client(runner, cors_origins=("*",)).get(
        "/v1/containers", headers={**AUTH, "Origin": "https://any.example"}
    )
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_the_rate_limit_is_per_client_address_and_spares_the_probes(runner: Runner) -> None:
    limited = client(runner, rate_limit=3)
    for _ in range(3):
        assert limited.get("/v1/containers", headers=AUTH).status_code == 200
    refused = limited.get("/v1/containers", headers=AUTH)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert limited.get("/livez").status_code == 200
    other = limited.get("/v1/containers", headers=AUTH, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_the_sliding_window_frees_a_slot_a_minute_later() -> None:
    now = [0.0]
    limiter = RateLimiter(2, now=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    now[0] = 59.0
    assert not limiter.allow("a")
    now[0] = 60.5
    assert limiter.allow("a")


@pytest.mark.parametrize(
    ("peer", "header", "client_address"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),  # a trusted proxy names the client
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the nearest untrusted
        ("127.0.0.1", "203.0.113.7, 127.0.0.2", "203.0.113.7"),  # proxies chained are skipped
        ("192.0.2.5", "203.0.113.7", "192.0.2.5"),  # an untrusted peer cannot name itself
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ],
)
def test_the_client_address_behind_trusted_proxies(
    peer: str, header: str, client_address: str
) -> None:
    wrapper = ClientAddress(lambda e, s: [], [ipaddress.ip_network("127.0.0.0/8")], "X-Real-IP")
    assert wrapper.client(peer, header) == client_address


def test_the_log_names_the_client_the_proxy_header_names(
    served: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Behind the trusted proxy (127.0.0.1), X-Real-IP names the client.
    answer = requests.get(
        f"{served}/v1/containers", headers={"X-Real-IP": "203.0.113.7"}, timeout=10
    )
    assert answer.status_code == 401
    assert [getattr(r, "ip", None) for r in caplog.records if "Refused" in r.getMessage()] == [
        "203.0.113.7"
    ]


def test_a_filtered_update_is_500_when_the_engine_fails(
    api: FlaskClient, gated: GatedEngine
) -> None:
    gated.fail("list")
    response = api.post("/v1/update?container=web", headers=AUTH)
    assert response.status_code == 500
    assert response.get_json()["error"] == "the update failed; see the log"


# Half of them in the trusted network, so that both sides of the rule are met often.
_ADDRESSES = st.one_of(st.ip_addresses(network="10.0.0.0/8"), st.ip_addresses(v=4)).map(str)


@given(peer=_ADDRESSES, chain=st.lists(_ADDRESSES, max_size=5))
def test_a_client_address_is_the_peer_or_an_untrusted_address_a_trusted_peer_named(
    peer: str, chain: list[str]
) -> None:
    trusted = ipaddress.ip_network("10.0.0.0/8")
    wrapper = ClientAddress(lambda e, s: [], [trusted], "X-Forwarded-For")
    found = wrapper.client(peer, ", ".join(chain))
    if ipaddress.ip_address(peer) not in trusted:
        assert found == peer
    else:
        assert found == peer or (found in chain and ipaddress.ip_address(found) not in trusted)


def test_a_filter_that_is_no_usable_pattern_is_a_400_naming_it(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    settings = ApiSettings(endpoints=frozenset({"update", "check"}), token="t")
    api = create_app(make_runner(engine, registry, clock), settings).test_client()
    auth = {"Authorization": "Bearer t"}
    updated = api.post("/v1/update?image=web%5C%C2%91", headers=auth)
    assert updated.status_code == 400
    assert (
        "monitor_image_names (--monitor-image-names) pattern 'web\\\\\\x91'"
        in updated.get_json()["error"]
    )
    checked = api.post("/v1/check?image=web%5C%C2%91", headers=auth)
    assert checked.status_code == 400
    assert "monitor_image_names (--monitor-image-names) pattern" in checked.get_data(as_text=True)
    assert engine.count("list") == 0  # refused before the engine was asked
