"""Watchtower's notification flags become settings, and the command line sends with them."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest

from tests.support.receivers import WebhookReceiver
from watchtower.cli.command import EXIT_USAGE, main
from watchtower.cli.config import load
from watchtower.cli.daemon import serve
from watchtower.cli.notifications import settings_from_flags, start
from watchtower.cli.values import default_notification_flags
from watchtower.errors import ConfigurationError
from watchtower.model import short_id
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
    notifications = start(config.notifications, logger)
    try:
        code = serve(
            config,
            engine,
            registry,
            logger=logger,
            stop=threading.Event(),
            notifications=notifications,
            clock=clock,
        )
    finally:
        logger.removeHandler(notifications.collector)

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
    assert notifications.notifications.failures == 0


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
    notifications = start(config.notifications, logger)
    try:
        code = serve(
            config,
            engine,
            registry,
            logger=logger,
            stop=threading.Event(),
            notifications=notifications,
            clock=clock,
        )
    finally:
        logger.removeHandler(notifications.collector)
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


# --- notify-upgrade -------------------------------------------------------------------------


def _wait_for(directory: Path, pattern: str) -> Path:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = list(directory.glob(pattern))
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} in {directory}")


def test_notify_upgrade_writes_the_environment_file_and_removes_it_at_a_stop(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "WATCHTOWER_NOTIFICATIONS": "email slack",
        "WATCHTOWER_NOTIFICATION_EMAIL_SERVER": "mail.example.test",
        "WATCHTOWER_NOTIFICATION_EMAIL_FROM": "wt@example.test",
        "WATCHTOWER_NOTIFICATION_EMAIL_TO": "ops@example.test",
        "WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL": "https://hooks.slack.com/services/A/B/C",
        "WATCHTOWER_NOTIFICATION_SLACK_IDENTIFIER": "bot",
    }
    command = [sys.executable, "-m", "watchtower", "--notification-url", "logger://"]
    process = subprocess.Popen(
        [*command, "notify-upgrade"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        written = _wait_for(tmp_path, "watchtower-notif-urls-*")
        deadline = time.monotonic() + 10
        while not written.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert written.read_text() == (
            "WATCHTOWER_NOTIFICATION_URL=logger:// "
            "smtp://mail.example.test:25/?fromaddress=wt%40example.test"
            "&toaddresses=ops%40example.test&fromname=Watchtower&auth=None "
            "slack://hook:A-B-C@webhook?botname=bot\n"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0
    assert not written.exists()
    assert f"docker cp <CONTAINER>:{written} ./watchtower-notifications.env" in stderr
    assert 'msg="Found notification config(s)" notifiers="email, slack"' in stderr
    assert "Environment file removed" in stderr


def test_notify_upgrade_is_not_taken_for_a_container_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_logger_restored: None
) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[tuple[list[str], dict[str, str]]] = []

    def fake(argv: list[str], environ: dict[str, str]) -> int:
        seen.append((argv, environ))
        return 0

    monkeypatch.setattr("watchtower.cli.notify_upgrade.notify_upgrade", fake)
    assert main(["--notifications", "gotify", "notify-upgrade"], {"X": "1"}) == 0
    assert seen == [(["--notifications", "gotify"], {"X": "1"})]


def test_notify_upgrade_refuses_missing_flags_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from watchtower.cli.notify_upgrade import notify_upgrade

    code = notify_upgrade(["--notifications", "gotify"], {}, directory=tmp_path, lifetime=0)
    assert code == EXIT_USAGE
    message = capsys.readouterr().err
    assert message.startswith("watchtower notify-upgrade: The gotify notification type needs")
    assert list(tmp_path.iterdir()) == []


def test_notify_upgrade_removes_the_file_after_its_lifetime(
    tmp_path: Path, cli_logger_restored: None
) -> None:
    from watchtower.cli.notify_upgrade import notify_upgrade

    flags = ["--notification-url", "logger://", "--notification-url", "generic://h/x"]
    assert notify_upgrade(flags, {}, directory=tmp_path, lifetime=0.01) == 0
    assert list(tmp_path.iterdir()) == []


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
