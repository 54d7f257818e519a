"""The history outlives the process: two ``--run-once`` runs, then ``watchtower history``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names
from watchtower.history import FILE_NAME, SqliteHistory

from .test_cli_e2e import environment, stale_container

pytestmark = [pytest.mark.e2e]


def watchtower(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "watchtower", *args],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_history_of_two_processes_is_read_by_a_third(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    name = e2e_names("app")
    _, _, v2 = stale_container(docker_api, e2e_images, e2e_names, "kept")
    v1 = e2e_images.build("v1")
    once = ["--run-once", "--host", dockerd.url, "--data-dir", str(data), name]
    first = watchtower(once, tmp_path)
    assert first.returncode == 0, first.stderr
    assert docker_api.inspect_container(name)["Image"] == v2
    e2e_images.publish(e2e_names("kept"), "v1")  # the registry serves v1 again
    second = watchtower(once, tmp_path)
    assert second.returncode == 0, second.stderr
    assert docker_api.inspect_container(name)["Image"] == v1

    shown = watchtower(["history", "--json", "--data-dir", str(data)], tmp_path)
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert len(body["runs"]) == 2
    changes = body["changes"]
    assert [(c["container"], c["outcome"]) for c in changes] == [(name, "updated")] * 2
    assert [(c["old_image_id"], c["new_image_id"]) for c in changes] == [(v2, v1), (v1, v2)]
    assert [c["run"] for c in changes] == [r["id"] for r in body["runs"]]

    table = watchtower(["history", name, "--data-dir", str(data)], tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert len(lines) == 3 and all(name in line and "updated" in line for line in lines[1:])
    one, two = (image.removeprefix("sha256:")[:12] for image in (v1, v2))
    assert f"{one} -> {two}" in lines[1] and f"{two} -> {one}" in lines[2]  # oldest first

    with SqliteHistory(data / FILE_NAME, read_only=True) as history:
        before = history.previous(name)
    assert before is not None and before.old_image_id == v2
