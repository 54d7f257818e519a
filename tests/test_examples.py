"""The examples that need a real engine (tests/test_package.py runs the others)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.support import dockerd as dockerd_support
from tests.test_package import ENGINE_EXAMPLES, EXAMPLES
from watchtower.events import Event, RunFinished, RunStarted, Stopped

ENGINE_SCRIPTS = [path for path in EXAMPLES if path.name in ENGINE_EXAMPLES]


def _environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DOCKER_")}
    env.update(extra)
    return env


@pytest.mark.e2e
@pytest.mark.parametrize("script", ENGINE_SCRIPTS, ids=[path.name for path in ENGINE_SCRIPTS])
def test_example_runs(script: Path) -> None:
    reason = dockerd_support.unavailable_reason()
    if reason is not None:
        if dockerd_support.required():
            pytest.fail(f"the examples must run here, but {reason}")
        pytest.skip(reason)
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    if script.name == "demo.py":
        assert "Scanned 3, updated 1, restarted 0, failed 0" in result.stdout, result.stdout
        assert "\n  run started\n" in result.stdout and ": \n" not in result.stdout
        assert "Tearing down" in result.stdout


@pytest.mark.e2e
def test_demo_against_an_existing_engine_only_plans(
    dockerd: Any, docker_api: Any, e2e_images: Any, e2e_names: Any
) -> None:
    repo = e2e_names("demo")
    image = e2e_images.publish(repo, "v1")
    created = docker_api.create_container(
        image,
        name=e2e_names("demo"),
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(created["Id"])
    e2e_images.publish(repo, "v2")
    script = Path(__file__).resolve().parent.parent / "examples" / "demo.py"

    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(DOCKER_HOST=dockerd.url),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert e2e_names("demo") in result.stdout and "stale" in result.stdout, result.stdout
    after = docker_api.inspect_container(e2e_names("demo"))
    assert (after["Id"], after["Image"]) == (created["Id"], e2e_images.build("v1"))


def test_the_demo_tells_each_event_with_no_empty_name(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).resolve().parent.parent / "examples" / "demo.py"
    spec = importlib.util.spec_from_file_location("demo", path)
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)  # defines its functions; main() runs only as a script
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    events: list[Event] = [
        RunStarted(at=at),
        Stopped(at=at, container="web", container_id="abc"),
        RunFinished(at=at, duration=timedelta(seconds=1), scanned=1, updated=1, failed=0),
    ]
    for event in events:
        demo.tell(event)
    assert capsys.readouterr().out == "  run started\n  web: stopped\n  run finished\n"
