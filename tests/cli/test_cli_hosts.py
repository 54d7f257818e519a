"""The hosts file and the runs over its engines, on the in-memory backends."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from watchtower import UpdateParams
from watchtower.cli.api import create_app
from watchtower.cli.api_settings import ApiSettings
from watchtower.cli.config import load
from watchtower.cli.hosts import HostEntry, parse_hosts_file, run_function
from watchtower.cli.metrics import Metrics
from watchtower.cli.runner import Runner
from watchtower.errors import ConfigurationError, EngineError
from watchtower.report import Outcome
from watchtower.testing import MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a unix:///run/a.sock", (HostEntry("a", "unix:///run/a.sock"),)),
        (
            "# engines\n\nb tcp://10.0.0.2:2376 tlsverify cert-path=/certs/b  # remote\n"
            "m tcp://10.0.0.3:2375 swarm\n",
            (
                HostEntry("b", "tcp://10.0.0.2:2376", tls_verify=True, cert_path="/certs/b"),
                HostEntry("m", "tcp://10.0.0.3:2375", swarm=True),
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


def test_a_run_covers_every_host_and_reports_one_that_is_down(
    registry: MemoryRegistry,
) -> None:
    registry.publish(WEB)
    engines = {"unix:///a.sock": Closable(registry), "unix:///b.sock": Closable(registry)}
    for engine in engines.values():
        engine.run("web", WEB)
    registry.publish(WEB)

    def connect(environment: Mapping[str, str]) -> Closable:
        url = environment["DOCKER_HOST"]
        if url not in engines:
            raise EngineError(f"Could not connect to the Docker engine at {url}: refused.")
        return engines[url]

    hosts = parse_hosts_file("a unix:///a.sock\nb unix:///b.sock\ndown unix:///down.sock")
    run = run_function(hosts, environ={}, connect=connect)  # type: ignore[arg-type]
    runner = Runner(
        MemoryEngine(registry),  # the engine watchtower itself runs on: not scanned
        registry,
        UpdateParams(),
        metrics=Metrics(),
        logger=logging.getLogger("test"),
        run=run,
    )

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
