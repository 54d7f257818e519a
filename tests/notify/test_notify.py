"""Notifications delivered for real: templates, the façade, webhook and SMTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import attrs
import pytest

from tests.support.net import free_port
from tests.support.receivers import WebhookReceiver
from tests.support.smtp import Mail, SMTPServer, self_signed
from watchtower import update
from watchtower.cli.notifications import settings_from_flags
from watchtower.errors import ConfigurationError
from watchtower.notify import (
    AppriseNotifier,
    EmailNotifier,
    EntryCollector,
    LogEntry,
    LogNotifier,
    Message,
    NotificationError,
    Notifications,
    NotificationSettings,
    Template,
    WebhookNotifier,
)
from watchtower.notify._targets import translate
from watchtower.protocols import Notifier
from watchtower.report import ContainerReport, EntryKind, Outcome, Report
from watchtower.testing import MemoryEngine, MemoryRegistry

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


def _report(*entries: ContainerReport) -> Report:
    return Report(entries=entries, started_at=T0, finished_at=T0)


WEB = ContainerReport(
    id="c" * 64,
    name="web",
    image="nginx:latest",
    old_image_id=OLD,
    new_image_id=NEW,
    outcome=Outcome.UPDATED,
)
DB = ContainerReport(
    id="d" * 64,
    name="db",
    image="postgres:16",
    old_image_id="sha256:" + "e" * 64,
    outcome=Outcome.FRESH,
)
CACHE = ContainerReport(
    id="f" * 64,
    name="cache",
    image="redis:7",
    old_image_id="sha256:" + "1" * 64,
    outcome=Outcome.FAILED,
    reason="pull failed",
)
JOB = ContainerReport(
    id="9" * 64,
    name="job",
    image="busybox",
    old_image_id="sha256:" + "2" * 64,
    outcome=Outcome.SKIPPED,
    reason="no digest",
)
REPORT = _report(WEB, DB, CACHE, JOB)
ENTRIES = (
    LogEntry(
        level="info",
        message="Found new image",
        time=T0,
        fields={"container": "web", "image": "nginx:latest", "new_id": "bbbbbbbbbbbb"},
    ),
    LogEntry(
        level="info",
        message="Stopping container",
        time=T0,
        fields={"container": "web", "id": "cccccccccccc"},
    ),
    LogEntry(
        level="error",
        message="Could not pull container",
        time=T0,
        fields={"container": "cache", "error": "pull failed"},
    ),
    LogEntry(level="debug", message="Checked", time=T0, fields={"container": "db"}),
)

EXPECTED = {
    "default-legacy": (
        "Found new image: nginx:latest (bbbbbbbbbbbb)\n"
        "Stopped stale container: web (cccccccccccc)\n"
        "Could not pull container | container=cache error=pull failed "
    ),
    "default": (
        "3 Scanned, 1 Updated, 0 Restarted, 1 Failed, 1 Fresh, 1 Skipped\n"
        "- web (nginx:latest): aaaaaaaaaaaa updated to bbbbbbbbbbbb\n"
        "- db (postgres:16): Fresh\n"
        "- job (busybox): Skipped: no digest\n"
        "- cache (redis:7): Failed: pull failed"
    ),
    "porcelain.v1.summary-no-log": (
        "web (nginx:latest): Updated\n"
        "db (postgres:16): Fresh\n"
        "cache (redis:7): Failed Error: pull failed\n"
        "job (busybox): Skipped Error: no digest\n"
    ),
}


def _container(name: str, state: str, image: str, current: str, latest: str, **more: str) -> dict:
    return {
        "currentImageId": current,
        "id": more.pop("id"),
        "imageName": image,
        "latestImageId": latest,
        "name": name,
        "state": state,
        **more,
    }


JSON_WEB = _container("web", "Updated", "nginx:latest", "a" * 12, "b" * 12, id="c" * 12)
JSON_DB = _container("db", "Fresh", "postgres:16", "e" * 12, "e" * 12, id="d" * 12)
JSON_CACHE = _container(
    "cache", "Failed", "redis:7", "1" * 12, "1" * 12, id="f" * 12, error="pull failed"
)
JSON_JOB = _container(
    "job", "Skipped", "busybox", "2" * 12, "2" * 12, id="9" * 12, error="no digest"
)
EXPECTED_JSON_V1 = {
    "title": "Watchtower updates on box",
    "host": "box",
    "entries": [
        {
            "level": "info",
            "message": "Found new image",
            "time": "2026-01-01T12:00:00+00:00",
            "data": {"container": "web", "image": "nginx:latest", "new_id": "bbbbbbbbbbbb"},
        },
        {
            "level": "info",
            "message": "Stopping container",
            "time": "2026-01-01T12:00:00+00:00",
            "data": {"container": "web", "id": "cccccccccccc"},
        },
        {
            "level": "error",
            "message": "Could not pull container",
            "time": "2026-01-01T12:00:00+00:00",
            "data": {"container": "cache", "error": "pull failed"},
        },
    ],
    "report": {
        "scanned": [JSON_WEB, JSON_DB, JSON_CACHE],
        "updated": [JSON_WEB],
        "restarted": [],
        "failed": [JSON_CACHE],
        "skipped": [JSON_JOB],
        "stale": [],
        "fresh": [JSON_DB],
    },
}
EXPECTED_PORCELAIN_JSON = {
    "containers": [
        {
            "name": "web",
            "image": "nginx:latest",
            "image_id": "a" * 12,
            "latest_image_id": "b" * 12,
            "state": "Updated",
            "update_available": True,
        },
        {
            "name": "db",
            "image": "postgres:16",
            "image_id": "e" * 12,
            "latest_image_id": "e" * 12,
            "state": "Fresh",
            "update_available": False,
        },
        {
            "name": "cache",
            "image": "redis:7",
            "image_id": "1" * 12,
            "latest_image_id": "1" * 12,
            "state": "Failed",
            "update_available": False,
            "error": "pull failed",
        },
        {
            "name": "job",
            "image": "busybox",
            "image_id": "2" * 12,
            "latest_image_id": "2" * 12,
            "state": "Skipped",
            "update_available": False,
            "error": "no digest",
        },
    ]
}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as running:
        yield running


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def logger() -> logging.Logger:
    return logging.getLogger("tests.notify")


def _build(values: dict, logger: logging.Logger, **kwargs: object) -> Notifications:
    settings = settings_from_flags(values, hostname_default="box")
    return Notifications(settings, logger=logger, **kwargs)  # type: ignore[arg-type]


def _text(mail: Mail) -> str:
    """A mail's text as sent: line ends from the wire made plain, the final one dropped."""
    return str(mail.message.get_content()).replace("\r\n", "\n").rstrip("\n")


def _bodies(receiver: WebhookReceiver) -> list[str]:
    return [r.body.decode() for r in receiver.requests]


# --- every built-in template, delivered for real --------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_template_text_reaches_the_webhook_and_the_mailbox(
    name: str, receiver: WebhookReceiver, smtp_server: SMTPServer, logger: logging.Logger
) -> None:
    notifications = _build(
        {
            "notification_url": [
                f"generic+{receiver.url}/hook",
                f"smtp://127.0.0.1:{smtp_server.port}/?fromaddress=wt@example.test"
                "&toaddresses=ops@example.test",
            ],
            "notification_template": name,
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)

    assert notifications.failures == 0
    assert _bodies(receiver) == [EXPECTED[name]]
    (mail,) = smtp_server.mails
    assert _text(mail) == EXPECTED[name].rstrip("\n")
    assert mail.message["Subject"] == "Watchtower updates on box"
    assert mail.rcpt_tos == ["ops@example.test"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("json.v1", EXPECTED_JSON_V1), ("porcelain.json", EXPECTED_PORCELAIN_JSON)],
)
def test_json_templates_delivered_to_webhook_and_mailbox(
    name: str,
    expected: dict,
    receiver: WebhookReceiver,
    smtp_server: SMTPServer,
    logger: logging.Logger,
) -> None:
    notifications = _build(
        {
            "notification_url": [
                f"generic+{receiver.url}/hook",
                f"smtp://127.0.0.1:{smtp_server.port}/?from=wt@example.test&to=ops@example.test",
            ],
            "notification_template": name,
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)

    (body,) = _bodies(receiver)
    assert json.loads(body) == expected
    assert json.loads(_text(smtp_server.mails[0])) == expected


def test_porcelain_says_no_containers_matched_filter(logger: logging.Logger) -> None:
    text = Template("porcelain.v1.summary-no-log").render(title="", host="", report=_report())
    assert text == "no containers matched filter"


def test_generic_posts_the_raw_message_as_shoutrrr_does(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    notifications = _build(
        {"notification_url": [f"generic://127.0.0.1:{receiver.port}/raw?disabletls=yes"]}, logger
    )
    notifications.send_report(REPORT, ENTRIES)

    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", "/raw")
    assert request.headers["Content-Type"] == "application/json"
    assert request.body.decode() == EXPECTED["default-legacy"]


def test_generic_posts_json_when_asked(receiver: WebhookReceiver, logger: logging.Logger) -> None:
    notifications = _build(
        {
            "notification_url": [
                f"generic://127.0.0.1:{receiver.port}/in?disabletls=yes&@X-Token=abc&method=PUT"
                "&template=json&messagekey=text&$source=watchtower"
            ],
            "notification_report": True,
            "notification_title_tag": "prod",
            "notifications_hostname": "node1",
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)

    (request,) = receiver.requests
    assert request.method == "PUT"
    assert request.path == "/in"
    assert request.headers["X-Token"] == "abc"
    assert request.json() == {
        "title": "[prod] Watchtower updates on node1",
        "text": EXPECTED["default"],
        "source": "watchtower",
    }


# --- user templates ---------------------------------------------------------------------


def test_user_template_from_a_string(receiver: WebhookReceiver, logger: logging.Logger) -> None:
    template = (
        "{{ title }} @ {{ host }}: {% for c in report.updated %}{{ c.name }} "
        "{{ c.new_image_id | short_id }}{% endfor %}; {{ entries | length }} lines"
    )
    notifications = _build(
        {"notification_url": [f"generic+{receiver.url}/"], "notification_template": template},
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)
    assert _bodies(receiver) == ["Watchtower updates on box @ box: web bbbbbbbbbbbb; 3 lines"]


def test_a_user_template_shows_each_entry_kind_as_its_word(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    # The text a template made of kind while it was a plain string, filters included.
    template = (
        "{% for c in report.entries %}{{ c.name }}={{ c.kind }},{{ c.kind | upper }},"
        "{{ '%s' | format(c.kind) }},{{ c.kind == 'host' }};{% endfor %}"
    )
    service = attrs.evolve(DB, name="api", kind="service")
    host = attrs.evolve(CACHE, name="node2", kind=EntryKind.HOST)
    notifications = _build(
        {"notification_url": [f"generic+{receiver.url}/"], "notification_template": template},
        logger,
    )
    notifications.send_report(_report(WEB, service, host), ENTRIES)
    assert _bodies(receiver) == [
        "web=container,CONTAINER,container,False;api=service,SERVICE,service,False;"
        "node2=host,HOST,host,True;"
    ]


def test_user_template_from_a_file_wins_over_the_string(
    tmp_path: Path, receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    path = tmp_path / "notify.j2"
    path.write_text("{% for c in report.failed %}{{ c.name }}: {{ c.reason }}{% endfor %}")
    notifications = _build(
        {
            "notification_url": [f"generic+{receiver.url}/"],
            "notification_template": "default",
            "notification_template_file": str(path),
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)
    assert _bodies(receiver) == ["cache: pull failed"]


@pytest.mark.parametrize(
    ("values", "culprit"),
    [
        ({"notification_template": "{% for x in %}"}, "--notification-template"),
        ({"notification_template_file": "/nonexistent/t.j2"}, "--notification-template-file"),
        ({"notifications_level": "loud"}, "notifications-level"),
        ({"notifications": ["pigeon"]}, "--notifications 'pigeon'"),
        ({"notifications": "shoutrrr, pigeon"}, "--notifications 'pigeon'"),
        ({"notifications": ["email"]}, "--notification-email-server"),
        ({"notifications": ["slack"]}, "--notification-slack-hook-url"),
        ({"notifications_delay": "soon"}, "--notifications-delay"),
        ({"notification_url": ["pagerduty://events.pagerduty.com/key"]}, "pagerduty://"),
    ],
)
def test_bad_options_raise_one_sentence_naming_the_option(
    values: dict, culprit: str, logger: logging.Logger
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        _build(values, logger)
    message = str(caught.value)
    assert culprit in message
    assert "\n" not in message and message.endswith(".")


# --- when to send, and how many -----------------------------------------------------------


def test_nothing_to_say_sends_nothing(receiver: WebhookReceiver, logger: logging.Logger) -> None:
    quiet = _report(DB, JOB)
    report_mode = _build(
        {"notification_url": [f"generic+{receiver.url}/"], "notification_report": True}, logger
    )
    report_mode.send_report(quiet, [])
    legacy_mode = _build({"notification_url": [f"generic+{receiver.url}/"]}, logger)
    legacy_mode.send_report(quiet, [ENTRIES[3]])  # a debug line only, below the info level

    assert receiver.requests == []
    assert report_mode.failures == legacy_mode.failures == 0


def test_level_filters_entries_and_error_level_needs_a_failure(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    url = f"generic+{receiver.url}/"
    debug = _build({"notification_url": [url], "notifications_level": "debug"}, logger)
    debug.send_report(REPORT, ENTRIES)
    error = _build({"notification_url": [url], "notifications_level": "error"}, logger)
    error.send_report(_report(WEB), ENTRIES)  # nothing failed: nothing sent
    error.send_report(REPORT, ENTRIES)

    assert _bodies(receiver) == [
        EXPECTED["default-legacy"] + "\nChecked | container=db ",
        "Could not pull container | container=cache error=pull failed ",
    ]


def test_split_by_container_sends_one_message_each(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    notifications = _build(
        {
            "notification_url": [f"generic+{receiver.url}/"],
            "notification_template": "porcelain.v1.summary-no-log",
            "notification_split_by_container": True,
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)

    assert _bodies(receiver) == [
        "web (nginx:latest): Updated\n",
        "cache (redis:7): Failed Error: pull failed\n",
    ]
    assert [len(r.body.decode().splitlines()) for r in receiver.requests] == [1, 1]


def test_split_by_container_gives_each_message_its_own_entries(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    notifications = _build(
        {"notification_url": [f"generic+{receiver.url}/"], "notification_split_by_container": True},
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)
    assert _bodies(receiver) == [
        "Found new image: nginx:latest (bbbbbbbbbbbb)\nStopped stale container: web (cccccccccccc)",
        "Could not pull container | container=cache error=pull failed ",
    ]


def test_a_failing_notifier_is_counted_and_logged_not_raised(
    receiver: WebhookReceiver, logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    closed = free_port()
    notifications = _build(
        {
            "notification_url": [
                f"generic+{receiver.url}/fail",
                f"smtp://127.0.0.1:{closed}/?from=a@example.test&to=b@example.test",
                f"generic+{receiver.url}/ok",
            ],
            "notification_report": True,
        },
        logger,
    )
    with caplog.at_level(logging.ERROR, logger="tests.notify"):
        notifications.send_report(REPORT, ENTRIES)

    assert notifications.failures == 2
    assert notifications.sent == 1
    assert [r.path for r in receiver.requests] == ["/fail", "/ok"]
    assert [r.message.split(" could")[0] for r in caplog.records] == [
        "The generic notification",
        "The smtp notification",
    ]
    assert all(getattr(r, "notify", True) is False for r in caplog.records)


def test_a_template_failing_to_render_is_counted(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    notifications = _build(
        {
            "notification_url": [f"generic+{receiver.url}/"],
            # Fails on this report only: the sample one tried at start passes.
            "notification_template": (
                "{% for e in entries if e.fields.container == 'web' %}"
                "{{ e.nope.deeper }}{% endfor %}"
            ),
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)
    assert notifications.failures == 1
    assert receiver.requests == []


def test_delay_waits_before_each_message_and_email_delay_wins(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    waits: list[float] = []
    notifications = _build(
        {
            "notification_url": [f"generic+{receiver.url}/"],
            "notifications_delay": 7,
            "notification_split_by_container": True,
        },
        logger,
        sleep=waits.append,
    )
    notifications.send_report(REPORT, ENTRIES)
    assert waits == [7.0, 7.0]
    legacy = _build(
        {
            "notifications": ["email"],
            "notification_email_server": "127.0.0.1",
            "notification_email_from": "a@example.test",
            "notification_email_to": "b@example.test",
            "notification_email_delay": 3,
            "notifications_delay": 7,
        },
        logger,
    )
    assert legacy.delay == 3.0


def test_startup_message_is_sent_as_is_unless_the_level_hides_it(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    url = f"generic+{receiver.url}/"
    _build({"notification_url": [url]}, logger).startup("Watchtower 1.0\nChecking every 24h")
    _build({"notification_url": [url], "notifications_level": "warn"}, logger).startup("hidden")
    (request,) = receiver.requests
    assert request.body.decode() == "Watchtower 1.0\nChecking every 24h"


def test_skip_title_sends_no_title(receiver: WebhookReceiver, logger: logging.Logger) -> None:
    notifications = _build(
        {
            "notification_url": [
                f"generic://127.0.0.1:{receiver.port}/?disabletls=yes&template=json"
            ],
            "notification_skip_title": True,
            "notification_title_tag": "x",
        },
        logger,
    )
    notifications.startup("hello")
    assert receiver.requests[0].json() == {"message": "hello"}


def test_no_urls_means_nothing_to_do(logger: logging.Logger) -> None:
    notifications = _build({}, logger)
    assert not notifications
    notifications.send_report(REPORT, ENTRIES)
    assert notifications.sent == notifications.failures == 0


def test_urls_from_a_file(
    tmp_path: Path, receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    path = tmp_path / "urls"
    path.write_text(f"# secrets\ngeneric+{receiver.url}/a\n\ngeneric+{receiver.url}/b\n")
    notifications = _build({"notification_url": [str(path)]}, logger)
    assert notifications.names == ("generic", "generic")


# --- notifiers on their own ----------------------------------------------------------------


def test_email_with_starttls_and_login(tmp_path: Path) -> None:
    server = SMTPServer(free_port(), users={"wt": "s3cret"}, tls=self_signed(tmp_path))
    server.start()
    try:
        message = Message(title="Subject here", body="body text\n")
        verified = EmailNotifier(
            "127.0.0.1",
            server.port,
            from_addr="wt@example.test",
            to_addrs=["a@example.test"],
            username="wt",
            password="s3cret",
        )
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
            verified.send(message)
        EmailNotifier(
            "127.0.0.1",
            server.port,
            from_addr="wt@example.test",
            to_addrs=["a@example.test", "b@example.test"],
            username="wt",
            password="s3cret",
            starttls="always",
            tls_skip_verify=True,
        ).send(message)
    finally:
        server.stop()
    (mail,) = server.mails
    assert server.logins == ["wt"]
    assert mail.rcpt_tos == ["a@example.test", "b@example.test"]
    assert mail.message["Subject"] == "Subject here"
    assert mail.message["From"] == "Watchtower <wt@example.test>"
    assert _text(mail) == "body text"


def test_email_requiring_starttls_fails_when_not_offered(smtp_server: SMTPServer) -> None:
    notifier = EmailNotifier(
        "127.0.0.1",
        smtp_server.port,
        from_addr="a@example.test",
        to_addrs=["b@example.test"],
        starttls="always",
    )
    with pytest.raises(Exception, match="does not offer STARTTLS"):
        notifier.send(Message(title="t", body="b"))
    assert smtp_server.mails == []


def test_every_shipped_notifier_is_a_notifier_and_delivers(
    receiver: WebhookReceiver, smtp_server: SMTPServer, logger: logging.Logger
) -> None:
    pytest.importorskip("apprise")
    stream = io.StringIO()
    notifiers = [
        WebhookNotifier(f"{receiver.url}/webhook"),
        AppriseNotifier(f"json://127.0.0.1:{receiver.port}/apprise"),
        EmailNotifier(
            "127.0.0.1", smtp_server.port, from_addr="a@example.test", to_addrs=["b@example.test"]
        ),
        LogNotifier(logger, stream=stream),
        Notifications(
            NotificationSettings(urls=f"generic+{receiver.url}/settings", host="box"), logger=logger
        ),
    ]
    for notifier in notifiers:
        assert isinstance(notifier, Notifier)
        notifier.notify(REPORT)
        notifier.notify(_report(DB))  # nothing to say: nothing sent

    assert [r.path for r in receiver.requests] == ["/webhook", "/apprise", "/settings"]
    webhook, apprise, generic = receiver.requests
    assert webhook.json()["message"] == apprise.json()["message"] == EXPECTED["default"]
    assert generic.body.decode() == EXPECTED["default"]
    assert _text(smtp_server.mails[0]) == EXPECTED["default"]
    assert stream.getvalue() == "Watchtower updates\n" + EXPECTED["default"] + "\n"


def test_settings_alone_make_watchtower_titles_and_templates(
    receiver: WebhookReceiver, logger: logging.Logger
) -> None:
    tagged = Notifications(
        NotificationSettings(
            urls=[f"generic+{receiver.url}/"],
            host="node1",
            title_tag="lib",
            template=Template("porcelain.v1.summary-no-log"),
        ),
        logger=logger,
    )
    tagged.notify(REPORT)
    (request,) = receiver.requests
    assert request.body.decode() == EXPECTED["porcelain.v1.summary-no-log"]
    assert tagged.title == "[lib] Watchtower updates on node1"

    plain = Notifications(NotificationSettings(), logger=logger)
    assert plain.host == socket.gethostname()
    assert plain.title == f"Watchtower updates on {socket.gethostname()}"
    assert plain.template.source == Template("default").source
    assert not plain


def test_update_delivers_its_report_to_each_notifier_and_survives_a_failing_one(
    receiver: WebhookReceiver, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish("example.org/web:1")
    engine.run("web", "example.org/web:1")
    registry.publish("example.org/web:1")
    stream = io.StringIO()
    report = update(
        engine,
        registry,
        notifiers=[
            WebhookNotifier(f"{receiver.url}/fail"),
            WebhookNotifier(f"{receiver.url}/ok"),
            LogNotifier(logging.getLogger("unused"), stream=stream),
        ],
    )
    assert [entry.name for entry in report.updated] == ["web"]
    assert report.failed_notifications == 1
    assert [r.path for r in receiver.requests] == ["/fail", "/ok"]
    delivered = receiver.requests[1].json()["report"]
    assert delivered["entries"] == report.to_dict()["entries"]
    assert "- web (example.org/web:1)" in stream.getvalue()


def test_log_notifier_records_are_not_collected_again() -> None:
    log = logging.getLogger("tests.notify.loop")
    log.propagate = False
    collector = EntryCollector()
    log.addHandler(collector)
    log.setLevel(logging.INFO)
    try:
        log.info("Found new image", extra={"container": "web", "image": "nginx"})
        LogNotifier(log).send(Message(title="t", body="b"))
    finally:
        log.removeHandler(collector)
    (entry,) = collector.drain()
    assert (entry.level, entry.message, dict(entry.fields)) == (
        "info",
        "Found new image",
        {"container": "web", "image": "nginx"},
    )
    assert collector.entries == ()


def test_apprise_delivers_to_a_json_url(receiver: WebhookReceiver, logger: logging.Logger) -> None:
    pytest.importorskip("apprise")
    notifications = _build(
        {
            "notification_url": [f"json://127.0.0.1:{receiver.port}/apprise"],
            "notification_template": "porcelain.v1.summary-no-log",
        },
        logger,
    )
    notifications.send_report(REPORT, ENTRIES)

    assert notifications.names == ("apprise:json",)
    assert notifications.failures == 0
    (request,) = receiver.requests
    assert request.path == "/apprise"
    body = request.json()
    assert body["title"] == "Watchtower updates on box"
    assert body["message"] == EXPECTED["porcelain.v1.summary-no-log"].rstrip("\n")


def test_importing_leaves_the_heavy_parts_out() -> None:
    import subprocess
    import sys

    code = (
        "import sys, watchtower; heavy = {'jinja2', 'requests', 'apprise'};"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules);"
        "import watchtower.notify;"
        "assert not {'requests', 'apprise'} & set(sys.modules), sys.modules.keys()"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_apprise_missing_is_one_clear_sentence(
    monkeypatch: pytest.MonkeyPatch, logger: logging.Logger
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise now raises ImportError
    with pytest.raises(ConfigurationError) as caught:
        _build({"notification_url": ["discord://token@12345"]}, logger)
    assert str(caught.value) == (
        "The notification URL discord://***@*** needs apprise, which is not installed "
        "(install the 'apprise' extra: watchtower-updater[apprise])."
    )


def test_a_failed_webhook_names_its_url_without_the_token(receiver: WebhookReceiver) -> None:
    notifier = WebhookNotifier(f"{receiver.url}/fail?token=hook-s3cret")
    with pytest.raises(NotificationError) as caught:
        notifier.send(Message(title="t", body="b"))
    assert str(caught.value) == f"The webhook {receiver.url}/… answered 500 Internal Server Error."
    unreachable = WebhookNotifier(f"http://127.0.0.1:{free_port()}/x?token=hook-s3cret")
    with pytest.raises(NotificationError, match="could not be reached") as caught:
        unreachable.send(Message(title="t", body="b"))
    assert "hook-s3cret" not in str(caught.value)
    assert caught.value.__cause__ is None  # requests' message repeats the URL


def test_targets_keep_their_secrets_out_of_repr() -> None:
    targets = [
        translate("generic://127.0.0.1:9/hook?token=tok-s3cret&@X-Key=hdr-s3cret"),
        translate("smtp://user:pw-s3cret@mail.example.com/?from=a@x.test&to=b@x.test"),
        translate("discord://tok-s3cret@12345"),
    ]
    for target in targets:
        assert "s3cret" not in repr(target)
