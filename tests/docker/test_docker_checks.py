"""Where a probe may connect, read from an inspect answer: a table, no engine needed."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from watchtower.docker.checks import _time, addresses
from watchtower.probes import Probe, ProbeKind

OWN = Probe(ProbeKind.HTTP, "http://:8080/", 8080)
TCP = Probe(ProbeKind.TCP, "5432", 5432)
LOOPBACK = Probe(ProbeKind.HTTP, "http://127.0.0.1:18080/", 18080, loopback=True)


def inspect(mode: str = "bridge", networks: Any = None, ports: Any = None) -> dict[str, Any]:
    return {
        "HostConfig": {"NetworkMode": mode},
        "NetworkSettings": {"Networks": networks or {}, "Ports": ports or {}},
    }


TWO_NETWORKS = {
    "front": {"IPAddress": "172.18.0.4", "GlobalIPv6Address": ""},
    "back": {"IPAddress": "172.19.0.2", "GlobalIPv6Address": "fd00::2"},
}

TABLE = [
    ("its address on each network", inspect(networks=TWO_NETWORKS), OWN,
     [("172.18.0.4", 8080), ("172.19.0.2", 8080), ("fd00::2", 8080)], ""),
    ("a TCP probe the same", inspect(networks={"n": {"IPAddress": "10.1.2.3"}}), TCP,
     [("10.1.2.3", 5432)], ""),
    ("the host's network is the host's loopback", inspect("host"), OWN, [("127.0.0.1", 8080)], ""),
    ("no network, no address", inspect("none", {"none": {"IPAddress": ""}}), OWN, [],
     "cannot run: the container has no address of its own on any network"),
    ("a port published on the loopback", inspect(
        ports={"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}), LOOPBACK,
     [("127.0.0.1", 18080)], ""),
    ("a port published on every address", inspect(
        ports={"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}]}), LOOPBACK,
     [("127.0.0.1", 18080)], ""),
    ("a port published elsewhere only", inspect(
        ports={"8080/tcp": [{"HostIp": "192.168.1.5", "HostPort": "18080"}]}), LOOPBACK, [],
     "cannot run: the container publishes no port 18080 on the host's loopback"),
    ("another port published", inspect(
        ports={"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18081"}], "9/tcp": None}),
     LOOPBACK, [], "cannot run: the container publishes no port 18080 on the host's loopback"),
    ("a UDP port is no HTTP port", inspect(
        ports={"8080/udp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}), LOOPBACK, [],
     "cannot run: the container publishes no port 18080 on the host's loopback"),
    ("the loopback is never its own address on a network", inspect(
        networks=TWO_NETWORKS), LOOPBACK, [],
     "cannot run: the container publishes no port 18080 on the host's loopback"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "probe", "where", "why"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_a_probe_connects_only_to_the_container(
    answer: dict[str, Any], probe: Probe, where: list[tuple[str, int]], why: str
) -> None:
    assert addresses(answer, probe) == (where, why)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-12-07T14:36:11.123456789Z", datetime(2026, 12, 7, 14, 36, 11, 123456, timezone.utc)),
        ("2026-12-07T14:36:11Z", datetime(2026, 12, 7, 14, 36, 11, tzinfo=timezone.utc)),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_the_engines_times_are_read_to_the_microsecond(text: Any, moment: Any) -> None:
    assert _time(text) == moment
