"""The docker backend's primitives against a real engine and registry."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import docker
import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from watchtower import (
    ContainerClient,
    ContainerError,
    EngineError,
    ImageInUseError,
    parse_reference,
)
from watchtower.docker import DockerClient
from watchtower.model import ContainerState, short_id

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]

SECOND = timedelta(seconds=1)


def run(api: Any, image: str, name: str, **kwargs: Any) -> str:
    """Create and start a container; ``host_config`` keys go in ``host``."""
    host = kwargs.pop("host", {})
    host.setdefault("network_mode", "none")
    created = api.create_container(
        image, name=name, host_config=api.create_host_config(**host), **kwargs
    )
    api.start(created["Id"])
    return str(created["Id"])


def test_the_client_implements_the_protocol(docker_client: DockerClient) -> None:
    assert isinstance(docker_client, ContainerClient)


def test_an_unreachable_engine_is_one_sentence(tmp_path: Any) -> None:
    with pytest.raises(EngineError) as caught:
        DockerClient.from_env(f"unix://{tmp_path}/nothing.sock")
    message = str(caught.value)
    assert message.startswith(
        f"Could not connect to the Docker engine at unix://{tmp_path}/nothing.sock"
    )
    assert "\n" not in message and message.endswith(".")


def test_docker_host_is_read_from_the_environment(dockerd: Any) -> None:
    client = DockerClient.from_env(environment={"DOCKER_HOST": dockerd.url})
    try:
        assert client.api_version >= "1.25"
        assert dockerd.url in repr(client)
    finally:
        client.close()


def test_snapshots(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    image = e2e_images.publish(e2e_names("snap"), "healthy1")
    supplier = run(
        docker_api, image, e2e_names("supplier"), labels={"a": "b"}, stop_signal="SIGINT"
    )
    dependant = run(
        docker_api, image, e2e_names("dependant"), host={"network_mode": f"container:{supplier}"}
    )
    stopped = docker_api.create_container(image, name=e2e_names("stopped"))["Id"]

    running = {c.name: c for c in docker_client.list_containers()}
    assert e2e_names("stopped") not in running
    snap = running[e2e_names("supplier")]
    assert snap.id == supplier
    # Podman's builds label their images (io.buildah.version).
    image_labels = docker_api.inspect_image(image)["Config"].get("Labels") or {}
    assert snap.labels == {**image_labels, "a": "b"}
    assert snap.stop_signal == "SIGINT"
    assert snap.has_healthcheck
    assert snap.state is ContainerState.RUNNING
    assert snap.repo_digests and snap.current_image.has_digest(
        docker_api.inspect_image(image)["RepoDigests"][0].rpartition("@")[2]
    )
    assert running[e2e_names("dependant")].network_mode == f"container:{e2e_names('supplier')}"
    assert docker_client.get_container(dependant).network_mode == (
        f"container:{e2e_names('supplier')}"
    )
    every = {c.name for c in docker_client.list_containers(include_stopped=True)}
    assert e2e_names("stopped") in every
    assert docker_client.get_container(stopped).state is ContainerState.CREATED
    with pytest.raises(ContainerError, match=r"^Could not inspect container 'no-such-container': "):
        docker_client.get_container("no-such-container")


def test_pull_uses_the_auth_callable(
    dockerd: Any, docker_api: Any, e2e_images: Images, e2e_names: Names
) -> None:
    reference = e2e_images.publish(e2e_names("pull"), "v2")
    docker_api.remove_image(reference)
    asked: list[str] = []

    def auth(host: str) -> dict[str, str] | None:
        asked.append(host)
        return None

    client = DockerClient.from_env(dockerd.url, auth=auth)
    try:
        with pytest.raises(EngineError, match=r"^Could not pull .*:no-such-tag: .*no-such-tag"):
            client.pull_image(parse_reference(reference).with_tag("no-such-tag"))
        image = client.pull_image(parse_reference(reference))
    finally:
        client.close()
    assert image.id == e2e_images.build("v2")
    assert image.repo_digests
    assert asked == [e2e_images.registry_host] * 2


def test_stop_uses_the_signal_and_timeout(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    # Exits 3 on SIGINT only; SIGTERM is ignored.
    command = [
        "sh",
        "-c",
        "trap 'exit 3' INT; trap '' TERM; while true; do sleep 1 & wait $!; done",
    ]
    cid = run(docker_api, e2e_images.build("v1"), e2e_names("sig"), command=command)
    snap = docker_client.get_container(cid)
    started = time.monotonic()
    docker_client.stop_container(snap, signal="SIGINT", timeout=timedelta(seconds=20))
    assert time.monotonic() - started < 10
    state = docker_api.inspect_container(cid)["State"]
    assert (state["Running"], state["ExitCode"]) == (False, 3)
    docker_client.stop_container(snap, signal="SIGTERM", timeout=SECOND)  # no-op when stopped

    # SIGTERM is ignored: killed after the timeout, and its restart policy
    # does not bring it back.
    cid = run(
        docker_api,
        e2e_images.build("v1"),
        e2e_names("always"),
        command=command,
        host={"network_mode": "none", "restart_policy": {"Name": "always"}},
    )
    snap = docker_client.get_container(cid)
    docker_client.stop_container(snap, signal="SIGTERM", timeout=SECOND)
    state = docker_api.inspect_container(cid)["State"]
    assert (state["Running"], state["ExitCode"]) == (False, 137)
    time.sleep(0.5)
    assert not docker_api.inspect_container(cid)["State"]["Running"]


def test_create_replacement_and_its_failures_leave_nothing(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    engine_kind: str,
) -> None:
    def network(name: str, subnet: str) -> str:
        docker_api.create_network(
            name,
            driver="bridge",
            internal=True,
            ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)]),
        )
        if name not in e2e_names.networks:
            e2e_names.networks.append(name)
        return name

    front = network(e2e_names("front"), "10.251.7.0/24")
    back = network(e2e_names("back"), "10.251.8.0/24")
    image = e2e_images.publish(e2e_names("repl"), "v1")
    cid = run(
        docker_api,
        image,
        e2e_names("web"),
        host={"network_mode": front},
        networking_config=docker_api.create_networking_config(
            {front: docker_api.create_endpoint_config(ipv4_address="10.251.7.20", aliases=["www"])}
        ),
    )
    docker_api.connect_container_to_network(cid, back, ipv4_address="10.251.8.30", aliases=["api"])
    old = docker_client.get_container(cid)
    new_image = docker_client.inspect_image(e2e_images.build("v2"))
    assert new_image is not None
    docker_client.stop_container(old, signal="SIGTERM", timeout=SECOND)
    docker_client.rename_container(cid, e2e_names("web-old"))

    # Its name is taken: nothing is created.
    before = {c["Id"] for c in docker_api.containers(all=True)}
    squatter = docker_api.create_container(image, name=e2e_names("web"))["Id"]
    with pytest.raises(ContainerError, match="replacement of"):
        docker_client.create_replacement(old, new_image)
    docker_api.remove_container(squatter)
    assert {c["Id"] for c in docker_api.containers(all=True)} == before

    if engine_kind == "podman":
        # Podman 4.3 reports no static address (IPAMConfig), so the
        # replacement asks for none and gets what the networks hand out.
        new = docker_api.inspect_container(docker_client.create_replacement(old, new_image))
        networks = new["NetworkSettings"]["Networks"]
        assert "www" in networks[front]["Aliases"] and "api" in networks[back]["Aliases"]
        return
    # A network no longer takes its static address: the half-made
    # replacement is removed again.
    docker_api.remove_network(back)
    docker_api.create_network(back, driver="bridge", internal=True)
    with pytest.raises(ContainerError, match="networks"):
        docker_client.create_replacement(old, new_image)
    assert {c["Id"] for c in docker_api.containers(all=True)} == before

    docker_api.remove_network(back)
    network(back, "10.251.8.0/24")
    new_id = docker_client.create_replacement(old, new_image)
    docker_client.start_container(new_id)
    new = docker_api.inspect_container(new_id)
    assert new["Name"] == "/" + e2e_names("web")
    assert new["Image"] == new_image.id
    networks = new["NetworkSettings"]["Networks"]
    assert networks[front]["IPAddress"] == "10.251.7.20"
    assert networks[back]["IPAddress"] == "10.251.8.30"
    assert "www" in networks[front]["Aliases"] and "api" in networks[back]["Aliases"]


def test_wait_until_healthy(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    healthy = run(docker_api, e2e_images.build("healthy2"), e2e_names("ok"))
    unhealthy = run(docker_api, e2e_images.build("unhealthy2"), e2e_names("bad"))
    plain = run(docker_api, e2e_images.build("v1"), e2e_names("plain"))
    exited = run(docker_api, e2e_images.build("healthy2"), e2e_names("exit"), command=["true"])
    assert docker_client.wait_until_healthy(healthy, 30 * SECOND)
    assert not docker_client.wait_until_healthy(unhealthy, 30 * SECOND)
    assert docker_client.wait_until_healthy(plain, timedelta(0))
    time.sleep(0.3)
    assert not docker_client.wait_until_healthy(exited, 30 * SECOND)
    slow = run(
        docker_api,
        e2e_images.build("v1"),
        e2e_names("slow"),
        healthcheck={"Test": ["CMD", "false"], "Interval": 10**10, "Retries": 3},
    )
    assert not docker_client.wait_until_healthy(slow, timedelta(milliseconds=300))
    docker_api.remove_container(exited)
    assert not docker_client.wait_until_healthy(exited, 30 * SECOND)  # 404: gone


def test_hooks(
    docker_api: Any, docker_client: DockerClient, e2e_images: Images, e2e_names: Names
) -> None:
    cid = run(
        docker_api,
        e2e_images.build("v1"),
        e2e_names("hook"),
        labels={"com.centurylinklabs.watchtower.lifecycle.pre-update": "x", "other": "y"},
    )
    result = docker_client.run_hook(cid, 'echo "$WT_CONTAINER"; exit 75', 10 * SECOND)
    assert result.exit_code == 75
    described = json.loads(result.output)
    assert described["name"] == e2e_names("hook")
    assert described["id"] == cid
    assert described["labels"] == {"com.centurylinklabs.watchtower.lifecycle.pre-update": "x"}
    result = docker_client.run_hook(cid, "echo out; echo err >&2; echo out2", 5 * SECOND)
    assert result.output == "out\nerr\nout2"

    started = time.monotonic()
    result = docker_client.run_hook(cid, "sleep 30", timedelta(milliseconds=500))
    assert result.timed_out
    assert time.monotonic() - started < 10
    processes = docker_api.exec_start(docker_api.exec_create(cid, ["ps"])).decode()
    assert "sleep 30" not in processes  # the timed-out hook was killed


def test_remove_image_refuses_images_in_use(
    docker_api: Any, docker_client: DockerClient, e2e_names: Names
) -> None:
    from tests.support.images import build_image

    tag = e2e_names("unique") + ":1"
    image_id = build_image(docker_api, tag, version=e2e_names("only-here"))
    docker_api.tag(image_id, e2e_names("unique"), "2")
    docker_api.remove_image(tag)  # one tag left, so the id names one image
    cid = docker_api.create_container(image_id, name=e2e_names("user"))["Id"]
    with pytest.raises(ImageInUseError) as caught:
        docker_client.remove_image(image_id)
    assert str(caught.value).startswith(f"Could not remove image {short_id(image_id)}: ")
    assert "used by" in str(caught.value)  # Docker: "being used by", Podman: "image used by"
    assert isinstance(caught.value.__cause__, docker.errors.APIError)
    assert docker_client.inspect_image(image_id) is not None
    docker_client.remove_container(cid)
    docker_client.remove_image(image_id)
    assert docker_client.inspect_image(image_id) is None  # 404: no such image
    docker_client.remove_image(image_id)  # 404: already gone, as asked


def test_pull_with_credentials_from_the_auth_callable(
    dockerd: Any, docker_api: Any, e2e_images: Images, e2e_names: Names, tmp_path: Any
) -> None:
    from tests.support.images import push
    from tests.support.registry import RegistryServer, htpasswd_auth
    from watchtower.registry import Credentials, auth_config

    login = Credentials(username="puller", password="s3cret")
    server = RegistryServer.start(
        tmp_path / "private", auth=htpasswd_auth(tmp_path / "auth", {"puller": "s3cret"})
    )
    if hasattr(dockerd, "trust"):  # Podman reaches 127.0.0.1 over HTTP only when told
        dockerd.trust(server.host)
    try:
        reference = f"{server.host}/{e2e_names('private')}:latest"
        docker_api.tag(e2e_images.build("v2"), reference.rpartition(":")[0], "latest")
        push(docker_api, reference, auth_config=auth_config(login, server.host))
        docker_api.remove_image(reference)

        anonymous = DockerClient.from_env(dockerd.url, auth=lambda host: None)
        with pytest.raises(EngineError, match=r"^Could not pull .*(auth|denied|unauthorized).*\.$"):
            anonymous.pull_image(parse_reference(reference))
        anonymous.close()

        logins = {server.host: login}
        client = DockerClient.from_env(
            dockerd.url,
            auth=lambda host: auth_config(logins[host], host) if host in logins else None,
        )
        image = client.pull_image(parse_reference(reference))
        client.close()
    finally:
        server.stop()
    assert image.id == e2e_images.build("v2")
