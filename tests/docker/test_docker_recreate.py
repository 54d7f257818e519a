"""The recreation rule (:func:`watchtower.docker.create_spec`), table-tested without an engine."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from watchtower.docker.recreate import create_spec, normalise_link

CID = "0123456789ab" + "c" * 52

IMAGE: dict[str, Any] = {
    "Id": "sha256:old",
    "Config": {
        "Env": ["PATH=/bin", "MODE=image"],
        "Labels": {"org.image": "1", "shared": "image"},
        "Volumes": {"/data": {}},
        "ExposedPorts": {"80/tcp": {}},
        "Cmd": ["serve"],
        "Entrypoint": ["/entry"],
        "WorkingDir": "/srv",
        "User": "app",
        "StopSignal": "SIGQUIT",
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1_000_000_000, "Retries": 3},
    },
}

NEW_IMAGE: dict[str, Any] = {
    "Id": "sha256:new",
    "Config": {**IMAGE["Config"], "Volumes": {"/data": {}, "/cache": {}}},
}


def container(**config: Any) -> dict[str, Any]:
    """An inspect answer of a container that took every default from IMAGE."""
    base = copy.deepcopy(IMAGE["Config"])
    base.update(Image="127.0.0.1:5000/app:latest", Hostname=CID[:12])
    host = config.pop("HostConfig", {})
    networks = config.pop("Networks", {})
    mounts = config.pop("Mounts", [])
    base.update(config)
    return {
        "Id": CID,
        "Name": "/web",
        "Image": "sha256:old",
        "Config": base,
        "HostConfig": {"NetworkMode": "default", **host},
        "NetworkSettings": {"Networks": networks},
        "Mounts": mounts,
    }


def spec_config(inspect: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return create_spec(inspect, IMAGE, NEW_IMAGE, **kwargs).config


# (what the container has, key, what the create call must carry)
CONFIG_TABLE = [
    # Image defaults are dropped so the new image's apply.
    ({}, "Env", []),
    ({}, "Labels", {}),
    ({}, "Volumes", None),
    ({}, "ExposedPorts", None),
    ({}, "Cmd", None),
    ({}, "Entrypoint", None),
    ({}, "WorkingDir", None),
    ({}, "User", None),
    ({}, "StopSignal", None),
    ({}, "Healthcheck", None),
    ({}, "Hostname", None),
    # What the user set is kept.
    ({"Env": ["PATH=/bin", "MODE=user", "X=1"]}, "Env", ["MODE=user", "X=1"]),
    (
        {"Labels": {"org.image": "1", "shared": "mine", "own": "x"}},
        "Labels",
        {"shared": "mine", "own": "x"},
    ),
    ({"Volumes": {"/data": {}, "/mine": {}}}, "Volumes", {"/mine": {}}),
    ({"ExposedPorts": {"80/tcp": {}, "9000/udp": {}}}, "ExposedPorts", {"9000/udp": {}}),
    ({"Cmd": ["serve", "--fast"]}, "Cmd", ["serve", "--fast"]),
    # A user entrypoint keeps the cmd, even one equal to the image's.
    ({"Entrypoint": ["/other"]}, "Entrypoint", ["/other"]),
    ({"Entrypoint": ["/other"]}, "Cmd", ["serve"]),
    ({"WorkingDir": "/work"}, "WorkingDir", "/work"),
    ({"User": "0:0"}, "User", "0:0"),
    ({"StopSignal": "SIGINT"}, "StopSignal", "SIGINT"),
    ({"StopTimeout": 3}, "StopTimeout", 3),
    ({"Hostname": "myhost"}, "Hostname", "myhost"),
    (
        {"Healthcheck": {"Test": ["CMD", "true"], "Interval": 1_000_000_000, "Retries": 9}},
        "Healthcheck",
        {"Retries": 9},
    ),
    ({"Healthcheck": {"Test": ["NONE"]}}, "Healthcheck", {"Test": ["NONE"]}),
    (
        {"Labels": {"com.centurylinklabs.zodiac.original-image": "app:1"}},
        "Labels",
        {"com.centurylinklabs.zodiac.original-image": "app:1"},
    ),
    # Compose v2's image label follows the new image when it named the old one.
    (
        {
            "Labels": {
                "com.docker.compose.image": "sha256:old",
                "com.docker.compose.config-hash": "h",
            }
        },
        "Labels",
        {"com.docker.compose.image": "sha256:new", "com.docker.compose.config-hash": "h"},
    ),
    (
        {"Labels": {"com.docker.compose.image": "sha256:other"}},
        "Labels",
        {"com.docker.compose.image": "sha256:other"},
    ),
    ({"Tty": True, "OpenStdin": True}, "Tty", True),
    ({}, "Image", "127.0.0.1:5000/app:latest"),
]


@pytest.mark.parametrize(("config", "key", "expected"), CONFIG_TABLE)
def test_config_keeps_what_the_user_set_and_drops_image_defaults(
    config: dict[str, Any], key: str, expected: Any
) -> None:
    assert spec_config(container(**config)).get(key) == expected


def test_port_bindings_are_exposed() -> None:
    inspect = container(HostConfig={"PortBindings": {"8080/tcp": [{"HostPort": "80"}]}})
    assert spec_config(inspect)["ExposedPorts"] == {"8080/tcp": {}}


def test_host_config_is_carried_whole() -> None:
    host = {
        "Binds": ["/srv:/srv:ro", "named:/named"],
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Memory": 64 << 20,
        "CapAdd": ["NET_ADMIN"],
        "Devices": [
            {"PathOnHost": "/dev/null", "PathInContainer": "/dev/x", "CgroupPermissions": "rwm"}
        ],
        "Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}],
        "Sysctls": {"net.ipv4.ip_forward": "1"},
        "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
        "Dns": ["127.0.0.53"],
        "ExtraHosts": ["db:127.0.0.2"],
        "Tmpfs": {"/run": "size=1m"},
        "Init": True,
    }
    config = spec_config(container(HostConfig=host))
    assert config["HostConfig"] == {"NetworkMode": "default", **host}


def test_inputs_are_not_modified() -> None:
    inspect = container(Env=["A=1"], HostConfig={"Links": ["/db:/web/db"]})
    before = copy.deepcopy(inspect)
    create_spec(inspect, IMAGE, NEW_IMAGE)
    assert inspect == before


@pytest.mark.parametrize(
    ("link", "expected"),
    [("/db:/web/db", "db:db"), ("/db:/web/database", "db:database"), ("db", "db:db")],
)
def test_links_take_the_create_form(link: str, expected: str) -> None:
    assert normalise_link(link) == expected
    config = spec_config(container(HostConfig={"Links": [link]}))
    assert config["HostConfig"]["Links"] == [expected]


def test_anonymous_volumes_are_carried_by_name() -> None:
    inspect = container(
        Volumes={"/data": {}, "/mine": {}, "/gone": {}},
        HostConfig={"Binds": ["named:/named"], "Mounts": [{"Type": "volume", "Target": "/m"}]},
        Mounts=[
            {"Type": "volume", "Name": "anon1", "Destination": "/data"},
            {"Type": "volume", "Name": "anon2", "Destination": "/mine"},
            {"Type": "volume", "Name": "named", "Destination": "/named"},
            {"Type": "volume", "Name": "anon3", "Destination": "/m"},
            {"Type": "bind", "Source": "/srv", "Destination": "/srv"},
        ],
    )
    config = spec_config(inspect)
    assert config["HostConfig"]["Binds"] == ["named:/named", "anon1:/data", "anon2:/mine"]
    assert config["HostConfig"]["Mounts"] == [{"Type": "volume", "Target": "/m", "Source": "anon3"}]


def test_an_anonymous_volume_nobody_declares_any_more_is_left_behind() -> None:
    inspect = container(Mounts=[{"Type": "volume", "Name": "anon1", "Destination": "/data"}])
    new_image = {"Id": "sha256:new", "Config": {**IMAGE["Config"], "Volumes": None}}
    config = create_spec(inspect, IMAGE, new_image).config
    assert "Binds" not in config["HostConfig"]


def test_networks_primary_at_create_others_connected() -> None:
    networks = {
        "front": {
            "IPAMConfig": {"IPv4Address": "10.1.0.5", "IPv6Address": ""},
            "Aliases": ["web", CID[:12]],
            "MacAddress": "02:42:0a:01:00:05",
            "IPAddress": "10.1.0.5",
        },
        "back": {"IPAMConfig": None, "Aliases": None, "IPAddress": "10.2.0.7"},
        "admin": {"IPAMConfig": {"IPv6Address": "fd00::7"}, "Aliases": ["adm"]},
    }
    spec = create_spec(
        container(HostConfig={"NetworkMode": "front"}, Networks=networks), IMAGE, NEW_IMAGE
    )
    assert spec.config["NetworkingConfig"] == {
        "EndpointsConfig": {
            "front": {"IPAMConfig": {"IPv4Address": "10.1.0.5"}, "Aliases": ["web"]}
        }
    }
    assert spec.connect == (
        ("admin", {"IPAMConfig": {"IPv6Address": "fd00::7"}, "Aliases": ["adm"]}),
        ("back", {}),
    )
    assert spec.name == "web"


@pytest.mark.parametrize("mode", ["host", "none"])
def test_host_and_none_modes_have_no_endpoints(mode: str) -> None:
    spec = create_spec(
        container(HostConfig={"NetworkMode": mode}, Networks={mode: {}}), IMAGE, NEW_IMAGE
    )
    assert spec.config["HostConfig"]["NetworkMode"] == mode
    assert "NetworkingConfig" not in spec.config
    assert spec.connect == ()


def test_container_mode_joins_the_supplier_by_name() -> None:
    inspect = container(
        HostConfig={"NetworkMode": "container:" + "f" * 64},
        Hostname="supplier",
        ExposedPorts={"9000/tcp": {}},
        MacAddress="02:00:00:00:00:01",
    )
    spec = create_spec(inspect, IMAGE, NEW_IMAGE, network_mode="container:db")
    assert spec.config["HostConfig"]["NetworkMode"] == "container:db"
    for key in ("Hostname", "ExposedPorts", "MacAddress"):
        assert key not in spec.config
    assert "NetworkingConfig" not in spec.config


def test_without_the_old_image_everything_is_kept() -> None:
    inspect = container()
    config = create_spec(inspect, None, NEW_IMAGE).config
    assert config["Env"] == IMAGE["Config"]["Env"]
    assert config["Cmd"] == ["serve"]
    assert config["Entrypoint"] == ["/entry"]


def test_create_by_id_keeps_the_reference_in_a_label() -> None:
    config = spec_config(container(), image_id="sha256:new")
    assert config["Image"] == "sha256:new"
    assert config["Labels"] == {
        "com.centurylinklabs.zodiac.original-image": "127.0.0.1:5000/app:latest"
    }


def test_a_container_created_by_id_goes_back_to_its_reference() -> None:
    inspect = container(
        Image="sha256:old",
        Labels={"com.centurylinklabs.zodiac.original-image": "127.0.0.1:5000/app:latest"},
    )
    assert spec_config(inspect)["Image"] == "127.0.0.1:5000/app:latest"
