"""Podman compatibility: --cpu-copy-mode, --disable-memory-swappiness, detecting Podman,
and reading Podman's inspect answers as Docker's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.docker.test_docker_recreate import CID, container, spec_config
from tests.docker.test_docker_snapshot import inspect
from tests.support.e2e_fixtures import ON_EVERY_ENGINE, Images, Names
from watchtower.cli.config import load
from watchtower.docker import DockerClient
from watchtower.docker.runtime import is_podman, listed_states, version_is_podman
from watchtower.docker.snapshot import container_from_inspect
from watchtower.errors import ConfigurationError, ContainerError

CPU = {
    "NanoCpus": 500_000_000,
    "CpuShares": 512,
    "CpuQuota": 0,
    "CpuPeriod": 0,
    "CpusetCpus": "0",
    "CpusetMems": "",
    "MemorySwappiness": 30,
}


@pytest.mark.parametrize(
    ("cpu", "drop_swappiness", "expected"),
    [
        ("full", False, CPU),
        ("no-nano-cpus", False, {**CPU, "NanoCpus": 0}),
        (
            "none",
            False,
            {**CPU, "NanoCpus": 0, "CpuShares": 0, "CpusetCpus": ""},
        ),
        ("full", True, {**CPU, "MemorySwappiness": None}),
    ],
)
def test_cpu_settings_and_swappiness_of_the_replacement(
    cpu: Any, drop_swappiness: bool, expected: dict[str, Any]
) -> None:
    host = spec_config(container(HostConfig=CPU), cpu=cpu, drop_swappiness=drop_swappiness)[
        "HostConfig"
    ]
    assert {key: host[key] for key in CPU} == expected


def _info(answer: Mapping[str, Any] | Exception) -> Any:
    def info() -> Mapping[str, Any]:
        if isinstance(answer, Exception):
            raise answer
        return answer

    return info


@pytest.mark.parametrize(
    ("markers", "environ", "answer", "podman"),
    [
        (["run/.containerenv"], {}, {"Name": "docker"}, True),
        ([".dockerenv"], {"CONTAINER": "podman"}, {"Name": "podman"}, False),
        (["run/.containerenv", ".dockerenv"], {}, {}, True),
        ([], {"CONTAINER": "podman"}, {}, True),
        ([], {"CONTAINER": "oci"}, {}, True),
        ([], {"CONTAINER": "docker"}, {}, False),
        ([], {}, {"Name": "podman"}, True),
        ([], {}, {"Name": "host", "ServerVersion": "4.3.1-Podman"}, True),
        ([], {}, {"Name": "host", "ServerVersion": "24.0.7"}, False),
        # Podman 4.3's real answer: the fork's signs miss it (docs/guides/podman.rst).
        ([], {}, {"Name": "vm", "ServerVersion": "4.3.1"}, False),
        ([], {}, OSError("no answer"), False),
    ],
)
def test_podman_is_detected_as_the_fork_does(
    tmp_path: Path,
    markers: list[str],
    environ: dict[str, str],
    answer: Mapping[str, Any] | Exception,
    podman: bool,
) -> None:
    for marker in markers:
        (tmp_path / marker).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / marker).touch()
    assert is_podman(_info(answer), root=tmp_path, environ=environ) is podman


def test_the_flags_reach_the_config() -> None:
    config = load(["--cpu-copy-mode", "None", "--disable-memory-swappiness"], {})
    assert (config.cpu_copy_mode, config.disable_memory_swappiness) == ("none", True)
    assert load([], {}).cpu_copy_mode == "auto"


def test_an_unknown_cpu_copy_mode_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(["--cpu-copy-mode", "half"], {})
    assert str(caught.value) == "--cpu-copy-mode 'half' is not one of auto, full, none."


#: mode, podman= (None: detected), NanoCpus of the replacement on Docker, on Podman
#: (None: refused).
#: Podman answers a NanoCpus limit with the CpuQuota and CpuPeriod it set for
#: it too, and refuses a create that carries all three: without NanoCpus
#: the limit survives as quota and period, which it shows as NanoCpus again.
REAL_ENGINE_CPU = [
    ("none", None, 0, 0),
    ("auto", True, 0, 500_000_000),
    ("auto", False, 500_000_000, None),
    ("auto", None, 500_000_000, 500_000_000),  # detected: the engine's own answer
]


@pytest.mark.e2e
@ON_EVERY_ENGINE
@pytest.mark.parametrize(("mode", "podman", "on_docker", "on_podman"), REAL_ENGINE_CPU)
def test_a_replacement_on_a_real_engine_keeps_what_the_engine_takes(
    dockerd: Any,
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    engine_kind: str,
    mode: str,
    podman: bool | None,
    on_docker: int,
    on_podman: int | None,
) -> None:
    client = DockerClient(docker_api, cpu_copy_mode=mode, podman=podman)
    name = e2e_names("cpu")
    image = e2e_images.build("v1")
    cid = docker_api.create_container(
        image, name=name, host_config=docker_api.create_host_config(nano_cpus=500_000_000)
    )["Id"]
    old = client.get_container(cid)
    new_image = client.inspect_image(e2e_images.build("v2"))
    assert new_image is not None
    client.rename_container(cid, e2e_names("cpu-old"))
    expected = on_docker if engine_kind == "docker" else on_podman
    if expected is None:
        with pytest.raises(ContainerError, match=r"^Could not create the replacement .*NanoCpus"):
            client.create_replacement(old, new_image)
        return
    new_id = client.create_replacement(old, new_image)
    assert docker_api.inspect_container(new_id)["HostConfig"]["NanoCpus"] == expected
    assert docker_api.inspect_container(cid)["HostConfig"]["NanoCpus"] == 500_000_000


# (what Podman's inspect shows, key, what the replacement's create call must carry)
PODMAN_ANSWERS = [
    # Its create parses "nofile", not the RLIMIT_NOFILE its inspect shows.
    (
        {"HostConfig": {"Ulimits": [{"Name": "RLIMIT_NOFILE", "Soft": 1000, "Hard": 2000}]}},
        "Ulimits",
        [{"Name": "nofile", "Soft": 1000, "Hard": 2000}],
    ),
    (
        {"HostConfig": {"Ulimits": [{"Name": "nproc", "Soft": 10, "Hard": 10}]}},
        "Ulimits",
        [{"Name": "nproc", "Soft": 10, "Hard": 10}],
    ),
    # Its create refuses the empty permissions its inspect shows.
    (
        {"HostConfig": {"Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n"}]}},
        "Devices",
        [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n", "CgroupPermissions": "rwm"}],
    ),
    (
        {
            "HostConfig": {
                "Devices": [
                    {
                        "PathOnHost": "/dev/null",
                        "PathInContainer": "/dev/n",
                        "CgroupPermissions": "",
                    }
                ]
            }
        },
        "Devices",
        [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n", "CgroupPermissions": "rwm"}],
    ),
    (
        {
            "HostConfig": {
                "Devices": [
                    {
                        "PathOnHost": "/dev/null",
                        "PathInContainer": "/dev/n",
                        "CgroupPermissions": "r",
                    }
                ]
            }
        },
        "Devices",
        [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n", "CgroupPermissions": "r"}],
    ),
    # The variables Podman adds to every container are not the user's.
    (
        {"Env": ["PATH=/bin", "MODE=x", "TERM=xterm", "container=podman", f"HOSTNAME={CID[:12]}"]},
        "Env",
        ["MODE=x", "TERM=xterm"],
    ),
    ({"Hostname": "myhost", "Env": ["HOSTNAME=myhost", "A=1"]}, "Env", ["A=1"]),
    ({"Hostname": "myhost", "Env": ["HOSTNAME=other"]}, "Env", ["HOSTNAME=other"]),
]


@pytest.mark.parametrize(("answer", "key", "expected"), PODMAN_ANSWERS)
def test_podman_answers_are_sent_back_in_the_form_its_create_takes(
    answer: dict[str, Any], key: str, expected: Any
) -> None:
    config = spec_config(container(**answer))
    assert (config["HostConfig"] if "HostConfig" in answer else config)[key] == expected


@pytest.mark.parametrize(
    ("config", "signal", "timeout"),
    [
        ({"StopSignal": "2", "StopTimeout": 0, "Env": ["container=podman"]}, "SIGINT", None),
        ({"StopSignal": "SIGTERM", "StopTimeout": 0}, "SIGTERM", 0),  # Docker: 0 is 0
        ({"StopSignal": "15", "StopTimeout": 3}, "SIGTERM", 3),
        ({"StopSignal": "SIGQUIT"}, "SIGQUIT", None),  # Docker
        ({"StopSignal": "99"}, "99", None),
        ({}, None, None),
    ],
)
def test_podman_stop_settings_read_as_docker_s(
    config: dict[str, Any], signal: str | None, timeout: int | None
) -> None:
    snapshot = container_from_inspect(inspect(Config=config), None)
    assert snapshot.stop_signal == signal
    assert snapshot.stop_timeout == (None if timeout is None else timedelta(seconds=timeout))


@pytest.mark.parametrize(
    ("version", "podman"),
    [
        ({"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]}, True),
        ({"Components": [{"Name": "Engine", "Version": "24.0.7"}]}, False),
        ({"Version": "24.0.7"}, False),
        ({}, False),
    ],
)
def test_the_engine_behind_the_socket_is_told_by_its_version(
    version: dict[str, Any], podman: bool
) -> None:
    assert version_is_podman(version) is podman


# The fork's buildListFilterArgs table: (stopped, restarting, podman) -> states.
LISTED = [
    (False, False, False, {"running", "paused"}),
    (True, False, False, {"running", "paused", "created", "exited"}),
    (False, True, False, {"running", "paused", "restarting"}),
    (False, True, True, {"running", "paused"}),
    (True, True, False, {"running", "paused", "created", "exited", "restarting"}),
    (True, True, True, {"running", "paused", "created", "exited"}),
]


@pytest.mark.parametrize(("stopped", "restarting", "podman", "states"), LISTED)
def test_restarting_is_never_listed_on_podman(
    stopped: bool, restarting: bool, podman: bool, states: set[str]
) -> None:
    listed = listed_states(include_stopped=stopped, include_restarting=restarting, podman=podman)
    assert listed == states


@pytest.mark.e2e
def test_include_restarting_on_podman_is_noted_once(
    docker_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = DockerClient(docker_api, podman=True)
    with caplog.at_level("INFO", logger="watchtower.docker.client"):
        client.list_containers(include_restarting=True)
        client.list_containers(include_restarting=True)
        DockerClient(docker_api, podman=False).list_containers(include_restarting=True)
    notes = [r.getMessage() for r in caplog.records if "include-restarting" in r.getMessage()]
    assert notes == ["--include-restarting is ignored: Podman has no restarting state."]
