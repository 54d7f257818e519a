"""``POST /v1/rollback``, ``/v1/release`` and ``GET /v1/holds``: token-guarded, via the runner."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from watchtower import update
from watchtower.cli.api import OPERATIONS, create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.runner import Runner
from watchtower.history import MemoryHistory
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.versions import VERSION

from .support import make_runner

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WEB = "example.org/web:1"


@pytest.fixture
def history() -> MemoryHistory:
    return MemoryHistory()


@pytest.fixture
def runner(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, history: MemoryHistory
) -> Runner:
    return make_runner(engine, registry, clock, history=history)


@pytest.fixture
def api(runner: Runner) -> FlaskClient:
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client()


@pytest.fixture
def updated(engine: MemoryEngine, registry: MemoryRegistry, history: MemoryHistory) -> str:
    """web moved from 1.25.3 to 1.25.4; the image it ran before."""
    registry.publish(WEB, labels={VERSION: "1.25.3"})
    engine.run("web", WEB)
    old = engine.container("web").image_id
    registry.publish(WEB, labels={VERSION: "1.25.4"})
    update(engine, registry, history=history)
    return old


def test_a_rollback_needs_the_token(api: FlaskClient, updated: str, engine: MemoryEngine) -> None:
    before = engine.container("web").image_id
    for path in ("/v1/rollback?container=web", "/v1/release?container=web"):
        assert api.post(path).status_code == 401
    assert api.get("/v1/holds").status_code == 401
    assert engine.container("web").image_id == before


def test_rollback_holds_and_release_lets_go(
    api: FlaskClient, updated: str, engine: MemoryEngine, runner: Runner
) -> None:
    response = api.post("/v1/rollback?container=web", headers=AUTH)
    assert response.status_code == 200, response.json
    body = response.json
    assert body is not None
    assert body["entry"]["outcome"] == "updated"
    assert body["entry"]["reason"] == "rolled back to 1.25.3"
    assert engine.container("web").image_id == updated
    holds = api.get("/v1/holds", headers=AUTH).json
    assert holds is not None
    assert [(h["container"], h["shown"]) for h in holds["holds"]] == [("web", "1.25.3")]
    report = runner.run()
    assert report is not None and report.get("web").outcome.value == "skipped"  # type: ignore[union-attr]
    released = api.post("/v1/release?container=web", headers=AUTH).json
    assert released is not None and released["released"] is True
    again = api.post("/v1/release?container=web", headers=AUTH).json
    assert again is not None and again["released"] is False
    report = runner.run()
    assert report is not None and report.get("web").outcome.value == "updated"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("", 400, "the 'container' parameter names the container"),
        ("container=nope", 404, "There is no container named nope to roll back."),
        ("container=web&to=9.9", 409, "No image that web ran is version or digest '9.9'"),
        ("container=web&host=elsewhere", 400, "There is no host 'elsewhere' (the hosts: none)."),
    ],
)
def test_what_cannot_be_rolled_back_is_one_sentence(
    api: FlaskClient, updated: str, query: str, status: int, words: str
) -> None:
    response = api.post(f"/v1/rollback?{query}", headers=AUTH)
    assert response.status_code == status
    assert response.json is not None and response.json["error"].startswith(words)


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        # Watched and not held: nothing to do, every time.
        ("container=web", 200, {"released": False}),
        ("container=/web", 200, {"released": False}),
        ("container=no-such", 404, {"error": "no container named 'no-such' is held or watched"}),
        ("container=", 400, {"error": "the 'container' parameter names the container"}),
        (
            "container=web&host=elsewhere",
            400,
            {"error": "There is no host 'elsewhere' (the hosts: none)."},
        ),
    ],
)
def test_a_release_of_what_is_not_held_says_whether_it_is_known(
    api: FlaskClient, updated: str, query: str, status: int, said: dict[str, object]
) -> None:
    for _ in range(2):  # idempotent: the same answer again
        response = api.post(f"/v1/release?{query}", headers=AUTH)
        assert response.status_code == status
        body = response.json
        assert body is not None and {k: body.get(k) for k in said} == said


def test_a_held_container_that_is_gone_is_still_released(
    api: FlaskClient, updated: str, engine: MemoryEngine, history: MemoryHistory
) -> None:
    assert api.post("/v1/rollback?container=web", headers=AUTH).status_code == 200
    gone = engine.container("web")
    engine.stop_container(gone, signal="SIGTERM", timeout=timedelta(seconds=1))
    engine.remove_container(gone.id)
    response = api.post("/v1/release?container=web", headers=AUTH)
    assert response.status_code == 200
    assert response.json is not None and response.json["released"] is True
    assert dict(history.holds()) == {}
    again = api.post("/v1/release?container=web", headers=AUTH)
    assert again.status_code == 404
    assert again.json is not None and "'web'" in again.json["error"]


def test_without_a_history_a_rollback_is_refused(api: FlaskClient, runner: Runner) -> None:
    runner.history = None
    response = api.post("/v1/rollback?container=web", headers=AUTH)
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"] == "A rollback needs the history kept with --data-dir."
    assert api.post("/v1/release?container=web", headers=AUTH).status_code == 400


def test_a_rollback_waits_for_a_run_in_progress(
    api: FlaskClient, updated: str, runner: Runner, engine: MemoryEngine
) -> None:
    answers: list[int] = []
    with runner._lock:  # a run in progress
        thread = threading.Thread(
            target=lambda: answers.append(
                api.post("/v1/rollback?container=web", headers=AUTH).status_code
            )
        )
        thread.start()
        thread.join(0.3)
        assert thread.is_alive() and engine.container("web").image_id != updated
    thread.join(10)
    assert answers == [200] and engine.container("web").image_id == updated


def test_the_operations_are_in_the_openapi_document() -> None:
    paths = {(op.method, op.path) for op in OPERATIONS}
    assert {("post", "/v1/rollback"), ("post", "/v1/release"), ("get", "/v1/holds")} <= paths


def _details(api: FlaskClient) -> dict[str, tuple[str, str]]:
    body = api.get("/v1/containers/details", headers=AUTH).json
    assert body is not None
    return {c["name"]: (c["previous"], c["held"]) for c in body["containers"]}


def test_the_details_say_what_ran_before_and_what_holds_it(
    api: FlaskClient, updated: str, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish("example.org/db:1")
    engine.run("db", "example.org/db:1")  # never changed: nothing to go back to
    assert _details(api) == {"web": ("1.25.3", ""), "db": ("", "")}
    assert api.post("/v1/rollback?container=web", headers=AUTH).status_code == 200
    # The rollback is itself the last change: going back again is to 1.25.4.
    assert _details(api) == {"web": ("1.25.4", "1.25.3"), "db": ("", "")}
    assert api.post("/v1/release?container=web", headers=AUTH).status_code == 200
    assert _details(api)["web"] == ("1.25.4", "")


def test_an_unnamed_image_is_its_short_id(
    api: FlaskClient, engine: MemoryEngine, registry: MemoryRegistry, history: MemoryHistory
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    old = engine.container("web").image_id
    registry.publish(WEB, labels={"rebuilt": "yes"})
    update(engine, registry, history=history)
    history.hold("web", "", old)
    short = old.removeprefix("sha256:")[:12]
    assert _details(api) == {"web": (short, short)}


def test_without_a_history_the_details_name_nothing_to_go_back_to(
    api: FlaskClient, updated: str, runner: Runner
) -> None:
    runner.history = None
    assert _details(api) == {"web": ("", "")}
