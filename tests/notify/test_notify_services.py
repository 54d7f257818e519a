"""zulip, pagerduty, Teams connectors and Slack icons, posted as shoutrrr posts them.

The services' hosts are public names; a session of the tests' own sends
each request to the receiver on 127.0.0.1 instead, keeping the path, the
headers and the body, so the requests are checked as they leave.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.net import free_port
from tests.support.receivers import LoopbackSession as Loopback
from tests.support.receivers import WebhookReceiver
from watchtower.cli.legacy_notifications import legacy_urls
from watchtower.cli.notifications import settings_from_flags
from watchtower.notify import Message, Notifications
from watchtower.notify._services import ServiceSender, ServiceTarget
from watchtower.notify._targets import AppriseTarget, translate

UUID = "2d4a8b0e-1c3f-4a5b-9c7d-0e1f2a3b4c5d"
OWNER = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
ALT = "0123456789abcdef0123456789abcdef"
KEY = "eb243592faa24ba2a5511afdf565c889"
MESSAGE = Message(title="Watchtower updates on box", body="first line\nsecond line", host="box")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as running:
        yield running


def _send(url: str, receiver: WebhookReceiver, message: Message = MESSAGE) -> Loopback:
    target = translate(url)
    assert isinstance(target, ServiceTarget)
    session = Loopback(receiver.port)
    ServiceSender(target, session=session).send(message)
    return session


def test_zulip_posts_a_form_with_the_bots_login_and_the_title_as_topic(
    receiver: WebhookReceiver,
) -> None:
    session = _send("zulip://bot%40example.com:s3cret@chat.example.com/?stream=ops", receiver)
    (request,) = receiver.requests
    assert session.hosts == ["https://chat.example.com"]
    assert (request.method, request.path) == ("POST", "/api/v1/messages")
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"bot@example.com:s3cret").decode()
    )
    assert parse_qs(request.body.decode()) == {
        "type": ["channel"],
        "to": ["ops"],
        "topic": ["Watchtower updates on box"],
        "content": ["first line\nsecond line"],
    }


def test_zulip_with_a_topic_puts_the_title_above_the_message(receiver: WebhookReceiver) -> None:
    _send("zulip://b%40x.org:k@chat.example.com:8443/?stream=ops&topic=updates", receiver)
    form = parse_qs(receiver.requests[0].body.decode())
    assert form["topic"] == ["updates"]
    assert form["content"] == ["Watchtower updates on box\n\nfirst line\nsecond line"]


def test_zulip_direct_messages_name_their_recipients(receiver: WebhookReceiver) -> None:
    _send("zulip://b%40x.org:k@chat.example.com/?type=direct&to=a@x.org,%2012", receiver)
    form = parse_qs(receiver.requests[0].body.decode())
    assert (form["type"], json.loads(form["to"][0])) == (["direct"], ["a@x.org", "12"])
    assert "topic" not in form


def test_pagerduty_sends_an_events_v2_trigger(receiver: WebhookReceiver) -> None:
    url = f"pagerduty:///{KEY}?severity=warning&source=box&details=%7B%22a%22%3A1%7D"
    session = _send(url, receiver)
    (request,) = receiver.requests
    assert session.hosts == ["https://events.pagerduty.com:443"]
    assert request.path == "/v2/enqueue"
    assert request.json() == {
        "payload": {"summary": "first line\nsecond line", "severity": "warning", "source": "box"},
        "routing_key": KEY,
        "event_action": "trigger",
        "details": {"a": 1},
    }


def test_pagerduty_names_its_own_host_and_port(receiver: WebhookReceiver) -> None:
    session = _send(f"pagerduty://pd.example.com:8443/{KEY}?action=resolve&dedup_key=d", receiver)
    assert session.hosts == ["https://pd.example.com:8443"]
    body = receiver.requests[0].json()
    assert (body["event_action"], body["dedup_key"]) == ("resolve", "d")
    assert body["payload"]["severity"] == "error"


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        (
            f"teams://{UUID}@{UUID}/{ALT}/{OWNER}?host=org.webhook.office.com&color=ff0000",
            "https://org.webhook.office.com",
            f"/webhookb2/{UUID}@{UUID}/IncomingWebhook/{ALT}/{OWNER}",
        ),
        (
            f"teams://{UUID}@{UUID}:{ALT}@{OWNER}?color=ff0000",
            "https://outlook.office.com",
            f"/webhook/{UUID}@{UUID}/IncomingWebhook/{ALT}/{OWNER}",
        ),
    ],
)
def test_older_teams_connector_urls_post_a_message_card(
    url: str, host: str, path: str, receiver: WebhookReceiver
) -> None:
    session = _send(url, receiver)
    (request,) = receiver.requests
    assert (session.hosts, request.path) == ([host], path)
    assert request.json() == {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "markdown": True,
        "title": "Watchtower updates on box",
        "summary": "Watchtower updates on box",
        "themeColor": "ff0000",
        "sections": [
            {"text": "first line", "startGroup": False},
            {"text": "second line", "startGroup": False},
        ],
    }


def test_the_legacy_msteams_hook_posts_to_the_connector(receiver: WebhookReceiver) -> None:
    hook = f"https://org.webhook.office.com/webhookb2/{UUID}@{UUID}/IncomingWebhook/{ALT}/{OWNER}"
    (url,) = legacy_urls(["msteams"], {"notification_msteams_hook": hook})
    session = _send(url, receiver, Message(title="", body="hello"))
    assert session.hosts == ["https://org.webhook.office.com"]
    assert receiver.requests[0].path == urlsplit(hook).path
    assert receiver.requests[0].json()["summary"] == "hello"


@pytest.mark.parametrize(
    ("icon_flags", "icon"),
    [
        ({"notification_slack_icon_emoji": ":whale:"}, {"icon_emoji": ":whale:"}),
        (
            {
                "notification_slack_icon_emoji": ":whale:",
                "notification_slack_icon_url": "https://example.com/i.png",
            },
            {"icon_url": "https://example.com/i.png"},
        ),
    ],
)
def test_the_slack_icon_flags_are_honoured(
    icon_flags: dict[str, str], icon: dict[str, str], receiver: WebhookReceiver
) -> None:
    (url,) = legacy_urls(
        ["slack"],
        {
            "notification_slack_hook_url": "https://hooks.slack.com/services/T0/B1/C2",
            "notification_slack_identifier": "wt",
            "notification_slack_channel": "#ops",
            **icon_flags,
        },
    )
    session = _send(url, receiver)
    (request,) = receiver.requests
    assert (session.hosts, request.path) == (["https://hooks.slack.com"], "/services/T0/B1/C2")
    assert request.json() == {
        "text": "Watchtower updates on box",
        "username": "wt",
        "channel": "#ops",
        "attachments": [{"text": "first line"}, {"text": "second line"}],
        **icon,
    }


def test_the_slack_icon_url_becomes_the_discord_avatar() -> None:
    (url,) = legacy_urls(
        ["slack"],
        {
            "notification_slack_hook_url": "https://discord.com/api/webhooks/123/tok",
            "notification_slack_icon_url": "https://example.com/i.png",
        },
    )
    target = translate(url)
    assert isinstance(target, AppriseTarget)
    assert "avatar_url=https%3A%2F%2Fexample.com%2Fi.png" in target.url


def test_slack_without_an_icon_still_goes_to_apprise() -> None:
    assert isinstance(translate("slack://hook:T0-B1-C2@webhook"), AppriseTarget)


def test_a_refusing_service_is_a_counted_failure(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_from_flags(
        {"notification_url": [f"pagerduty:///{KEY}"]}, hostname_default="box"
    )
    notifications = Notifications(
        settings, logger=logging.getLogger("tests.notify.services"), session=_Failing()
    )
    notifications.startup("hello")
    assert (notifications.failures, notifications.sent) == (1, 0)
    assert "pagerduty answered 500" in caplog.text


class _Failing(requests.Session):
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = requests.Response()
        response.status_code, response.reason = 500, "Internal Server Error"
        response._content = b'{"message": "bad key"}'
        return response


@pytest.mark.parametrize(
    "url",
    [
        "generic://127.0.0.1:{port}/hooks/s3cret-token?disabletls=yes",
        "slack://hook:T0-B1-s3cret@webhook?icon=:whale:",
    ],
)
def test_an_unreachable_receiver_is_named_without_its_secrets(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = free_port()
    settings = settings_from_flags(
        {"notification_url": [url.format(port=closed)]}, hostname_default="box"
    )
    session = Loopback(closed)  # the slack webhook is sent to the closed port too
    notifications = Notifications(
        settings, logger=logging.getLogger("tests.notify.services"), session=session
    )
    with caplog.at_level(logging.ERROR):
        notifications.startup("hello")
    assert notifications.failures == 1
    assert "was not reached (ConnectionError)" in caplog.text
    assert "s3cret" not in caplog.text
