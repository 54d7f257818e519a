"""Home Assistant over a real MQTT broker (mosquitto): discovery, state, Install, restarts."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mosquitto import Broker, Listener, require_mosquitto
from tests.support.pki import CertificateAuthority
from watchtower import update
from watchtower.cli.mqtt import MqttBridge, mqtt_settings, object_id
from watchtower.cli.runner import Runner
from watchtower.errors import ConfigurationError
from watchtower.fleet import Fleet
from watchtower.history import MemoryHistory, State
from watchtower.labels import POLICY
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.versions import VERSION

from .support import make_runner

WEB = "example.org/web:1"
CONFIG = "homeassistant/update/watchtower/web/config"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    require_mosquitto()
    found = Broker(tmp_path)
    found.start()
    yield found
    found.stop()


@pytest.fixture
def listener(broker: Broker) -> Iterator[Listener]:
    found = Listener(broker, "homeassistant/#", "watchtower/#")
    yield found
    found.close()


@pytest.fixture
def runner(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> Runner:
    made = make_runner(engine, registry, clock)
    made.history = MemoryHistory(clock=clock)
    return made


@pytest.fixture
def bridge(broker: Broker, runner: Runner) -> Iterator[MqttBridge]:
    settings = mqtt_settings(broker.url)
    assert settings is not None
    made = MqttBridge(settings, runner, logger=logging.getLogger("test.mqtt"))
    runner.add_observer(made.observe)
    runner.on_report = made.publish_report
    made.start()
    yield made
    made.stop()


def pending_web(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    registry.publish(WEB, labels={VERSION: "1.0"})
    engine.run("web", WEB, labels={POLICY: "approve"})
    registry.publish(WEB, labels={VERSION: "1.1"})


def state_of(payload: bytes) -> dict[str, object]:
    found: dict[str, object] = json.loads(payload)
    return found


class TestSettings:
    def test_a_url_gives_the_broker_and_its_login(self) -> None:
        settings = mqtt_settings("mqtts://ha%40home:p%2Fw@broker.lan", " ha/ ")
        assert settings is not None
        assert (settings.host, settings.port, settings.tls) == ("broker.lan", 8883, True)
        assert (settings.username, settings.password) == ("ha@home", "p/w")
        assert settings.discovery_prefix == "ha"
        assert "p/w" not in repr(settings)
        assert mqtt_settings("") is None

    @pytest.mark.parametrize(
        ("url", "prefix", "words"),
        [
            ("http://broker", "homeassistant", "--mqtt takes mqtt://"),
            ("mqtt://u:secret@broker:99999", "homeassistant", "has no usable port"),
            ("mqtt://broker", "a/#", "--mqtt-discovery-prefix 'a/#' is no MQTT topic prefix"),
        ],
    )
    def test_a_bad_url_is_one_sentence_without_the_password(
        self, url: str, prefix: str, words: str
    ) -> None:
        with pytest.raises(ConfigurationError) as caught:
            mqtt_settings(url, prefix)
        assert words in str(caught.value) and "secret" not in str(caught.value)

    def test_without_paho_the_start_stops_with_one_sentence(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("watchtower.cli.mqtt.find_spec", lambda name: None)
        with pytest.raises(ConfigurationError, match="--mqtt needs the 'mqtt' extra"):
            mqtt_settings("mqtt://broker")

    def test_ids_are_topic_safe(self) -> None:
        assert object_id("web.1", "host a") == "host_a_web_1"


def test_each_container_is_discovered_as_an_update_entity_with_its_versions(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    runner: Runner,
    bridge: MqttBridge,
    listener: Listener,
) -> None:
    pending_web(engine, registry)
    assert listener.wait("watchtower/availability") == b"online"
    runner.run()
    config = state_of(listener.wait(CONFIG))
    # As Home Assistant's MQTT update platform reads it.
    assert config["state_topic"] == "watchtower/web/state"
    assert config["command_topic"] == "watchtower/web/install"
    assert config["payload_install"] == "install"
    assert config["availability_topic"] == "watchtower/availability"
    assert config["unique_id"] == "watchtower_web"
    device = config["device"]
    assert isinstance(device, dict) and device["identifiers"] == ["watchtower_web"]
    state = state_of(
        listener.wait("watchtower/web/state", lambda p: state_of(p)["installed_version"])
    )
    assert state == {
        "installed_version": "1.0",
        "latest_version": "1.1",
        "title": WEB,
        "release_url": None,
        "in_progress": False,
    }


def test_an_install_press_approves_and_updates_at_once(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    runner: Runner,
    bridge: MqttBridge,
    listener: Listener,
) -> None:
    pending_web(engine, registry)
    runner.run()
    assert runner.history is not None
    assert runner.history.approvals()[("", "web")].state is State.PENDING
    listener.wait("watchtower/web/state")
    listener.publish("watchtower/web/install", "install")
    listener.wait(
        "watchtower/web/state", lambda p: state_of(p)["installed_version"] == "1.1", timeout=30
    )
    assert engine.container("web").labels[VERSION] == "1.1"
    assert runner.history.approvals()[("", "web")].state is State.APPROVED
    # The state is told as the container is replaced; the run is kept when it ends.
    deadline = time.monotonic() + 10
    while runner.history.runs(limit=1)[0].trigger != "mqtt" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.trigger for r in runner.history.runs(limit=1)] == ["mqtt"]


def test_a_broker_away_never_stops_a_run_and_is_told_everything_when_back(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    runner: Runner,
    bridge: MqttBridge,
    broker: Broker,
) -> None:
    pending_web(engine, registry)
    time.sleep(0.5)  # connected
    broker.stop()
    started = time.monotonic()
    report = runner.run()
    assert report is not None and report.get("web") is not None
    assert time.monotonic() - started < 5
    broker.start()
    listener = Listener(broker, "homeassistant/#", "watchtower/#")
    try:
        # The broker kept nothing (no persistence): the bridge published it all again.
        assert listener.wait("watchtower/availability", timeout=60) == b"online"
        state = state_of(listener.wait("watchtower/web/state", timeout=60))
        assert (state["installed_version"], state["latest_version"]) == ("1.0", "1.1")
        assert listener.wait(CONFIG, timeout=60)
    finally:
        listener.close()


def test_a_bridge_that_drops_is_offline_by_its_last_will(
    broker: Broker, runner: Runner, listener: Listener
) -> None:
    settings = mqtt_settings(broker.url)
    assert settings is not None
    made = MqttBridge(settings, runner, logger=logging.getLogger("test.mqtt"))
    made.start()
    assert listener.wait("watchtower/availability") == b"online"
    made._client.loop_stop()
    made._client.socket().close()  # gone without a word, as a killed process is
    assert listener.wait("watchtower/availability", lambda p: p == b"offline") == b"offline"


def test_an_instance_that_goes_leaves_the_other_online(
    broker: Broker, runner: Runner, listener: Listener
) -> None:
    """A self-update: the successor connects while its predecessor still runs, which then stops."""
    settings = mqtt_settings(broker.url)
    assert settings is not None
    old, new = (
        MqttBridge(settings, runner, logger=logging.getLogger("test.mqtt")) for _ in range(2)
    )
    old.start()
    new.start()
    try:
        assert listener.wait("watchtower/availability") == b"online"
        time.sleep(0.5)
        old.stop()
        deadline = time.monotonic() + 30
        while b"offline" not in listener.seen["watchtower/availability"]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1)
        said = listener.seen["watchtower/availability"]
        assert said[-1] == b"online" and said.index(b"offline") < len(said) - 1
    finally:
        new.stop()


def test_a_bridge_stopped_says_offline(
    runner: Runner, bridge: MqttBridge, listener: Listener
) -> None:
    assert listener.wait("watchtower/availability") == b"online"
    bridge.stop()
    assert listener.wait("watchtower/availability", lambda p: p == b"offline") == b"offline"


def test_an_install_for_nothing_known_is_ignored(
    runner: Runner, bridge: MqttBridge, listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    listener.wait("watchtower/availability")
    with caplog.at_level(logging.WARNING, logger="test.mqtt"):
        listener.publish("watchtower/nothing/install", "install")
        deadline = time.monotonic() + 10
        while "names no container" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "An Install for 'nothing' names no container" in caplog.text


def test_update_is_unaffected_by_a_bridge(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    """The library's update() knows nothing of MQTT."""
    pending_web(engine, registry)
    assert update(engine, registry).get("web") is not None


def test_an_install_updates_the_container_on_its_own_host_only(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
    registry.publish(WEB)
    for engine in engines.values():
        engine.run("web", WEB)
    registry.publish(WEB)
    before = {host: engine.container("web").image_id for host, engine in engines.items()}
    runner = make_runner(engines["a"], registry, clock)
    runner.fleet = Fleet.of(engines)
    settings = mqtt_settings("mqtt://127.0.0.1:9")  # never connected: nothing is published
    assert settings is not None
    bridge = MqttBridge(settings, runner, logger=logging.getLogger("test.mqtt"))
    report = bridge.install("web", "b")
    assert report is not None and [(e.host, e.name) for e in report.updated] == [("b", "web")]
    assert engines["a"].container("web").image_id == before["a"]
    assert engines["b"].container("web").image_id != before["b"]


def test_an_mqtts_broker_of_ones_own_ca_is_trusted_with_mqtt_ca_alone(
    tmp_path: Path, runner: Runner, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    require_mosquitto()
    ca = CertificateAuthority.create(tmp_path / "pki")
    broker = Broker(tmp_path, tls=ca.issue(tmp_path / "pki"))
    broker.start()
    try:
        for ca_file, online in (("", False), (str(ca.cert_path), True)):
            settings = mqtt_settings(broker.url, ca_file=ca_file)
            assert settings is not None and settings.tls
            bridge = MqttBridge(settings, runner, logger=logging.getLogger("test.mqtt"))
            bridge.start()
            deadline = time.monotonic() + (10 if online else 2)
            while not bridge._connected and time.monotonic() < deadline:
                time.sleep(0.05)
            connected = bridge._connected
            bridge.stop()
            assert connected is online  # the system's trust alone refuses this broker
    finally:
        broker.stop()


@pytest.mark.parametrize(
    ("url", "ca_file", "words"),
    [
        ("mqtt://broker", "/etc/hostname", "--mqtt-ca is for a broker spoken to with TLS"),
        ("mqtts://broker", "/no/such/ca.pem", "--mqtt-ca '/no/such/ca.pem' is no readable PEM"),
        ("mqtts://broker", "/etc/hostname", "--mqtt-ca '/etc/hostname' is no readable PEM"),
    ],
)
def test_an_unusable_mqtt_ca_is_one_sentence(url: str, ca_file: str, words: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{re.escape(words)}"):
        mqtt_settings(url, ca_file=ca_file)
