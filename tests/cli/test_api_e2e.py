"""The HTTP API of the real ``watchtower`` command, against a real engine and registry."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

from tests.support.api_process import EVENTS_TOKEN, TOKEN, serving
from tests.support.e2e_fixtures import Images, Names
from tests.support.openapi import assert_matches_schema, component, document
from watchtower.cli.api import OPERATIONS

from .test_cli_e2e import stale_container

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def stale(docker_api: Any, e2e_images: Images, e2e_names: Names) -> tuple[str, str, str]:
    """A container on v1 while the registry serves v2: its reference, id and v2's image id."""
    return stale_container(docker_api, e2e_images, e2e_names, "api")


@pytest.fixture
def base(dockerd: Any, e2e_names: Names, tmp_path: Path) -> Iterator[str]:
    with serving(
        dockerd.url,
        tmp_path,
        [e2e_names("app")],
        "--http-api-rate-limit",
        "1000",
        "--http-api-cors-origins",
        "https://ui.example",
    ) as (process, url):
        yield url
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def _stream(
    url: str, headers: dict[str, str], found: list[dict[str, Any]], opened: threading.Event
) -> None:
    with requests.get(url, headers=headers, stream=True, timeout=120) as response:
        assert response.status_code == 200
        opened.set()
        buffer = ""
        for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
                if "data" in fields:
                    found.append(json.loads(fields["data"]))
                    if found[-1]["type"] == "run_finished":
                        return


def test_each_endpoint_on_the_real_engine(
    docker_api: Any, e2e_names: Names, stale: tuple[str, str, str], base: str
) -> None:
    reference, old_id, new_image = stale
    name = e2e_names("app")
    details = requests.get(f"{base}/v1/containers/details", headers=AUTH, timeout=30).json()
    (detail,) = details["containers"]
    assert (detail["name"], detail["image"], detail["running"]) == (name, reference, True)
    old_image = docker_api.inspect_container(name)["Image"]
    images = requests.get(f"{base}/v1/images", headers=AUTH, timeout=30).json()["images"]
    assert [(i["name"], i["image_id"], i["containers"]) for i in images] == [
        (reference, old_image, 1)
    ]
    assert images[0]["digest"] == detail["digest"] != ""

    checked = requests.post(f"{base}/v1/check", headers=AUTH, timeout=60).json()
    (result,) = checked["containers"]
    assert result["update_available"] is True
    assert result["latest_digest"].startswith("sha256:")
    assert result["latest_digest"] != result["digest"]

    config = requests.get(f"{base}/v1/config", headers=AUTH, timeout=30)
    assert config.json()["config"]["http_api"]["token"] == "[REDACTED]"
    assert TOKEN not in config.text and EVENTS_TOKEN not in config.text

    document = requests.get(f"{base}/v1/openapi.json", timeout=30).json()
    validate(document)
    assert {"/v1/images", "/v1/config", "/v1/events", "/v1/containers/details"} <= set(
        document["paths"]
    )
    assert requests.get(f"{base}/swagger/", timeout=30).status_code == 200

    updated = requests.post(f"{base}/v1/update?timeout=2m", headers=AUTH, timeout=180)
    assert updated.status_code == 200, updated.text
    now = docker_api.inspect_container(name)
    assert now["Id"] != old_id and now["Image"] == new_image
    # The registry digest the check named is the one the replacement runs.
    after = requests.get(f"{base}/v1/containers/details", headers=AUTH, timeout=30).json()
    assert after["containers"][0]["digest"] == result["latest_digest"]
    assert after["containers"][0]["status"] == "updated"
    history = requests.get(f"{base}/v1/history", headers=AUTH, timeout=30).json()
    assert [e["updated"] for e in history["entries"]] == [1]


def test_the_event_stream_follows_a_real_update(
    docker_api: Any, e2e_names: Names, stale: tuple[str, str, str], base: str
) -> None:
    _, old_id, new_image = stale
    found: list[dict[str, Any]] = []
    opened = threading.Event()
    reader = threading.Thread(
        target=_stream,
        args=(f"{base}/v1/events?access_token={EVENTS_TOKEN}", {}, found, opened),
    )
    reader.start()
    assert opened.wait(30)
    assert (
        requests.post(f"{base}/v1/update?async=true", headers=AUTH, timeout=30).status_code == 202
    )
    reader.join(180)
    assert not reader.is_alive()
    name = e2e_names("app")
    for message in found:
        component("Event", message)
    kinds = [(m["type"], m["data"]["container"]) for m in found]
    assert kinds[0] == ("run_started", "")
    for step in ("update_available", "stopped", "started", "updated"):
        assert (step, name) in kinds, kinds
    assert kinds.index(("stopped", name)) < kinds.index(("updated", name))
    assert found[-1]["data"]["updated"] == 1
    assert docker_api.inspect_container(name)["Image"] == new_image != old_id


def test_a_sync_update_outlasting_its_timeout_is_504_and_still_finishes(
    docker_api: Any, e2e_names: Names, stale: tuple[str, str, str], base: str
) -> None:
    _, _, new_image = stale
    slow = requests.post(f"{base}/v1/update?timeout=1ms", headers=AUTH, timeout=60)
    assert slow.status_code == 504
    # A targeted run waits for the one going on, then finds nothing left to do.
    after = requests.post(
        f"{base}/v1/update?container={e2e_names('app')}", headers=AUTH, timeout=180
    )
    assert after.status_code == 200
    assert docker_api.inspect_container(e2e_names("app"))["Image"] == new_image


def test_the_hardening_flags_on_the_real_command(
    dockerd: Any, e2e_names: Names, stale: tuple[str, str, str], tmp_path: Path
) -> None:
    with serving(
        dockerd.url,
        tmp_path,
        [e2e_names("app")],
        "--http-api-rate-limit",
        "2",
        "--http-api-trusted-proxies",
        "127.0.0.1",
        "--http-api-proxy-header",
        "X-Real-IP",
        "--http-api-cors-origins",
        "https://ui.example",
        "--http-api-update-timeout",
        "1ms",
    ) as (_, url):

        def get(client: str, **headers: str) -> requests.Response:
            return requests.get(
                f"{url}/v1/containers",
                headers={**AUTH, "X-Real-IP": client, **headers},
                timeout=30,
            )

        # Behind the trusted proxy, each client named by the header has its own budget.
        assert [get("203.0.113.1").status_code for _ in range(3)] == [200, 200, 429]
        assert get("203.0.113.2").status_code == 200
        assert requests.get(f"{url}/livez", timeout=30).status_code == 200
        cors = get("203.0.113.3", Origin="https://ui.example")
        assert cors.headers["Access-Control-Allow-Origin"] == "https://ui.example"
        assert (
            "Access-Control-Allow-Origin"
            not in get("203.0.113.4", Origin="https://x.example").headers
        )
        # The flag caps the wait of a synchronous update: a real run takes longer than 1ms.
        update = requests.post(
            f"{url}/v1/update?timeout=1h", headers={**AUTH, "X-Real-IP": "203.0.113.5"}, timeout=60
        )
        assert update.status_code == 504


def test_the_real_answers_match_their_declared_schemas(
    docker_api: Any, e2e_names: Names, stale: tuple[str, str, str], base: str
) -> None:
    _, old_id, new_image = stale
    name = e2e_names("app")

    def call(which: str, query: str = "", status: int = 200, **headers: str) -> Any:
        method, path = which.split(" ", 1)
        target = f"{base}{path.replace('{name}', name)}{query}"
        response = requests.request(method, target, headers={**AUTH, **headers}, timeout=180)
        return assert_matches_schema(response, which, status)

    served = document()["paths"]
    assert requests.get(f"{base}/v1/openapi.json", timeout=30).json()["paths"] == served
    assert call("GET /v1/status", status=204) is None
    for which in ("GET /v1/containers", "GET /v1/containers/details"):
        assert [c["name"] for c in call(which)["containers"]] == [name]
    assert [i["containers"] for i in call("GET /v1/images")["images"]] == [1]
    call("GET /v1/config")
    (result,) = call("POST /v1/check")["containers"]
    assert (result["name"], result["update_available"]) == (name, True)
    # What must refuse, and run nothing.
    call("POST /v1/update", "?container=no-such", 400)
    call("POST /v1/update", "?async=maybe", 400)
    call("POST /v1/update", "?contaner=" + name, 400)
    call("POST /v1/check", "?image=example.org/none", 400)
    call("GET /v1/history", "?changes=true", 400)  # no --data-dir
    assert docker_api.inspect_container(name)["Id"] == old_id
    ran = call("POST /v1/update", f"?container={name}&timeout=2m")
    assert ran["summary"]["updated"] == 1
    assert docker_api.inspect_container(name)["Image"] == new_image
    assert call("GET /v1/status")["summary"]["updated"] == 1
    assert [e["updated"] for e in call("GET /v1/history")["entries"]] == [1]


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_every_operation_answers_its_errors_as_json_on_the_real_command(base: str, op: Any) -> None:
    which = f"{op.method.upper()} {op.path}"
    path = op.path.replace("{name}", "web")
    if op.auth != "none":
        refused = requests.request(op.method, f"{base}{path}", timeout=30)
        assert_matches_schema(refused, which, 401)
    wrong = requests.request("PUT", f"{base}{path}", headers=AUTH, timeout=30)
    assert_matches_schema(wrong, which, 405)
    missing = requests.request(
        op.method, f"{base}{path.rstrip('/')}/nope", headers=AUTH, timeout=30
    )
    assert missing.status_code == 404
    component("Error", missing.json())
    if op.method == "post":
        unknown = requests.post(f"{base}{path}?nope=1", headers=AUTH, timeout=30)
        assert_matches_schema(unknown, which, 400)
