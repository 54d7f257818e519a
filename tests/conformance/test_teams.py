"""shoutrrr's Teams connector tests (pkg/services/chat/teams/teams_test.go), case by case.

The fork delivered Teams connector URLs with nicholas-fedor/shoutrrr
before its move to workflows (the commit before 0921e43c): the newer
connector URLs end in an ``extraId`` segment after the group owner, and
the message is posted to the whole path. The requests go to a receiver on
127.0.0.1 through :class:`LoopbackSession`, which records the host each
one was meant for, so the URL checked is the URL a request is sent to.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.receivers import LoopbackSession, WebhookReceiver
from watchtower.cli.legacy_notifications import legacy_urls
from watchtower.errors import ConfigurationError
from watchtower.notify import Message
from watchtower.notify._services import ServiceSender, ServiceTarget
from watchtower.notify._targets import translate

SOURCE = "nicholas-fedor/shoutrrr pkg/services/chat/teams/teams_test.go"
EXTRA_ID = "V2ESyij_gAljSoUQHvZoZYzlpAoAXExyOl26dlf1xHEx05"
GROUP = "11111111-4444-4444-8444-cccccccccccc"
TENANT = "22222222-4444-4444-8444-cccccccccccc"
ALT_ID = "33333301222222222233333333333344"
OWNER = "44444444-4444-4444-8444-cccccccccccc"
SCOPED_WEBHOOK_URL = (
    f"https://test.webhook.office.com/webhookb2/{GROUP}@{TENANT}/IncomingWebhook/"
    f"{ALT_ID}/{OWNER}/{EXTRA_ID}"
)
TEST_URL_BASE = f"teams://{GROUP}@{TENANT}/{ALT_ID}/{OWNER}/{EXTRA_ID}"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as running:
        yield running


def _sent_to(url: str, receiver: WebhookReceiver) -> str:
    """The whole URL the message for ``url`` is posted to."""
    target = translate(url)
    assert isinstance(target, ServiceTarget)
    session = LoopbackSession(receiver.port)
    ServiceSender(target, session=session).send(Message(title="", body="Message"))
    ((host,), (request,)) = (session.hosts, receiver.requests)
    assert request.json()["sections"] == [{"text": "Message", "startGroup": False}]
    return host + request.path


@pytest.mark.parametrize(
    ("case", "url"),
    [
        (
            "sending the payload / should not report an error if the server accepts the payload",
            f"{TEST_URL_BASE}?host=test.webhook.office.com",
        ),
        (
            "creating a config / should be identical after de-/serialization",
            f"{TEST_URL_BASE}?color=aabbcc&host=test.webhook.office.com&title=Test+title",
        ),
        (
            "converting custom URL to service URL / should set the host field from the custom URL",
            f"teams://?host={SCOPED_WEBHOOK_URL}",
        ),
    ],
)
def test_the_message_is_posted_to_the_whole_webhook_url(
    case: str, url: str, receiver: WebhookReceiver
) -> None:
    assert _sent_to(url, receiver) == SCOPED_WEBHOOK_URL, case


def test_the_legacy_hook_keeps_its_extra_id(receiver: WebhookReceiver) -> None:
    """--notification-msteams-hook with a newer connector URL: its last segment is kept."""
    (url,) = legacy_urls(["msteams"], {"notification_msteams_hook": SCOPED_WEBHOOK_URL})
    assert _sent_to(url, receiver) == SCOPED_WEBHOOK_URL


def test_the_seeds_four_part_urls_still_post_without_an_extra_id(
    receiver: WebhookReceiver,
) -> None:
    """containrrr/shoutrrr's connector URLs had no extraId; they keep working."""
    url = f"teams://{GROUP}@{TENANT}/{ALT_ID}/{OWNER}?host=test.webhook.office.com"
    assert _sent_to(url, receiver) == SCOPED_WEBHOOK_URL.removesuffix(f"/{EXTRA_ID}")


def test_the_settings_are_read_from_the_url() -> None:
    """the teams config / setURL / should set all fields correctly from URL."""
    target = translate(f"{TEST_URL_BASE}?title=Test&color=red&host=test.webhook.office.com")
    assert isinstance(target, ServiceTarget)
    assert (target.url, dict(target.settings)) == (
        SCOPED_WEBHOOK_URL,
        {"title": "Test", "color": "red"},
    )


@pytest.mark.parametrize(
    ("case", "url"),
    [
        (
            "verifyWebhookParts / should reject invalid group ID",
            f"teams://invalid-id@{TENANT}/{ALT_ID}/{OWNER}/{EXTRA_ID}?host=test.webhook.office.com",
        ),
        (
            "a path of more than one extra segment",
            f"{TEST_URL_BASE}/more?host=test.webhook.office.com",
        ),
    ],
)
def test_bad_connector_urls_are_refused_in_one_sentence(case: str, url: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        translate(url)
    message = str(raised.value)
    assert "Teams connector URL reads" in message, case
    assert message.count(". ") == 0 and message.endswith("."), message
    # The connector's ids are its credentials: none reaches the error.
    assert not any(secret in message for secret in (GROUP, ALT_ID, EXTRA_ID)), message


def test_the_hook_url_is_posted_to_as_given() -> None:
    """A connector hook keeps its own path (webhookb2 and all), whatever its host."""
    target = translate(f"teams://?host={SCOPED_WEBHOOK_URL}")
    assert isinstance(target, ServiceTarget)
    assert urlsplit(target.url).path == urlsplit(SCOPED_WEBHOOK_URL).path
