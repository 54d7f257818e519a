"""Whole update runs against a real engine and registry, asserting on ``docker inspect``."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from tests.support.images import build_image, push
from tests.support.registry import RegistryServer
from watchtower import UpdateParams, update
from watchtower.docker import DockerClient
from watchtower.events import Event, Started, Stopped
from watchtower.registry import HttpRegistry
from watchtower.report import Outcome, Report

pytestmark = [pytest.mark.e2e, ON_EVERY_ENGINE]

WATCHTOWER = "com.centurylinklabs.watchtower"

PODMAN_IMAGE_HEALTH = (
    "Podman 4.3's image inspect (compat and libpod) omits the image's HEALTHCHECK, so the"
    " old container's check, which came from its image, looks set by the user and is"
    " carried into the replacement instead of the new image's"
)


def run(api: Any, image: str, name: str, *, start: bool = True, **kwargs: Any) -> str:
    """Create (and start) a container; ``host`` holds host-config keywords."""
    host = kwargs.pop("host", {})
    host.setdefault("network_mode", "none")
    created = api.create_container(
        image, name=name, host_config=api.create_host_config(**host), **kwargs
    )
    if start:
        api.start(created["Id"])
    return str(created["Id"])


def params(names: Names, **kwargs: Any) -> UpdateParams:
    """Parameters that select only this test's containers, with short timeouts."""
    kwargs.setdefault("stop_timeout", timedelta(seconds=2))
    kwargs.setdefault("health_timeout", timedelta(seconds=20))
    return UpdateParams(names=(names.pattern,), **kwargs)


def go(
    client: DockerClient, names: Names, events: list[Event] | None = None, **kwargs: Any
) -> Report:
    observer = events.append if events is not None else None
    return update(client, HttpRegistry(), params(names, **kwargs), observer=observer)


def engine_pulls(registry: RegistryServer, since: int) -> list[str]:
    """Manifest GETs by the engine (a pull) in the registry's log after line ``since``."""
    return [
        line
        for line in registry.access_log()[since:]
        if '"GET /v2/' in line and "/manifests/" in line and '"docker/' in line
    ]


def containers_named(api: Any, prefix: str) -> dict[str, str]:
    """name -> id of every container whose name starts with ``prefix``."""
    found = {}
    for entry in api.containers(all=True):
        for name in entry.get("Names") or ():
            if name.lstrip("/").startswith(prefix):
                found[name.lstrip("/")] = entry["Id"]
    return found


def comparable(inspect: dict[str, Any]) -> dict[str, Any]:
    """The parts of an inspect answer that an update must keep."""
    config = copy.deepcopy(inspect["Config"])
    host = copy.deepcopy(inspect["HostConfig"])
    return {"Config": config, "HostConfig": host, "Name": inspect["Name"]}


def test_a_stale_container_is_updated_and_keeps_its_whole_configuration(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
    engine_kind: str,
) -> None:
    repo = e2e_names("full")
    image = e2e_images.publish(repo, "v1")
    (tmp_path / "conf").write_text("x")
    cid = run(
        docker_api,
        image,
        e2e_names("full"),
        command=["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done", "--"],
        environment={"MODE": "test", "EMPTY": ""},
        labels={"team": "a", f"{WATCHTOWER}.stop-signal": "SIGTERM"},
        working_dir="/tmp",
        user="1000:1000",
        hostname="myhost",
        domainname="example.test",
        stop_signal="SIGTERM",
        stop_timeout=3,
        tty=True,
        stdin_open=True,
        healthcheck={"Test": ["CMD", "true"], "Interval": 200_000_000, "Retries": 2},
        host={
            "network_mode": "none",
            "binds": {str(tmp_path): {"bind": "/conf", "mode": "ro"}},
            "mounts": [],
            "tmpfs": {"/run": "size=1m"},
            "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 2},
            "mem_limit": "64m",
            "cpu_shares": 512,
            "pids_limit": 100,
            "cap_add": ["NET_ADMIN"],
            "cap_drop": ["MKNOD"],
            "devices": ["/dev/null:/dev/mynull:rwm"],
            # Podman fills in an nproc above some machines' hard limit unless it is given.
            "ulimits": [
                {"Name": "nofile", "Soft": 1000, "Hard": 2000},
                {"Name": "nproc", "Soft": 4096, "Hard": 4096},
            ],
            "sysctls": {"kernel.msgmax": "65536"},
            "log_config": {"Type": "json-file", "Config": {"max-size": "1m"}},
            "dns": ["127.0.0.53"],
            "dns_search": ["example.test"],
            "extra_hosts": {"db.local": "127.0.0.2"},
            "read_only": False,
            "shm_size": "16m",
            "oom_score_adj": 100,
            "security_opt": ["no-new-privileges"],
            "group_add": ["123"],
        },
    )
    before = docker_api.inspect_container(cid)
    e2e_images.publish(repo, "v2")

    report = go(docker_client, e2e_names)

    assert [e.outcome for e in report] == [Outcome.UPDATED], report.to_dict()
    after = docker_api.inspect_container(e2e_names("full"))
    assert after["Id"] != cid
    assert after["Image"] == e2e_images.build("v2")
    assert after["State"]["Running"]
    if engine_kind == "podman":
        # Podman keeps the environment as a map: the order is its own.
        for inspect in (before, after):
            inspect["Config"]["Env"].sort()
    assert comparable(after) == comparable(before)
    assert containers_named(docker_api, e2e_names("")) == {e2e_names("full"): after["Id"]}


def test_nothing_changed_means_no_pull_and_no_recreation(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    e2e_registry: RegistryServer,
) -> None:
    cid = run(docker_api, e2e_images.publish(e2e_names("same"), "v1"), e2e_names("same"))
    since = len(e2e_registry.access_log())
    report = go(docker_client, e2e_names)
    assert [e.outcome for e in report] == [Outcome.FRESH]
    assert docker_api.inspect_container(e2e_names("same"))["Id"] == cid
    assert engine_pulls(e2e_registry, since) == []


def test_several_networks_with_static_addresses_survive(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    engine_kind: str,
) -> None:
    import docker

    def network(name: str, subnet: str, **kwargs: Any) -> str:
        pools = [docker.types.IPAMPool(subnet=subnet)]
        if kwargs.get("enable_ipv6"):
            pools.append(docker.types.IPAMPool(subnet="fd00:77::/64"))
        docker_api.create_network(
            name,
            driver="bridge",
            internal=True,
            ipam=docker.types.IPAMConfig(pool_configs=pools),
            **kwargs,
        )
        e2e_names.networks.append(name)
        return name

    front = network(e2e_names("front"), "10.252.1.0/24", enable_ipv6=True)
    back = network(e2e_names("back"), "10.252.2.0/24")
    repo = e2e_names("nets")
    cid = run(
        docker_api,
        e2e_images.publish(repo, "v1"),
        e2e_names("nets"),
        mac_address="02:42:0a:fc:01:0a",
        host={"network_mode": front},
        networking_config=docker_api.create_networking_config(
            {
                front: docker_api.create_endpoint_config(
                    aliases=["web", "www"], ipv4_address="10.252.1.10", ipv6_address="fd00:77::10"
                ),
            }
        ),
    )
    docker_api.connect_container_to_network(cid, back, aliases=["api"], ipv4_address="10.252.2.20")
    before = docker_api.inspect_container(cid)
    e2e_images.publish(repo, "v2")

    report = go(docker_client, e2e_names)

    assert [e.outcome for e in report] == [Outcome.UPDATED], report.to_dict()
    after = docker_api.inspect_container(e2e_names("nets"))

    def networks(inspect: dict[str, Any]) -> dict[str, Any]:
        short = inspect["Id"][:12]
        return {
            name: {
                "IPAMConfig": net["IPAMConfig"],
                "Aliases": sorted(a for a in net["Aliases"] or () if a != short),
                "IPAddress": net["IPAddress"],
                "GlobalIPv6Address": net["GlobalIPv6Address"],
                "MacAddress": net["MacAddress"] if name == front else "",
            }
            for name, net in inspect["NetworkSettings"]["Networks"].items()
        }

    # Podman 4.3 reports the mode of a container on named networks as "bridge".
    assert after["HostConfig"]["NetworkMode"] == before["HostConfig"]["NetworkMode"]
    if engine_kind == "podman":
        # Podman 4.3 reports no IPAMConfig and ignores a container's MAC
        # address: the replacement is on the same networks under the same
        # aliases, with addresses the networks hand out (docs/guides/podman.rst).
        def without_addresses(inspect: dict[str, Any]) -> dict[str, Any]:
            return {name: net["Aliases"] for name, net in networks(inspect).items()}

        assert without_addresses(after) == without_addresses(before)
        assert {net["IPAMConfig"] for net in networks(before).values()} == {None}
        assert networks(after)[back]["IPAddress"].startswith("10.252.2.")
        return
    assert networks(after) == networks(before)
    assert networks(after)[front]["MacAddress"] == "02:42:0a:fc:01:0a"


def test_a_network_dependant_is_restarted_after_its_supplier(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
) -> None:
    supplier_repo = e2e_names("supplier")
    supplier = run(docker_api, e2e_images.publish(supplier_repo, "v1"), e2e_names("supplier"))
    dependant = run(
        docker_api,
        e2e_images.publish(e2e_names("dependant"), "v1"),
        e2e_names("dependant"),
        host={"network_mode": f"container:{e2e_names('supplier')}"},
    )
    e2e_images.publish(supplier_repo, "v2")
    events: list[Event] = []

    report = go(docker_client, e2e_names, events)

    outcomes = {e.name: e.outcome for e in report}
    assert outcomes == {
        e2e_names("supplier"): Outcome.UPDATED,
        e2e_names("dependant"): Outcome.RESTARTED,
    }, report.to_dict()
    new_supplier = docker_api.inspect_container(e2e_names("supplier"))
    new_dependant = docker_api.inspect_container(e2e_names("dependant"))
    assert new_supplier["Id"] != supplier and new_dependant["Id"] != dependant
    assert new_dependant["State"]["Running"]
    mode = new_dependant["HostConfig"]["NetworkMode"]
    assert mode in (f"container:{e2e_names('supplier')}", f"container:{new_supplier['Id']}")
    started = [e.container for e in events if isinstance(e, Started)]
    assert started == [e2e_names("supplier"), e2e_names("dependant")]
    stopped = [e.container for e in events if isinstance(e, Stopped)]
    assert stopped == [e2e_names("dependant"), e2e_names("supplier")]


def test_depends_on_orders_stop_and_start(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
) -> None:
    db_repo = e2e_names("db")
    run(docker_api, e2e_images.publish(db_repo, "v1"), e2e_names("db"))
    app_repo = e2e_names("app")
    run(
        docker_api,
        e2e_images.publish(app_repo, "v1"),
        e2e_names("app"),
        labels={f"{WATCHTOWER}.depends-on": e2e_names("db")},
    )
    e2e_images.publish(db_repo, "v2")
    e2e_images.publish(app_repo, "v2")
    events: list[Event] = []

    report = go(docker_client, e2e_names, events)

    assert {e.outcome for e in report} == {Outcome.UPDATED}, report.to_dict()
    assert [e.container for e in events if isinstance(e, Stopped)] == [
        e2e_names("app"),
        e2e_names("db"),
    ]
    assert [e.container for e in events if isinstance(e, Started)] == [
        e2e_names("db"),
        e2e_names("app"),
    ]
    for name in ("db", "app"):
        assert docker_api.inspect_container(e2e_names(name))["Image"] == e2e_images.build("v2")


@pytest.mark.parametrize("remove_volumes", [False, True])
def test_anonymous_volume_data_survives(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    remove_volumes: bool,
) -> None:
    repo = e2e_names("vol")
    cid = run(
        docker_api,
        e2e_images.publish(repo, "vol1"),
        e2e_names("vol"),
        volumes=["/extra"],
        host={"network_mode": "none", "binds": []},
    )
    docker_api.exec_start(
        docker_api.exec_create(cid, ["sh", "-c", "echo kept > /data/file; echo also > /extra/file"])
    )
    volumes_before = {
        m["Destination"]: m["Name"] for m in docker_api.inspect_container(cid)["Mounts"]
    }
    e2e_images.publish(repo, "vol2")

    report = go(docker_client, e2e_names, remove_volumes=remove_volumes)

    assert [e.outcome for e in report] == [Outcome.UPDATED], report.to_dict()
    new = docker_api.inspect_container(e2e_names("vol"))
    output = docker_api.exec_start(
        docker_api.exec_create(new["Id"], ["cat", "/data/file", "/extra/file", "/version"])
    ).decode()
    assert output.split() == ["kept", "also", "2"]
    assert {m["Destination"]: m["Name"] for m in new["Mounts"]} == volumes_before


@pytest.mark.parametrize(("variant", "step"), [("broken2", "start"), ("unhealthy2", "health")])
def test_a_failing_replacement_is_rolled_back(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    variant: str,
    step: str,
    engine_kind: str,
    request: pytest.FixtureRequest,
) -> None:
    if engine_kind == "podman" and variant == "unhealthy2":
        request.applymarker(pytest.mark.xfail(reason=PODMAN_IMAGE_HEALTH, strict=True))
    repo = e2e_names("fail")
    cid = run(docker_api, e2e_images.publish(repo, "healthy1"), e2e_names("fail"))
    e2e_images.publish(repo, variant)

    report = go(docker_client, e2e_names, health_timeout=timedelta(seconds=15))

    (entry,) = report
    assert entry.outcome is Outcome.FAILED and entry.rolled_back, entry
    old = docker_api.inspect_container(e2e_names("fail"))
    assert old["Id"] == cid
    assert old["State"]["Running"]
    assert containers_named(docker_api, e2e_names("")) == {e2e_names("fail"): cid}


def test_monitor_only_changes_nothing(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    e2e_registry: RegistryServer,
) -> None:
    repo = e2e_names("watch")
    cid = run(docker_api, e2e_images.publish(repo, "v1"), e2e_names("watch"))
    e2e_images.publish(repo, "v2")
    since = len(e2e_registry.access_log())

    report = go(docker_client, e2e_names, monitor_only=True)

    assert [e.outcome for e in report] == [Outcome.STALE]
    after = docker_api.inspect_container(e2e_names("watch"))
    assert (after["Id"], after["Image"]) == (cid, e2e_images.build("v1"))
    assert engine_pulls(e2e_registry, since) == []


def test_cleanup_removes_the_old_image_only_when_unused(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
) -> None:
    reference = f"{e2e_images.registry_host}/{e2e_names('clean')}:latest"
    old_image = build_image(docker_api, reference, version=e2e_names("old"))
    push(docker_api, reference)
    run(docker_api, reference, e2e_names("first"))
    run(docker_api, reference, e2e_names("second"))
    new_image = build_image(docker_api, reference, version=e2e_names("new"))
    push(docker_api, reference)

    report = update(
        docker_client,
        HttpRegistry(),
        attrs.evolve(params(e2e_names, cleanup=True), names=(e2e_names("first"),)),
    )
    assert [e.outcome for e in report] == [Outcome.UPDATED]
    assert report.removed_images == ()
    assert docker_client.inspect_image(old_image) is not None  # "second" still runs it

    report = go(docker_client, e2e_names, cleanup=True)
    assert {e.name: e.outcome for e in report}[e2e_names("second")] is Outcome.UPDATED
    assert report.removed_images == (old_image,)
    assert docker_client.inspect_image(old_image) is None
    assert docker_client.inspect_image(new_image) is not None


@pytest.mark.parametrize("revive", [False, True])
def test_stopped_containers(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    revive: bool,
) -> None:
    repo = e2e_names("idle")
    cid = run(docker_api, e2e_images.publish(repo, "v1"), e2e_names("idle"), start=False)
    e2e_images.publish(repo, "v2")

    skipped = go(docker_client, e2e_names, revive_stopped=revive)
    assert list(skipped) == [] or {e.outcome for e in skipped} != {Outcome.UPDATED}
    assert docker_api.inspect_container(e2e_names("idle"))["Id"] == cid

    report = go(docker_client, e2e_names, include_stopped=True, revive_stopped=revive)

    assert [e.outcome for e in report] == [Outcome.UPDATED], report.to_dict()
    after = docker_api.inspect_container(e2e_names("idle"))
    assert after["Id"] != cid
    assert after["Image"] == e2e_images.build("v2")
    assert after["State"]["Running"] is revive


def test_a_pre_update_hook_exiting_75_skips_the_update(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
) -> None:
    repo = e2e_names("hooked")
    cid = run(
        docker_api,
        e2e_images.publish(repo, "v1"),
        e2e_names("hooked"),
        labels={f"{WATCHTOWER}.lifecycle.pre-update": "echo not now; exit 75"},
    )
    e2e_images.publish(repo, "v2")

    report = go(docker_client, e2e_names, lifecycle_hooks=True)

    assert [e.outcome for e in report] == [Outcome.SKIPPED], report.to_dict()
    after = docker_api.inspect_container(e2e_names("hooked"))
    assert (after["Id"], after["State"]["Running"]) == (cid, True)


def test_a_watchtower_container_is_never_stopped_its_successor_takes_over(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
) -> None:
    repo = e2e_names("wt")
    cid = run(
        docker_api, e2e_images.publish(repo, "v1"), e2e_names("wt"), labels={WATCHTOWER: "true"}
    )
    e2e_images.publish(repo, "v2")

    report = go(docker_client, e2e_names)

    assert [e.outcome for e in report] == [Outcome.UPDATED], report.to_dict()
    old = docker_api.inspect_container(cid)
    assert old["State"]["Running"]  # still running: its successor removes it
    assert old["Name"] != "/" + e2e_names("wt")
    new = docker_api.inspect_container(e2e_names("wt"))
    assert new["Id"] != cid and new["State"]["Running"]
    assert new["Image"] == e2e_images.build("v2")
    # What the successor does at start: remove its predecessor.
    docker_client.stop_container(
        docker_client.get_container(cid), signal="SIGTERM", timeout=timedelta(seconds=2)
    )
    docker_client.remove_container(cid)
    assert containers_named(docker_api, e2e_names("")) == {e2e_names("wt"): new["Id"]}


@pytest.mark.parametrize("mode", ["host", "none"])
def test_host_and_none_network_modes_are_kept(
    docker_api: Any,
    docker_client: DockerClient,
    e2e_images: Images,
    e2e_names: Names,
    mode: str,
) -> None:
    repo = e2e_names(mode)
    cid = run(
        docker_api, e2e_images.publish(repo, "v1"), e2e_names(mode), host={"network_mode": mode}
    )
    before = docker_api.inspect_container(cid)
    e2e_images.publish(repo, "v2")

    report = go(docker_client, e2e_names)

    assert [e.outcome for e in report] == [Outcome.UPDATED], report.to_dict()
    after = docker_api.inspect_container(e2e_names(mode))
    assert after["HostConfig"]["NetworkMode"] == mode
    assert set(after["NetworkSettings"]["Networks"]) == set(before["NetworkSettings"]["Networks"])
    # The host's name on the host network; otherwise Docker's default, the new short id.
    expected = before["Config"]["Hostname"] if mode == "host" else after["Id"][:12]
    assert after["Config"]["Hostname"] == expected
