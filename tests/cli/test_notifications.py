"""Watchtower's notification flags become settings, and the command line sends with them."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest

from tests.support.receivers import WebhookReceiver
from watchtower.cli.command import EXIT_USAGE, main, serve
from watchtower.cli.config import load
from watchtower.cli.notifications import settings_from_flags, start
from watchtower.model import short_id
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import WEB

EMAIL = {
    "notification_email_server": "mail.example.test",
    "notification_email_from": "wt@example.test",
    "notification_email_to": "ops@example.test",
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as running:
        yield running


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {},
            {
                "urls": (),
                "level": logging.INFO,
                "host": "box",
                "title_tag": "",
                "skip_title": False,
                "delay": 0.0,
                "template": "default-legacy",
            },
        ),
        ({"notification_report": True}, {"template": "default"}),
        (
            {"notification_template": "json.v1", "notification_report": True},
            {"template": "json.v1"},
        ),
        (
            {"notifications_level": "Warn", "notifications_hostname": "node1"},
            {"level": logging.WARNING, "host": "node1"},
        ),
        ({"notification_email_subjecttag": "old"}, {"title_tag": "old"}),
        (
            {
                "notification_email_subjecttag": "old",
                "notification_title_tag": "new",
                "notification_skip_title": True,
            },
            {"title_tag": "new", "skip_title": True},
        ),
        ({"notifications_delay": 7, "notification_email_delay": 3}, {"delay": 7.0}),
        (
            {
                **EMAIL,
                "notifications": "email",
                "notifications_delay": 7,
                "notification_email_delay": 3,
            },
            {
                "delay": 3.0,
                "urls": (
                    "smtp://mail.example.test:25/?fromaddress=wt%40example.test"
                    "&toaddresses=ops%40example.test&fromname=Watchtower"
                    "&auth=None",
                ),
            },
        ),
        (
            {
                "notification_url": ["logger://"],
                "notifications": ["gotify"],
                "notification_gotify_url": "https://gotify.example.test",
                "notification_gotify_token": "tok",
            },
            {"urls": ("logger://", "gotify://gotify.example.test/tok")},
        ),
    ],
)
def test_flags_become_settings(values: dict, expected: dict) -> None:
    settings = settings_from_flags(values, hostname_default="box")
    assert settings.template is not None
    found = {
        key: settings.template.name if key == "template" else getattr(settings, key)
        for key in expected
    }
    assert found == expected


def test_a_run_sends_the_startup_message_then_its_report_with_its_log_lines(
    receiver: WebhookReceiver, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    config = load(
        [
            "--run-once",
            "--notification-url",
            f"generic+{receiver.url}/hook",
            "--notification-template",
            "json.v1",
            "--notifications-hostname",
            "node1",
        ],
        {},
    )
    logger = logging.getLogger("tests.cli.notifications")
    logger.setLevel(logging.INFO)
    notifications, collector = start(config.notifications, logger)
    try:
        code = serve(
            config,
            engine,
            registry,
            logger=logger,
            stop=threading.Event(),
            notifications=notifications,
            collect_entries=collector.drain,
            clock=clock,
        )
    finally:
        logger.removeHandler(collector)

    assert code == 0
    startup, run = (r.body.decode() for r in receiver.requests)
    assert "Using notifications: generic" in startup.splitlines()
    document = json.loads(run)
    assert (document["title"], document["host"]) == ("Watchtower updates on node1", "node1")
    assert [c["name"] for c in document["report"]["updated"]] == ["web"]
    assert {"message": "Found new image", "container": "web"} in [
        {"message": e["message"], "container": e["data"].get("container")}
        for e in document["entries"]
    ]
    assert notifications.failures == 0


def _run_once(
    flags: list[str], engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> str:
    """Run once with ``flags`` and return the id of the container that was replaced."""
    registry.publish(WEB)
    engine.run("web", WEB)
    old_id = engine.container("web").id
    registry.publish(WEB)
    config = load(["--run-once", *flags], {})
    logger = logging.getLogger("tests.cli.notifications.wording")
    logger.setLevel(logging.INFO)
    notifications, collector = start(config.notifications, logger)
    try:
        code = serve(
            config,
            engine,
            registry,
            logger=logger,
            stop=threading.Event(),
            notifications=notifications,
            collect_entries=collector.drain,
            clock=clock,
        )
    finally:
        logger.removeHandler(collector)
    assert code == 0
    return old_id


def test_the_legacy_template_reads_a_run_in_watchtower_words(
    receiver: WebhookReceiver, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    url = f"generic+{receiver.url}/hook"
    old_id = _run_once(["--notification-url", url], engine, registry, clock)
    web = engine.container("web")
    lines = receiver.requests[-1].body.decode().splitlines()
    assert lines == [
        f"Found new image: {WEB} ({short_id(web.image_id)})",
        f"Stopped stale container: web ({short_id(old_id)})",
        f"Started new container: web ({short_id(web.id)})",
    ]
    assert "|" not in "".join(lines)


def test_a_go_template_from_the_command_line(
    receiver: WebhookReceiver, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    template = '{{range .}}{{.Message | ToUpper}}: {{index .Data "container"}}{{println}}{{end}}'
    flags = ["--notification-url", f"generic+{receiver.url}/hook"]
    _run_once([*flags, "--notification-template", template], engine, registry, clock)
    assert receiver.requests[-1].body.decode().splitlines() == [
        "FOUND NEW IMAGE: web",
        "STOPPING CONTAINER: web",
        "STARTED NEW CONTAINER: web",
    ]


def test_a_go_report_template_from_the_command_line(
    receiver: WebhookReceiver, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    template = (
        "{{with .Report}}{{len .Updated}} updated:"
        "{{range .Updated}} {{.Name}} {{.LatestImageID.ShortID}}{{end}}{{end}}"
    )
    flags = ["--notification-url", f"generic+{receiver.url}/hook", "--notification-report"]
    _run_once([*flags, "--notification-template", template], engine, registry, clock)
    image = short_id(engine.container("web").image_id)
    assert receiver.requests[-1].body.decode() == f"1 updated: web {image}"


@pytest.fixture
def cli_logger_restored() -> Iterator[None]:
    """main() sets up the ``watchtower`` logger for the process; undo it after the test."""
    logger = logging.getLogger("watchtower")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    yield
    logger.handlers[:] = handlers
    logger.propagate = propagate
    logger.setLevel(level)


@pytest.mark.usefixtures("cli_logger_restored")
def test_a_bad_notification_url_stops_the_command_before_the_engine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "--notification-url",
            "pagerduty://events.pagerduty.com/key",
            "--host",
            "unix:///nonexistent/docker.sock",
        ],
        {},
    )
    assert code == EXIT_USAGE
    error = capsys.readouterr().err
    assert error.startswith("watchtower: The notification URL pagerduty://events.pagerduty.com/")
    assert error.count("\n") == 1 and error.endswith(".\n")
