"""Versions on the real engine and registry: an image with OCI labels, updated by the CLI.

The notification a webhook receives names the old and new version and links
the release page derived from the image's source label.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e_fixtures import Images, Names
from tests.support.receivers import WebhookReceiver
from watchtower.versions import REVISION, SOURCE, VERSION

from .test_cli_e2e import environment, run_container

pytestmark = pytest.mark.e2e

SOURCE_URL = "https://github.com/example/web"


def labels(version: str, revision: str) -> dict[str, str]:
    return {VERSION: version, REVISION: revision, SOURCE: SOURCE_URL}


def test_the_notification_names_the_versions_and_links_the_release(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    repository = e2e_names("versioned")
    reference = e2e_images.publish(repository, "v1", labels=labels("1.25.3", "1111111"))
    name = e2e_names("app")
    old_id = run_container(docker_api, reference, name)
    e2e_images.publish(repository, "v2", labels=labels("1.25.4", "2222222"))
    with WebhookReceiver().running() as receiver:
        for report in (False, True):
            if report:  # the second run: the report's template, on a container again stale
                e2e_images.publish(repository, "v1", labels=labels("1.25.5", "3333333"))
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "watchtower",
                    "--run-once",
                    "--host",
                    dockerd.url,
                    "--notification-url",
                    f"generic+{receiver.url}/hook",
                    *(["--notification-report"] if report else []),
                    name,
                ],
                env=environment(tmp_path),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr
    bodies = [r.body.decode() for r in receiver.requests]
    # Each run also sends its startup message first.
    legacy = next(body for body in bodies if "Found new image" in body)
    with_report = next(body for body in bodies if "Scanned" in body)
    found = next(line for line in legacy.splitlines() if line.startswith("Found new image"))
    assert found.endswith(f", version 1.25.3->1.25.4, notes: {SOURCE_URL}/releases/tag/1.25.4"), (
        legacy
    )
    assert ", 1.25.4 -> 1.25.5" in with_report, with_report
    assert f"  {SOURCE_URL}/releases/tag/1.25.5" in with_report.splitlines()
    # The replacement runs the newest image, whose labels it shows.
    now = docker_api.inspect_container(name)
    assert now["Id"] != old_id
    assert now["Config"]["Labels"][VERSION] == "1.25.5"
