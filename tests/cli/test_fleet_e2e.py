"""The real command over a fleet of real engines: pushes, swarm services, checks, no local engine.

Each test runs ``python -m watchtower`` over a hosts file: a push updates
the pushed image on every engine and asks the registry for no other, a
push rolls out the swarm service that follows it, ``/v1/check`` and
``/v1/containers`` answer for every host, and a ``--host`` where no engine
answers does not stop a run over the hosts file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.cli.test_cli_e2e import environment, stale_container
from tests.core.test_hosts_e2e import our_digest_requests, start
from tests.core.test_push_e2e import wait_for
from tests.docker.test_swarm_e2e import create_service, wait_running
from tests.support.api_process import TOKEN, serving
from tests.support.dockerd import Dockerd
from tests.support.e2e_fixtures import Images, Names
from tests.support.registry import RegistryServer
from tests.support.swarm_fixtures import Services

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def spare_api(spare_dockerd: Dockerd) -> Iterator[Any]:
    """A low-level docker-py client of the spare engine."""
    import docker

    api = docker.APIClient(base_url=spare_dockerd.url, version="auto", timeout=60)
    try:
        yield api
    finally:
        api.close()


def hosts_file(tmp_path: Path, **urls: str) -> Path:
    """A hosts file naming each engine of ``urls`` by its keyword."""
    path = tmp_path / "hosts"
    path.write_text("".join(f"{name} {url}\n" for name, url in urls.items()))
    return path


def pushed(url: str, registry: RegistryServer, repository: str) -> None:
    """Tell the instance at ``url`` that ``repository:latest`` was pushed (the generic form)."""
    answer = requests.post(
        f"{url}/v1/push",
        json={"repository": f"{registry.host}/{repository}", "tag": "latest"},
        headers=AUTH,
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["queued"] == 1


def handled(log: Path) -> bool:
    """True once the instance whose output is ``log`` ran for a push, or found nothing to run."""
    text = log.read_text()
    return "Session done" in text or "No container in scope runs the pushed image" in text


def image_of(api: Any, service_id: str) -> str:
    """The image a service's spec runs."""
    spec = api.inspect_service(service_id)["Spec"]["TaskTemplate"]["ContainerSpec"]
    return str(spec["Image"])


def on_each(apis: Iterable[Any], images: Images, repositories: Iterable[str]) -> dict[str, str]:
    """Each repository's v1, published and run on every engine under the repository's name.

    The same names on every engine: each host's containers are its own.
    """
    references = {repo: images.publish(repo, "v1") for repo in repositories}
    for api in apis:
        for repo, reference in references.items():
            start(api, reference, repo)
    return references


def test_a_push_updates_its_image_on_both_engines_and_no_other(
    dockerd: Dockerd,
    docker_api: Any,
    spare_dockerd: Dockerd,
    spare_api: Any,
    e2e_images: Images,
    e2e_registry: RegistryServer,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    apis = {"one": docker_api, "two": spare_api}
    app, other = e2e_names("app"), e2e_names("other")
    on_each(apis.values(), e2e_images, (app, other))
    for repo in (app, other):
        e2e_images.publish(repo, "v2")
    log = tmp_path / "watchtower.log"
    hosts = hosts_file(tmp_path, one=dockerd.url, two=spare_dockerd.url)

    with serving(
        dockerd.url,
        tmp_path,
        [e2e_names.pattern],
        "--hosts-file",
        str(hosts),
        "--push-sources",
        "generic",
        log=log,
    ) as (_, url):
        mark = len(e2e_registry.access_log())
        pushed(url, e2e_registry, app)
        assert wait_for(lambda: handled(log), 45), log.read_text()

    text = log.read_text()
    assert text.count("Session done") == 1, text
    assert "Traceback" not in text, text
    v1, v2 = e2e_images.build("v1"), e2e_images.build("v2")
    for host, api in apis.items():
        assert api.inspect_container(app)["Image"] == v2, host
        assert api.inspect_container(other)["Image"] == v1, host
    # One registry answer for the pushed image serves both engines.
    assert our_digest_requests(e2e_registry, mark, [app]) == 1
    assert our_digest_requests(e2e_registry, mark, [other]) == 0


def test_a_push_rolls_out_the_swarm_service_that_follows_it_and_no_other(
    dockerd: Dockerd,
    swarm_dockerd: Dockerd,
    swarm_api: Any,
    swarm_services: Services,
    e2e_images: Images,
    e2e_registry: RegistryServer,
    tmp_path: Path,
) -> None:
    app, other = swarm_services("app"), swarm_services("other")
    references = {repo: e2e_images.publish(repo, "v1") for repo in (app, other)}
    services = {
        repo: create_service(swarm_api, repo, references[repo], order="start-first", replicas=1)[
            "ID"
        ]
        for repo in (app, other)
    }
    for service in services.values():
        wait_running(swarm_api, service, 1)
    before = {repo: image_of(swarm_api, service) for repo, service in services.items()}
    for repo in (app, other):
        e2e_images.publish(repo, "v2")
    new_digest = swarm_api.inspect_distribution(references[app])["Descriptor"]["digest"]
    log = tmp_path / "watchtower.log"
    hosts = tmp_path / "hosts"
    hosts.write_text(f"manager {swarm_dockerd.url} swarm\n")

    with serving(
        dockerd.url,
        tmp_path,
        [f"{swarm_services.prefix}.*"],
        "--hosts-file",
        str(hosts),
        "--push-sources",
        "generic",
        log=log,
    ) as (_, url):
        mark = len(e2e_registry.access_log())
        pushed(url, e2e_registry, app)
        assert wait_for(lambda: handled(log), 45), log.read_text()

    assert "Traceback" not in log.read_text(), log.read_text()
    assert before[app] != f"{references[app]}@{new_digest}"
    assert image_of(swarm_api, services[app]) == f"{references[app]}@{new_digest}"
    assert image_of(swarm_api, services[other]) == before[other]
    assert our_digest_requests(e2e_registry, mark, [other]) == 0


def test_check_and_containers_answer_for_every_engine(
    dockerd: Dockerd,
    docker_api: Any,
    spare_dockerd: Dockerd,
    spare_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    apis = {"one": docker_api, "two": spare_api}
    stale, fresh = e2e_names("stale"), e2e_names("fresh")
    references = on_each(apis.values(), e2e_images, (stale, fresh))
    e2e_images.publish(stale, "v2")
    latest = docker_api.inspect_distribution(references[stale])["Descriptor"]["digest"]
    hosts = hosts_file(tmp_path, one=dockerd.url, two=spare_dockerd.url)

    with serving(dockerd.url, tmp_path, [e2e_names.pattern], "--hosts-file", str(hosts)) as (
        _,
        url,
    ):
        checked = requests.post(f"{url}/v1/check", headers=AUTH, timeout=60)
        listed = requests.get(f"{url}/v1/containers", headers=AUTH, timeout=60)

    assert checked.status_code == 200, checked.text
    results = checked.json()["containers"]
    assert sorted((r["host"], r["name"], r["update_available"]) for r in results) == [
        ("one", fresh, False),
        ("one", stale, True),
        ("two", fresh, False),
        ("two", stale, True),
    ]
    assert not [r for r in results if "error" in r], results
    assert {r["latest_digest"] for r in results if r["name"] == stale} == {latest}
    assert listed.status_code == 200, listed.text
    v1 = e2e_images.build("v1")
    assert sorted((c["host"], c["name"], c["image_id"]) for c in listed.json()["containers"]) == [
        ("one", fresh, v1),
        ("one", stale, v1),
        ("two", fresh, v1),
        ("two", stale, v1),
    ]
    for host, api in apis.items():
        assert api.inspect_container(stale)["Image"] == v1, host  # a check changes nothing


def test_run_once_over_a_hosts_file_without_a_local_engine(
    dockerd: Dockerd, docker_api: Any, e2e_images: Images, e2e_names: Names, tmp_path: Path
) -> None:
    _, old_id, new_image = stale_container(docker_api, e2e_images, e2e_names, "remote")
    nothing = f"unix://{tmp_path}/nothing.sock"
    hosts = hosts_file(tmp_path, remote=dockerd.url)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "watchtower",
            "--run-once",
            "--porcelain",
            "json",
            "--host",
            nothing,
            "--hosts-file",
            str(hosts),
            e2e_names("app"),
        ],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert f"No engine answers at {nothing}: watchtower's own container" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    states = {c["name"]: c["state"] for c in json.loads(result.stdout)["containers"]}
    assert states == {e2e_names("app"): "Updated"}
    now = docker_api.inspect_container(e2e_names("app"))
    assert (now["Id"] != old_id, now["Image"]) == (True, new_image)
