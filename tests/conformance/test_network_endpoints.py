"""The fork's MAC address cases (pkg/container/container_source_test.go), run on the create spec.

The fork's ``processEndpoint`` keeps each network's MAC address for engines
of API 1.44 and newer, except an address the bridge driver derived from the
endpoint's IPv4 address, and clears it for older engines; here
:func:`~watchtower.docker.recreate.create_spec` decides the same with
``mac_per_network``, which the docker client sets from the API version it
negotiated. Its ``isEngineGeneratedMAC`` table runs against
:func:`~watchtower.docker.recreate.engine_generated_mac`.

Not ported: IPAddress and DNSNames, which the fork copies too; the engine
assigns both on create (a fixed address is the endpoint's IPAMConfig, which
is copied), so they do not change what the replacement gets.
"""

from __future__ import annotations

from typing import Any

import pytest

from watchtower.docker.recreate import create_spec, engine_generated_mac

SOURCE = "nicholas-fedor/watchtower pkg/container/container_source_test.go"
CONTAINER_ID = "c0ffee" + "0" * 58


def _inspect(networks: dict[str, dict[str, Any]], mode: str = "bridge") -> dict[str, Any]:
    return {
        "Id": CONTAINER_ID,
        "Name": "/web",
        "Config": {"Image": "web:1", "Hostname": CONTAINER_ID[:12]},
        "HostConfig": {"NetworkMode": mode},
        "NetworkSettings": {"Networks": networks},
    }


def _endpoints(networks: dict[str, dict[str, Any]], *, modern: bool) -> dict[str, Any]:
    """Each network's endpoint config in the replacement, the create call's and the connects'."""
    spec = create_spec(_inspect(networks), None, None, mac_per_network=modern)
    created = spec.config.get("NetworkingConfig", {}).get("EndpointsConfig", {})
    return {**created, **dict(spec.connect)}


# (case, mac, ip, API >= 1.44, MAC kept)
PROCESS_ENDPOINT = [
    (
        "with modern API version / should preserve MAC address, IP address, and DNS names",
        "aa:bb:cc:dd:ee:ff",
        "172.17.0.2",
        True,
        "aa:bb:cc:dd:ee:ff",
    ),
    (
        "with modern API version / should clear engine-generated MAC when it matches the "
        "endpoint IP",
        "02:42:ac:11:00:02",
        "172.17.0.2",
        True,
        None,
    ),
    (
        "with modern API version / should preserve user-configured MAC that does not match the "
        "endpoint IP",
        "aa:bb:cc:dd:ee:ff",
        "172.17.0.2",
        True,
        "aa:bb:cc:dd:ee:ff",
    ),
    (
        "with modern API version / should preserve engine-generated MAC when endpoint IP is empty",
        "02:42:ac:11:00:02",
        "",
        True,
        "02:42:ac:11:00:02",
    ),
    (
        "with modern API version / should preserve engine-generated MAC when endpoint IP is IPv6",
        "02:42:ac:11:00:02",
        "::1",
        True,
        "02:42:ac:11:00:02",
    ),
    (
        "with modern API version / should clear empty MAC without error",
        "",
        "172.17.0.2",
        True,
        None,
    ),
    (
        "with modern API version / should preserve user-configured MAC matching "
        "engine-generated prefix with different IP",
        "02:42:de:ad:be:ef",
        "172.17.0.2",
        True,
        "02:42:de:ad:be:ef",
    ),
    (
        "with legacy API version / should clear MAC address, IP address, and DNS names",
        "02:42:ac:11:00:02",
        "172.17.0.2",
        False,
        None,
    ),
    (
        "with legacy API version / a user-configured MAC is cleared too",
        "aa:bb:cc:dd:ee:ff",
        "172.17.0.2",
        False,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "mac", "ip", "modern", "kept"),
    PROCESS_ENDPOINT,
    ids=[c[0] for c in PROCESS_ENDPOINT],
)
def test_process_endpoint_mac(case: str, mac: str, ip: str, modern: bool, kept: str | None) -> None:
    """processEndpoint: the MAC of the network the container was created on."""
    endpoints = _endpoints(
        {"bridge": {"MacAddress": mac, "IPAddress": ip, "Aliases": [CONTAINER_ID[:12], "a"]}},
        modern=modern,
    )
    assert endpoints["bridge"].get("MacAddress") == kept
    assert endpoints["bridge"]["Aliases"] == ["a"]  # the rest of the endpoint as before


@pytest.mark.parametrize("modern", [True, False])
def test_every_network_keeps_its_own_mac(modern: bool) -> None:
    """Each network's MAC goes with that network: the create call's and each connect's."""
    endpoints = _endpoints(
        {
            "bridge": {"MacAddress": "aa:bb:cc:00:00:01", "IPAddress": "172.17.0.2"},
            "backend": {"MacAddress": "aa:bb:cc:00:00:02", "IPAddress": "10.0.0.2"},
            "frontend": {"MacAddress": "02:42:0a:01:00:02", "IPAddress": "10.1.0.2"},
        },
        modern=modern,
    )
    macs = {name: endpoint.get("MacAddress") for name, endpoint in endpoints.items()}
    if modern:
        assert macs == {
            "bridge": "aa:bb:cc:00:00:01",
            "backend": "aa:bb:cc:00:00:02",
            "frontend": None,  # derived from its old IP
        }
    else:
        assert macs == {"bridge": None, "backend": None, "frontend": None}


def test_host_network_mode_has_no_endpoints() -> None:
    """processEndpoint, host network: should clear MAC and IP addresses even with modern API."""
    inspect = _inspect({"host": {"MacAddress": "02:42:ac:11:00:02"}}, mode="host")
    spec = create_spec(inspect, None, None, mac_per_network=True)
    assert "NetworkingConfig" not in spec.config
    assert spec.connect == ()


# isEngineGeneratedMAC: (case, mac, ip, generated)
ENGINE_GENERATED = [
    ("should return true for MAC derived from the endpoint IPv4 address", "02:42:ac:11:00:02",
     "172.17.0.2", True),
    ("should return false for user-configured MAC with matching prefix but different IP",
     "02:42:de:ad:be:ef", "172.17.0.2", False),
    ("should return false when MAC is empty", "", "172.17.0.2", False),
    ("should return false when IP is empty", "02:42:ac:11:00:02", "", False),
    ("should return false when IP is IPv6", "02:42:ac:11:00:02", "::1", False),
    ("should return false when MAC length is not 6", "02:42:ac:11", "172.17.0.2", False),
    ("should return true for the reproduction case from issue #2104", "02:42:0a:63:00:02",
     "10.99.0.2", True),
    ("an upper-case MAC as a user may write it", "02:42:AC:11:00:02", "172.17.0.2", True),
    ("an address that is not an IPv4 address", "02:42:ac:11:00:02", "172.17.0.300", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "mac", "ip", "generated"), ENGINE_GENERATED, ids=[c[0] for c in ENGINE_GENERATED]
)
def test_is_engine_generated_mac(case: str, mac: str, ip: str, generated: bool) -> None:
    """isEngineGeneratedMAC."""
    assert engine_generated_mac(mac, ip) is generated
