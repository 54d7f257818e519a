"""A real MQTT broker for the tests: Debian's mosquitto on a loopback port, stopped and started."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import dockerd as dockerd_support
from tests.support.net import free_port, wait_for_port


def require_mosquitto() -> None:
    """Skip without Debian's mosquitto, or fail where the end-to-end tests must run."""
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        if dockerd_support.required():
            pytest.fail("the MQTT tests must run here, but mosquitto is not installed")
        pytest.skip("mosquitto is not installed")


class Broker:
    """mosquitto on 127.0.0.1:``port`` (anonymous), which a test may stop and start again."""

    def __init__(self, directory: Path, tls: tuple[Path, Path] | None = None) -> None:
        """``tls``: the broker's certificate and key files, for an ``mqtts`` listener."""
        self.port = free_port()
        self.tls = tls is not None
        self.config = directory / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence false",
            # As root, mosquitto would become the user mosquitto, who cannot read the test's files.
            f"user {getpass.getuser()}",
        ]
        if tls is not None:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


class Listener:
    """A paho client subscribed to ``topics``, keeping the last payload of each topic."""

    def __init__(self, broker: Broker, *topics: str) -> None:
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: dict[str, bytes] = {}
        self.seen: dict[str, list[bytes]] = {}
        self.changed = threading.Condition()
        self.client = Client(CallbackAPIVersion.VERSION2)

        def on_connect(client: Any, *_: Any) -> None:
            for topic in topics:
                client.subscribe(topic, qos=1)

        def on_message(_client: Any, _data: Any, message: Any) -> None:
            with self.changed:
                self.messages[message.topic] = message.payload
                self.seen.setdefault(message.topic, []).append(message.payload)
                self.changed.notify_all()

        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def wait(self, topic: str, test: Any = lambda payload: True, timeout: float = 30) -> bytes:
        """The payload of ``topic`` once one passes ``test``."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not (topic in self.messages and test(self.messages[topic])):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{topic}: {self.messages.get(topic)!r} after {timeout}s")
                self.changed.wait(left)
            return self.messages[topic]

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
