"""Podman compatibility: --cpu-copy-mode, --disable-memory-swappiness, and detecting Podman."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.docker.test_docker_recreate import container, spec_config
from tests.support.e2e_fixtures import Images, Names
from watchtower.cli.config import load
from watchtower.docker import DockerClient
from watchtower.docker.runtime import is_podman
from watchtower.errors import ConfigurationError

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


@pytest.mark.e2e
@pytest.mark.parametrize(("mode", "podman", "nano_cpus"), [("none", None, 0), ("auto", True, 0)])
def test_a_replacement_on_a_real_engine_leaves_the_cpu_limit_out(
    dockerd: Any,
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    mode: str,
    podman: bool | None,
    nano_cpus: int,
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
    new_id = client.create_replacement(old, new_image)
    assert docker_api.inspect_container(new_id)["HostConfig"]["NanoCpus"] == nano_cpus
    assert docker_api.inspect_container(cid)["HostConfig"]["NanoCpus"] == 500_000_000
