"""The real command talks to the engine, the registry and the notification URL given; nothing else.

A one-shot run updates a container from a registry that wants a login,
with a webhook notification. Python's audit hooks record, in the command's
own process, every socket it connects, every datagram it sends, every name
it resolves and every program it starts: no telemetry, no update check, no other host.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_e2e import environment, run_container
from tests.support.e2e_fixtures import Images, Names
from tests.support.images import push
from tests.support.receivers import WebhookReceiver
from tests.support.registry import RegistryServer, available, htpasswd_auth
from watchtower.registry import Credentials, auth_config

pytestmark = pytest.mark.e2e

USER, PASSWORD = "puller", "pull-s3cret"

# Runs the command as ``python -m watchtower`` does, with an audit hook that appends
# one line per connection, datagram, name lookup or program started to the file named first.
AUDITED = """
import os, runpy, sys
fd = os.open(sys.argv.pop(1), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
STARTS = ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork")
def hook(event, args):
    if event == "socket.connect":
        line = "connect " + repr(args[1])
    elif event in ("socket.sendto", "socket.sendmsg"):
        line = "datagram " + repr(args[-1])
    elif event == "socket.getaddrinfo":
        line = "resolve " + repr(args[0])
    elif event in STARTS:
        line = "start " + event
    else:
        return
    os.write(fd, (line + "\\n").encode())
sys.addaudithook(hook)
sys.argv[0] = "watchtower"
runpy.run_module("watchtower", run_name="__main__", alter_sys=True)
"""


def test_a_run_connects_only_to_the_engine_the_registry_and_the_notification_url(
    docker_api: Any, dockerd: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    if not available():
        pytest.skip("docker-registry is not installed (Debian package docker-registry)")
    registry = RegistryServer.start(
        tmp_path / "registry", auth=htpasswd_auth(tmp_path / "auth", {USER: PASSWORD})
    )
    login = auth_config(Credentials(USER, PASSWORD), registry.host)
    audit = tmp_path / "audit"
    try:
        reference = f"{registry.host}/{e2e_names('private')}:latest"
        repository = reference.rpartition(":")[0]
        docker_api.tag(e2e_images.build("v1"), repository, "latest")
        push(docker_api, reference, auth_config=login)
        old_id = run_container(docker_api, reference, e2e_names("app"))
        docker_api.tag(e2e_images.build("v2"), repository, "latest")
        push(docker_api, reference, auth_config=login)
        docker_api.remove_image(reference)  # the engine must pull v2, with the login

        env = environment(tmp_path)
        docker_config = Path(env["DOCKER_CONFIG"])
        docker_config.mkdir()
        secret = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (docker_config / "config.json").write_text(
            json.dumps({"auths": {registry.host: {"auth": secret}}})
        )
        with WebhookReceiver().running() as receiver:
            result = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    AUDITED,
                    str(audit),
                    "--run-once",
                    "--porcelain",
                    "v1",
                    "--host",
                    dockerd.url,
                    "--notification-url",
                    f"generic+http://127.0.0.1:{receiver.port}/hook",
                    e2e_names("app"),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        registry.stop()
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{e2e_names('app')} ({reference}): Updated\n"
    now = docker_api.inspect_container(e2e_names("app"))
    assert now["Id"] != old_id and now["Image"] == e2e_images.build("v2")
    assert receiver.requests and {r.path for r in receiver.requests} == {"/hook"}

    lines = audit.read_text().splitlines()
    engine = f"connect {str(dockerd.socket)!r}"
    ours = {
        engine,
        f"connect ('127.0.0.1', {registry.port})",
        f"connect ('127.0.0.1', {receiver.port})",
    }
    # Each was reached (the hook sees what it should), and nothing else was.
    assert ours <= set(lines), lines
    assert {line for line in lines if line.startswith("connect ")} == ours, lines
    assert {line for line in lines if line.startswith("resolve ")} <= {"resolve '127.0.0.1'"}
    assert not [line for line in lines if line.startswith(("start ", "datagram "))], lines
