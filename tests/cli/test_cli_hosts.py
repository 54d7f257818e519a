"""The hosts file and the runs over its engines, on the in-memory backends."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from watchtower import UpdateParams, labels
from watchtower.cli.api import create_app
from watchtower.cli.api_settings import ApiSettings
from watchtower.cli.config import load
from watchtower.cli.hosts import HostEntry, fleet_of, parse_hosts_file
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.errors import ConfigurationError, EngineError
from watchtower.fleet import Fleet, Host
from watchtower.push import parse_generic
from watchtower.report import Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry, MemorySwarm

WEB = "example.org/web:1"
DB = "example.org/db:1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a unix:///run/a.sock", (HostEntry("a", "unix:///run/a.sock"),)),
        (
            "# engines\n\nb tcp://10.0.0.2:2376 tlsverify cert-path=/certs/b  # remote\n"
            "m tcp://10.0.0.3:2375 swarm\nc unix:///run/c.sock canary\n",
            (
                HostEntry("b", "tcp://10.0.0.2:2376", tls_verify=True, cert_path="/certs/b"),
                HostEntry("m", "tcp://10.0.0.3:2375", swarm=True),
                HostEntry("c", "unix:///run/c.sock", canary=True),
            ),
        ),
    ],
)
def test_a_hosts_file_lists_engines_with_their_tls_settings(
    text: str, expected: tuple[HostEntry, ...]
) -> None:
    assert parse_hosts_file(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the hosts file lists no host."),
        ("a\n", "the hosts file, line 1 names no address"),
        ("a 10.0.0.1:2376", "'10.0.0.1:2376' is no engine address"),
        ("a unix:///a.sock\na unix:///b.sock", "line 2 names the host 'a' again"),
        ("a unix:///a.sock tls", "'tls' is not an option"),
        ("a unix:///a.sock cert-path=", "'cert-path=' is not an option"),
        ("a unix:///a.sock canary=yes", "'canary=yes' is not an option"),
    ],
)
def test_a_malformed_hosts_file_is_one_sentence_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        parse_hosts_file(text)


def test_each_host_gets_its_own_engine_variables() -> None:
    entry = HostEntry("b", "tcp://10.0.0.2:2376", tls_verify=True, cert_path="/certs/b")
    env = entry.environment(
        {"DOCKER_HOST": "unix:///x", "DOCKER_CERT_PATH": "/other", "DOCKER_CONFIG": "/cfg"}
    )
    assert env == {
        "DOCKER_HOST": "tcp://10.0.0.2:2376",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": "/certs/b",
        "DOCKER_CONFIG": "/cfg",
    }
    assert "DOCKER_TLS_VERIFY" not in HostEntry("a", "unix:///a").environment(
        {"DOCKER_TLS_VERIFY": "1"}
    )


def test_the_command_line_reads_the_hosts_file(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_text("a unix:///run/a.sock swarm\n")
    config = load(["--hosts-file", str(path), "--swarm-services"], {})
    assert config.hosts == (HostEntry("a", "unix:///run/a.sock", swarm=True),)
    assert config.swarm_services
    assert load([], {"WATCHTOWER_HOSTS_FILE": str(path)}).hosts == config.hosts
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load(["--hosts-file", str(tmp_path / "missing")], {})


class Closable(MemoryEngine):
    closed = False

    def close(self) -> None:
        self.closed = True


def _fleet(
    registry: MemoryRegistry, text: str, **options: Any
) -> tuple[dict[str, Closable], Fleet]:
    """Engines at the addresses of the hosts file ``text`` (but ``down``), and their fleet."""
    hosts = parse_hosts_file(text)
    engines = {h.url: Closable(registry) for h in hosts if h.name != "down"}

    def connect(environment: Mapping[str, str]) -> Closable:
        url = environment["DOCKER_HOST"]
        if url not in engines:
            raise EngineError(f"Could not connect to the Docker engine at {url}: refused.")
        return engines[url]

    fleet = fleet_of(hosts, environ={}, home=None, connect=connect, **options)  # type: ignore[arg-type]
    return engines, fleet


def _runner(registry: MemoryRegistry, fleet: Fleet, clock: FixedClock) -> Runner:
    return Runner(
        fleet,
        registry,
        UpdateParams(),
        metrics=Metrics(),
        logger=logging.getLogger("t"),
        clock=clock,
    )


def test_a_run_covers_every_host_and_reports_one_that_is_down(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines, fleet = _fleet(registry, "a unix:///a.sock\nb unix:///b.sock\ndown unix:///down.sock")
    registry.publish(WEB)
    for engine in engines.values():
        engine.run("web", WEB)
    registry.publish(WEB)
    runner = _runner(registry, fleet, clock)

    report = runner.run()

    assert report is not None
    assert sorted((e.host, e.name, e.outcome) for e in report) == [
        ("a", "web", Outcome.UPDATED),
        ("b", "web", Outcome.UPDATED),
        ("down", "down", Outcome.FAILED),
    ]
    assert "refused" in report.failed[0].reason
    assert registry.digest_requests == 1
    assert all(engine.closed for engine in engines.values())
    assert runner.metrics.value("watchtower_containers_updated") == 2
    text = runner.metrics.exposition()[0].decode()
    assert "watchtower_containers_updated 2.0" in text
    assert 'watchtower_containers_updated{host="a"} 1.0' in text
    assert 'watchtower_containers_failed{host="down"} 1.0' in text
    assert 'watchtower_containers_failed{host="a"} 0.0' in text
    # The API answers per host and in total.
    status = _status(runner)
    assert status["summary"]["updated"] == 2
    assert status["hosts"]["a"]["updated"] == status["hosts"]["b"]["updated"] == 1
    assert status["hosts"]["down"]["failed"] == 1


def test_a_canary_host_of_the_hosts_file_gets_a_new_image_first(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines, fleet = _fleet(registry, "a unix:///a.sock\nc unix:///c.sock canary")
    assert [host.canary for host in fleet.hosts] == [False, True]
    registry.publish(WEB)
    for engine in engines.values():
        engine.run("web", WEB)
    registry.publish(WEB)

    report = _runner(registry, fleet, clock).run()

    assert report is not None
    assert sorted((e.host, e.outcome) for e in report) == [
        ("a", Outcome.SKIPPED),
        ("c", Outcome.UPDATED),
    ]
    (waiting,) = [e for e in report if e.host == "a"]
    assert "waits for the canaries" in waiting.reason


def test_the_api_lists_and_checks_every_host_each_entry_naming_it(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines, fleet = _fleet(registry, "a unix:///a.sock\nb unix:///b.sock\ndown unix:///down.sock")
    a, b = engines.values()
    registry.publish(WEB)
    registry.publish(DB)
    a.run("web", WEB)
    b.run("web", WEB)
    b.run("db", DB)
    registry.publish(DB)  # db is stale on b
    settings = ApiSettings(endpoints=frozenset({"check", "containers", "images"}), token="t")
    api = create_app(_runner(registry, fleet, clock), settings).test_client()
    auth = {"Authorization": "Bearer t"}

    listed = api.get("/v1/containers", headers=auth).json["containers"]
    assert sorted((c["host"], c["name"]) for c in listed) == [
        ("a", "web"),
        ("b", "db"),
        ("b", "web"),
    ]
    only_b = api.get("/v1/containers?host=b", headers=auth).json["containers"]
    assert {c["host"] for c in only_b} == {"b"}
    images = api.get("/v1/images", headers=auth).json["images"]
    assert sorted((i["host"], i["name"], i["containers"]) for i in images) == [
        ("a", "example.org/web:1", 1),
        ("b", "example.org/db:1", 1),
        ("b", "example.org/web:1", 1),
    ]

    digests_before = registry.digest_requests
    checked = api.post("/v1/check", headers=auth).json["containers"]
    assert registry.digest_requests - digests_before == 2  # web and db, once for both hosts
    found = {(c["host"], c["name"]): c for c in checked}
    assert found["b", "db"]["update_available"] is True
    assert found["a", "web"]["update_available"] is found["b", "web"]["update_available"] is False
    assert "Could not connect" in found["down", ""]["error"]
    details = api.get("/v1/containers/details", headers=auth).json["containers"]
    statuses = {(d["host"], d["name"]): d["status"] for d in details}
    assert statuses == {("a", "web"): "fresh", ("b", "db"): "stale", ("b", "web"): "fresh"}


def test_a_push_updates_the_pushed_image_on_every_host_and_asks_for_no_other(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines, fleet = _fleet(registry, "a unix:///a.sock\nb unix:///b.sock")
    registry.publish(WEB)
    registry.publish(DB)
    for engine in engines.values():
        engine.run("web", WEB)
        engine.run("db", DB)
    registry.publish(WEB)
    registry.publish(DB)
    runner = _runner(registry, fleet, clock)
    events = parse_generic({"repository": "example.org/web", "tag": "1"}, received=clock())

    report = runner.run_pushed(events)

    assert report is not None and report.trigger == "push"
    assert sorted((e.host, e.name, e.outcome) for e in report) == [
        ("a", "web", Outcome.UPDATED),
        ("b", "web", Outcome.UPDATED),
    ]
    assert registry.digest_requests == 1  # web's, once; db is never asked for
    nothing = parse_generic({"repository": "example.org/other", "tag": "1"}, received=clock())
    assert runner.run_pushed(nothing) is None


def test_services_are_listed_checked_and_pushed_beside_the_containers_of_their_host(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    a, manager = MemoryEngine(registry), MemoryEngine(registry)
    swarm = MemorySwarm(registry, manager)
    registry.publish(WEB)
    registry.publish(DB)
    a.run("web", WEB)
    swarm.create("svc", WEB, replicas=2)
    swarm.create("other", DB)
    registry.publish(WEB)
    fleet = Fleet((Host.of("a", a), Host.of("manager", manager, swarm)))
    runner = _runner(registry, fleet, clock)
    settings = ApiSettings(endpoints=frozenset({"check", "containers"}), token="t")
    api = create_app(runner, settings).test_client()
    auth = {"Authorization": "Bearer t"}

    listed = api.get("/v1/containers", headers=auth).json["containers"]
    assert sorted((c["host"], c["name"], c.get("kind", "")) for c in listed) == [
        ("a", "web", ""),
        ("manager", "other", "service"),
        ("manager", "svc", "service"),
    ]
    checked = api.post("/v1/check", headers=auth).json["containers"]
    stale = {(c["host"], c["name"]) for c in checked if c["update_available"]}
    assert stale == {("a", "web"), ("manager", "svc")}

    events = parse_generic({"repository": "example.org/web", "tag": "1"}, received=clock())
    report = runner.run_pushed(events)
    assert report is not None
    assert sorted((e.host, e.name, e.kind, e.outcome) for e in report) == [
        ("a", "web", "container", Outcome.UPDATED),
        ("manager", "svc", "service", Outcome.UPDATED),
    ]
    assert [name for name, _ in swarm.updates] == ["svc"]  # "other" follows another image


def test_self_update_applies_only_on_the_host_its_own_container_runs_on(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines, fleet = _fleet(registry, "a unix:///a.sock\nb unix:///b.sock", own_host="a")
    watchtower = "example.org/watchtower:1"
    registry.publish(watchtower)
    for engine in engines.values():
        engine.run("watchtower", watchtower, labels={labels.WATCHTOWER: "true"})
    registry.publish(watchtower)

    report = _runner(registry, fleet, clock).run()

    assert report is not None
    outcomes = {(e.host, e.name): e.outcome for e in report}
    assert outcomes["a", "watchtower"] is Outcome.UPDATED
    assert outcomes["b", "watchtower"] is Outcome.STALE
    # Not a one-time run: the reason claims no cause.
    elsewhere = next(e for e in report if (e.host, e.name) == ("b", "watchtower"))
    assert elsewhere.reason == "self-update is off: watchtower's own container is not replaced"


def test_a_fleet_needs_an_engine() -> None:
    with pytest.raises(ConfigurationError, match="no --host and no hosts file"):
        fleet_of((), environ={}, home=None)


def _status(runner: Runner) -> dict[str, Any]:
    settings = ApiSettings(endpoints=frozenset({"metrics"}), token="t")
    api = create_app(runner, settings).test_client()
    answer: dict[str, Any] = api.get("/v1/status", headers={"Authorization": "Bearer t"}).json
    return answer


def test_a_one_engine_run_has_no_host_label() -> None:
    registry = MemoryRegistry()
    registry.publish(WEB)
    engine = MemoryEngine(registry)
    engine.run("web", WEB)
    metrics = Metrics()
    runner = Runner(engine, registry, UpdateParams(), metrics=metrics, logger=logging.getLogger())
    runner.run()
    assert metrics.hosts == {}
    assert "host=" not in metrics.exposition()[0].decode()
    assert "hosts" not in _status(runner)
