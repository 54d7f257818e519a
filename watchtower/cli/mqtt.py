"""Home Assistant over MQTT: each watched container an ``update`` entity with an Install button.

With ``--mqtt URL`` (``mqtt://[user:password@]host[:port]``, or ``mqtts://``
for TLS with the system's trust), the daemon connects to that broker with
paho-mqtt and publishes, retained, for each container a run reports:

- an MQTT discovery config at ``<prefix>/update/watchtower/<id>/config``
  (``--mqtt-discovery-prefix``, ``homeassistant`` by default), as Home
  Assistant's MQTT ``update`` platform reads it: ``state_topic``,
  ``command_topic`` with ``payload_install``, the availability topic and
  the device;
- its state on ``watchtower/<id>/state``: a JSON object with
  ``installed_version``, ``latest_version``, ``title``, ``release_url`` and
  ``in_progress``, published as the run's events happen and after each run.

``watchtower/availability`` says ``online`` while the daemon is connected,
and the broker says ``offline`` (the connection's last will) when it is not.
An ``install`` on a container's command topic approves the update it waits
for, if any (see :mod:`watchtower.approvals`), and runs an update of that
container at once, as ``POST /v1/approvals/<name>/approve`` does. The
connection is paho's own loop, which reconnects on its own: a broker that
is down or goes away never stops or slows a run, and what was published is
published again once it is back.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
from collections.abc import Mapping
from importlib.util import find_spec
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import attrs
from attrs import frozen

from .._version import __version__
from ..errors import ApprovalError, ConfigurationError, MissingExtraError, WatchtowerError
from ..events import Event, Failed, RolledBack, Stopping, UpdateAvailable, Updated
from ..report import EntryKind, Outcome, Report
from .runner import Runner

__all__ = ["TRIGGER", "MqttBridge", "MqttSettings", "mqtt_settings"]

#: The trigger of the run an Install press starts, in its report and the history.
TRIGGER = "mqtt"

#: The topics' root: ``watchtower/availability``, ``watchtower/<id>/state`` ...
ROOT = "watchtower"

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@frozen
class MqttSettings:
    """Where the Home Assistant entities are published (``--mqtt``).

    Attributes:
        host: The broker's host.
        port: Its port (1883, 8883 with TLS, unless the URL says).
        tls: Connect with TLS, checking the broker's certificate.
        username: The user, empty for none.
        password: The password, empty for none.
        discovery_prefix: Home Assistant's discovery prefix.
        ca_file: A CA file trusted besides the system's (``--mqtt-ca``), or empty.
    """

    host: str
    port: int = 1883
    tls: bool = False
    username: str = ""
    password: str = attrs.field(default="", repr=False)
    discovery_prefix: str = "homeassistant"
    ca_file: str = ""

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context of an ``mqtts`` connection: the system's trust and ``ca_file``'s.

        Raises:
            ConfigurationError: ``ca_file`` is no readable PEM file of certificates.
        """
        context = ssl.create_default_context()
        if self.ca_file:
            try:
                context.load_verify_locations(self.ca_file)
            except (OSError, ssl.SSLError) as error:
                reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
                raise ConfigurationError(
                    f"--mqtt-ca {self.ca_file!r} is no readable PEM file of CA certificates "
                    f"({reason})."
                ) from None
        return context


def mqtt_settings(
    url: str, discovery_prefix: str = "homeassistant", ca_file: str = ""
) -> MqttSettings | None:
    """The settings of ``--mqtt URL``; ``None`` when it is empty.

    Raises:
        ConfigurationError: No ``mqtt://`` or ``mqtts://`` URL with a host, a bad
            port or prefix, a CA file without ``mqtts`` or unreadable, or
            paho-mqtt (the ``mqtt`` extra) is not installed.
    """
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigurationError(
            f"--mqtt takes mqtt://[user:password@]host[:port] or mqtts://..., not {_shown(url)!r}."
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"--mqtt {_shown(url)!r} has no usable port.") from None
    prefix = discovery_prefix.strip().strip("/")
    if not prefix or "+" in prefix or "#" in prefix:
        raise ConfigurationError(
            f"--mqtt-discovery-prefix {discovery_prefix!r} is no MQTT topic prefix."
        )
    if find_spec("paho") is None:
        raise ConfigurationError(
            "--mqtt needs the 'mqtt' extra, which is not installed: "
            "pip install 'watchtower-updater[cli,mqtt]'."
        )
    tls = parts.scheme == "mqtts"
    ca_file = ca_file.strip()
    if ca_file and not tls:
        raise ConfigurationError("--mqtt-ca is for a broker spoken to with TLS (mqtts://).")
    settings = MqttSettings(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        discovery_prefix=prefix,
        ca_file=ca_file,
    )
    if tls:
        settings.tls_context()  # an unreadable CA file is said at start
    return settings


def _shown(url: str) -> str:
    """``url`` without its password, to be shown."""
    parts = urlsplit(url)
    if parts.password is None:
        return url[:200]
    return url.replace(f":{parts.password}@", ":***@", 1)[:200]


def object_id(name: str, host: str = "") -> str:
    """A container's id in the topics and Home Assistant: ``[host_]name``, topic-safe."""
    return _UNSAFE.sub("_", f"{host}_{name}" if host else name)


@frozen
class _State:
    """What Home Assistant is told of one container."""

    name: str
    host: str = ""
    image: str = ""
    installed: str = ""
    latest: str = ""
    notes: str = ""
    in_progress: bool = False

    def payload(self) -> dict[str, Any]:
        where = f" on {self.host}" if self.host else ""
        return {
            "installed_version": self.installed or None,
            "latest_version": self.latest or self.installed or None,
            "title": f"{self.image}{where}" if self.image else None,
            "release_url": self.notes or None,
            "in_progress": self.in_progress,
        }


class MqttBridge:
    """The daemon's containers as Home Assistant ``update`` entities, and their Install buttons.

    Args:
        settings: The broker and the discovery prefix.
        runner: Runs the updates an Install press asks for; its history
            keeps the approvals.
        logger: Where the connection's troubles are told.
        client: A paho-mqtt client to use (tests); one is made by default.
    """

    def __init__(
        self,
        settings: MqttSettings,
        runner: Runner,
        *,
        logger: logging.Logger,
        client: Any = None,
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.logger = logger
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], _State] = {}
        self._client = client if client is not None else self._make_client()
        self._connected = False
        self._stopping = False

    # The connection ------------------------------------------------------------

    def _make_client(self) -> Any:
        try:
            from paho.mqtt.client import Client
            from paho.mqtt.enums import CallbackAPIVersion
        except ImportError as error:
            raise MissingExtraError.for_extra("--mqtt", "mqtt", error) from error

        # An id of its own: a self-update's successor connects while this one still runs.
        client = Client(CallbackAPIVersion.VERSION2, client_id=f"watchtower-{uuid4().hex[:16]}")
        if self.settings.username:
            client.username_pw_set(self.settings.username, self.settings.password or None)
        if self.settings.tls:
            client.tls_set_context(self.settings.tls_context())
        client.will_set(f"{ROOT}/availability", "offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Connect in the background; paho's loop reconnects whenever the broker is back."""
        self._client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        """Say ``offline`` and disconnect."""
        self._stopping = True
        try:
            if self._connected:
                self._client.publish(f"{ROOT}/availability", "offline", qos=1, retain=True)
            self._client.disconnect()
        finally:
            self._client.loop_stop()

    def _on_connect(self, client: Any, _data: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            self.logger.warning("The MQTT broker refused the connection: %s", reason)
            return
        self._connected = True
        self.logger.info(
            "Connected to the MQTT broker %s:%d", self.settings.host, self.settings.port
        )
        client.subscribe([(f"{ROOT}/+/install", 1), (f"{ROOT}/availability", 1)])
        client.publish(f"{ROOT}/availability", "online", qos=1, retain=True)
        with self._lock:
            states = list(self._states.values())
        for state in states:  # what it missed while away
            self._announce(state)

    def _on_disconnect(self, *_: Any) -> None:
        if self._connected:
            self.logger.warning("Lost the MQTT broker; reconnecting in the background")
        self._connected = False

    def _publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        # Never raises, never waits: a broker away is told once, by _on_disconnect.
        try:
            self._client.publish(topic, json.dumps(payload), qos=1, retain=True)
        except Exception as error:
            self.logger.debug("Not published to %s: %s", topic, error)

    # What is published ---------------------------------------------------------

    def discovery(self, state: _State) -> dict[str, Any]:
        """The discovery config of one container's ``update`` entity."""
        key = object_id(state.name, state.host)
        where = f" ({state.host})" if state.host else ""
        return {
            "name": None,
            "unique_id": f"watchtower_{key}",
            "object_id": f"watchtower_{key}",
            "state_topic": f"{ROOT}/{key}/state",
            "command_topic": f"{ROOT}/{key}/install",
            "payload_install": "install",
            "availability_topic": f"{ROOT}/availability",
            "device": {
                "identifiers": [f"watchtower_{key}"],
                "name": f"{state.name}{where}",
                "manufacturer": "watchtower",
                "model": state.image or "container",
                "sw_version": __version__,
            },
        }

    def _announce(self, state: _State) -> None:
        key = object_id(state.name, state.host)
        prefix = self.settings.discovery_prefix
        self._publish(f"{prefix}/update/{ROOT}/{key}/config", self.discovery(state))
        self._publish(f"{ROOT}/{key}/state", state.payload())

    def _note(self, name: str, host: str, **changes: Any) -> None:
        with self._lock:
            state = self._states.get((host, name)) or _State(name=name, host=host)
            state = attrs.evolve(state, **changes)
            self._states[(host, name)] = state
        self._announce(state)

    def observe(self, event: Event) -> None:
        """Publish what ``event`` changes, as it happens (a runner's observer)."""
        if not event.container:
            return
        # A version only digests tell apart is named by the run's report, at its end.
        if isinstance(event, UpdateAvailable):
            known = {"installed": event.old_version, "latest": event.new_version}
            versions = {key: value for key, value in known.items() if value}
            self._note(
                event.container, event.host, image=event.image, notes=event.notes, **versions
            )
        elif isinstance(event, Stopping):
            self._note(event.container, event.host, in_progress=True)
        elif isinstance(event, Updated) and not event.restart_only:
            new = event.new_version
            both = {"installed": new, "latest": new} if new else {}
            self._note(event.container, event.host, in_progress=False, **both)
        elif (
            isinstance(event, (Failed, RolledBack))
            and (event.host, event.container) in self._states
        ):
            self._note(event.container, event.host, in_progress=False)

    def publish_report(self, report: Report) -> None:
        """Publish every container of a finished run: installed and latest versions."""
        for entry in report.entries:
            if entry.kind is not EntryKind.CONTAINER:
                continue
            old, new = entry.versions
            installed = new if entry.outcome is Outcome.UPDATED else old
            latest = new or installed
            self._note(
                entry.name,
                entry.host,
                image=entry.image,
                installed=installed,
                latest=latest,
                notes=entry.notes,
                in_progress=False,
            )

    # The Install button --------------------------------------------------------

    def _on_message(self, client: Any, _data: Any, message: Any) -> None:
        payload = message.payload.decode("utf-8", "replace").strip()
        if message.topic == f"{ROOT}/availability":
            # Another instance that went (a self-update's predecessor, its last
            # will) speaks for all: this one, still here, says so again.
            if payload == "offline" and self._connected and not self._stopping:
                client.publish(f"{ROOT}/availability", "online", qos=1, retain=True)
            return
        key = message.topic.split("/")[1] if message.topic.count("/") == 2 else ""
        if payload != "install":
            return
        with self._lock:
            found = next(
                (s for s in self._states.values() if object_id(s.name, s.host) == key), None
            )
        if found is None:
            self.logger.warning("An Install for %r names no container", key[:80])
            return
        # Not on paho's thread: a run takes long, and the connection must go on.
        threading.Thread(
            target=self.install, args=(found.name, found.host), name="watchtower-mqtt", daemon=True
        ).start()

    def install(self, name: str, host: str = "") -> Report | None:
        """An Install press: approve the update ``name`` waits for, then run it on ``host``."""
        history = self.runner.history
        if history is not None:
            try:
                history.decide(name, host, True)
            except ApprovalError:
                pass  # nothing waits for approval: the run updates it if its policy lets it
            except WatchtowerError as error:
                self.logger.error("The approval of %s could not be kept: %s", name, error)
        self._note(name, host, in_progress=True)
        params = self.runner.params.only([name])
        report = self.runner.run(params, wait=True, trigger=TRIGGER, host=host)
        if report is None:
            self._note(name, host, in_progress=False)
        else:
            self.publish_report(report)
        return report
