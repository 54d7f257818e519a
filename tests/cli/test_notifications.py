"""Watchtower's notification flags become settings, and the command line sends with them."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator

import jinja2
import pytest

from tests.support.receivers import WebhookReceiver
from watchtower.cli.command import EXIT_USAGE, main, serve
from watchtower.cli.config import load
from watchtower.cli.notifications import settings_from_flags, start
from watchtower.cli.values import default_notification_flags
from watchtower.errors import ConfigurationError
from watchtower.notify import Template, _templates
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
    startup, run = (r.json() for r in receiver.requests)
    assert startup["report"] is None
    assert "Using notifications: webhook" in startup["message"].splitlines()
    document = json.loads(run["message"])
    assert (document["title"], document["host"]) == ("Watchtower updates on node1", "node1")
    assert [c["name"] for c in document["report"]["updated"]] == ["web"]
    assert {"message": "Updated container web", "container": "web"} in [
        {"message": e["message"], "container": e["data"].get("container")}
        for e in document["entries"]
    ]
    assert notifications.failures == 0


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


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 1/0 }}", "division by zero"),
        ("{{ report.nope.deeper }}", "has no attribute 'nope'"),
        ("{% for e in report.entries %}{{ e.name.nope() }}{% endfor %}", "sample report"),
        ("{% for a in range(99999) %}{{ 'x' * 99 }}{% endfor %}", "more than 1048576 characters"),
    ],
)
def test_a_template_that_fails_only_when_rendered_is_a_usage_error_at_start(
    template: str, reason: str
) -> None:
    flags = {**default_notification_flags(), "notification_template": template}
    with pytest.raises(
        ConfigurationError, match="--notification-template fails on a sample report"
    ):
        settings_from_flags(flags, hostname_default="h")
    with pytest.raises(ConfigurationError, match=re.escape(reason)):
        settings_from_flags(flags, hostname_default="h")


def test_a_template_that_loops_for_ever_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_templates, "MAX_RENDER_SECONDS", 0.2)
    endless = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(jinja2.TemplateError, match=r"takes longer than 0\.2s to render"):
        Template(endless).render(title="t", host="h", report=None)
    assert time.monotonic() - started < 2
