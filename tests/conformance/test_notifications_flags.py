"""The fork's pkg/notifications/notifier_test.go, case by case: titles, delays, legacy types.

The fork checks the shoutrrr URL each legacy type becomes; we check what
that URL delivers to (the target our translation gives), since our URLs
are an intermediate step and shoutrrr's carry every default setting.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from watchtower.cli.config import load
from watchtower.cli.notifications import settings_from_flags
from watchtower.errors import ConfigurationError
from watchtower.notify import Notifications, NotificationSettings
from watchtower.notify._services import ServiceTarget
from watchtower.notify._targets import AppriseTarget, EmailTarget, translate

SOURCE = "nicholas-fedor/watchtower:pkg/notifications/notifier_test.go"
ICON_URL = "https://github.com/nicholas-fedor/watchtower/blob/main/watchtower-sq180.png"


def settings(*flags: str) -> NotificationSettings:
    return settings_from_flags(load(list(flags), {}).notifications, hostname_default="")


def title(value: NotificationSettings) -> str:
    return Notifications(value, logger=logging.getLogger("tests.conformance")).title


def test_only_empty_notifier_types_are_provided() -> None:
    """the notifier / only empty notifier types are provided."""
    assert settings("--notifications", "shoutrrr").urls == ()


@pytest.mark.parametrize(
    ("case", "flags", "expected"),
    [
        (
            "title is overridden in flag / should use the specified hostname in the title",
            ["--notifications-hostname", "test.host"],
            "Watchtower updates on test.host",
        ),
        (
            "title tag is set / should use the prefix in the title",
            ["--notification-title-tag", "PREFIX", "--notifications-hostname", "h"],
            "[PREFIX] Watchtower updates on h",
        ),
        (
            "legacy email tag is set / should use the prefix in the title",
            ["--notification-email-subjecttag", "PREFIX", "--notifications-hostname", "h"],
            "[PREFIX] Watchtower updates on h",
        ),
        (
            "the skip title flag is set / should return an empty title",
            ["--notification-skip-title"],
            "",
        ),
    ],
)
def test_titles(case: str, flags: list[str], expected: str) -> None:
    """the notifier: the title cases."""
    assert title(settings(*flags)) == expected


def test_no_hostname_can_be_resolved() -> None:
    """the notifier / no hostname can be resolved / should use the default simple title."""
    from watchtower.notify._notifications import _title

    assert _title("", "") == "Watchtower updates"


@pytest.mark.parametrize(
    ("case", "flags", "delay"),
    [
        ("no delay is defined", [], 0.0),
        ("delay is defined", ["--notifications-delay", "5"], 5.0),
        (
            "legacy delay is defined",
            ["--notifications", "email", "--notification-email-delay", "5"],
            5.0,
        ),
        (
            "legacy delay and delay is defined / should use the specified legacy delay",
            [
                "--notifications",
                "email",
                "--notifications-delay",
                "5",
                "--notification-email-delay",
                "7",
            ],
            7.0,
        ),
    ],
)
def test_delays(case: str, flags: list[str], delay: float) -> None:
    """the notifier: GetDelay's cases, through the flags."""
    email = ["--notification-email-server", "m.example.com"]
    email += [
        "--notification-email-from",
        "a@example.com",
        "--notification-email-to",
        "b@example.com",
    ]
    assert settings(*flags, *(email if "email" in flags else [])).delay == delay


def _apprise(url: str) -> AppriseTarget:
    target = translate(url)
    assert isinstance(target, AppriseTarget)
    return target


@pytest.mark.parametrize("domain", ["discord.com", "discordapp.com"])
def test_a_discord_url_given_to_the_slack_notifier(domain: str) -> None:
    """the slack notifier / passing a discord url to the slack notifier (both domains)."""
    hook = f"https://{domain}/api/webhooks/123456789/abvsihdbau/slack"
    (url,) = settings("--notifications", "slack", "--notification-slack-hook-url", hook).urls
    target = _apprise(url)
    assert target.url == "discord://watchtower@123456789/abvsihdbau"


def test_discord_with_icon_url_and_username() -> None:
    """the slack notifier / icon URL and username are specified (discord)."""
    hook = "https://discord.com/api/webhooks/123456789/abvsihdbau/slack"
    value = settings(
        "--notifications",
        "slack",
        "--notification-slack-hook-url",
        hook,
        "--notification-slack-identifier",
        "containrrrbot",
        "--notification-slack-icon-url",
        ICON_URL,
        "--notifications-delay",
        "7",
    )
    target = _apprise(value.urls[0])
    parts = urlsplit(target.url)
    assert parts.netloc == "containrrrbot@123456789"
    assert parse_qs(parts.query) == {"avatar_url": [ICON_URL]}
    assert value.delay == 7.0


HOOK = "https://hooks.slack.com/services/AAAAAAAAA/BBBBBBBBB/123456789123456789123456"


@pytest.mark.parametrize(
    ("case", "icon_flag", "icon"),
    [
        ("icon URL is specified", ["--notification-slack-icon-url", ICON_URL], ICON_URL),
        ("icon emoji is specified", ["--notification-slack-icon-emoji", "whale"], "whale"),
    ],
)
def test_slack_service_config(case: str, icon_flag: list[str], icon: str) -> None:
    """the slack notifier / converting a slack service config into a shoutrrr url."""
    value = settings(
        "--notifications",
        "slack",
        "--notification-slack-hook-url",
        HOOK,
        "--notification-slack-identifier",
        "containrrrbot",
        *icon_flag,
    )
    target = translate(value.urls[0])
    assert isinstance(target, ServiceTarget)
    assert target.url == HOOK
    assert dict(target.settings) == {"icon": icon, "botname": "containrrrbot"}


def test_the_slack_hook_url_is_empty() -> None:
    """the slack notifier / the hook URL is empty / should fatal with a clear message."""
    with pytest.raises(ConfigurationError, match="needs --notification-slack-hook-url"):
        settings("--notifications", "slack")


def test_gotify_service_config() -> None:
    """the gotify notifier / converting a gotify service config into a shoutrrr url."""
    value = settings(
        "--notifications",
        "gotify",
        "--notification-gotify-url",
        "https://my.gotify.tld/",
        "--notification-gotify-token",
        "aaa",
    )
    assert _apprise(value.urls[0]).url == "gotifys://my.gotify.tld/aaa"


def test_teams_service_config() -> None:
    """the teams notifier / converting a teams service config (a workflow URL)."""
    hook = (
        "https://default.environment.api.powerplatform.com/powerautomate/automations/direct/"
        "workflows/abc123/triggers/manual/paths/invoke?api-version=1"
        "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=XXXXXXXX"
    )
    value = settings("--notifications", "msteams", "--notification-msteams-hook", hook)
    target = _apprise(value.urls[0])
    assert target.url == ("workflows://default.environment.api.powerplatform.com/abc123/XXXXXXXX")


@pytest.mark.parametrize(
    ("case", "delay_flag"),
    [
        ("should set the from address in the URL", "--notifications-delay"),
        ("should return the expected URL", "--notification-email-delay"),
    ],
)
def test_email_service_config(case: str, delay_flag: str) -> None:
    """the email notifier / converting an email service config into a shoutrrr url."""
    value = settings(
        "--notifications",
        "email",
        "--notification-email-from",
        "sender@example.com",
        "--notification-email-to",
        "receiver@example.com",
        "--notification-email-server-user",
        "containrrrbot",
        "--notification-email-server-password",
        "secret-password",
        "--notification-email-server",
        "mail.watchtower.dev",
        delay_flag,
        "7",
    )
    target = translate(value.urls[0])
    assert isinstance(target, EmailTarget)
    assert (target.host, target.port) == ("mail.watchtower.dev", 25)
    assert (target.from_addr, target.to_addrs) == ("sender@example.com", ("receiver@example.com",))
    assert (target.username, target.password) == ("containrrrbot", "secret-password")
    assert target.from_name == "Watchtower"
    assert value.delay == 7.0


@pytest.mark.parametrize(
    ("case", "flags", "missing"),
    [
        (
            "should fatal when the from address is empty",
            [
                "--notification-email-to",
                "to@example.com",
                "--notification-email-server",
                "m.example.com",
            ],
            "--notification-email-from",
        ),
        (
            "should fatal when the to address is empty",
            [
                "--notification-email-from",
                "f@example.com",
                "--notification-email-server",
                "m.example.com",
            ],
            "--notification-email-to",
        ),
        (
            "should fatal when the server is empty",
            [
                "--notification-email-from",
                "f@example.com",
                "--notification-email-to",
                "t@example.com",
            ],
            "--notification-email-server",
        ),
    ],
)
def test_email_required_fields(case: str, flags: list[str], missing: str) -> None:
    """the email notifier / a required field is empty."""
    with pytest.raises(ConfigurationError, match=f"needs {missing}"):
        settings("--notifications", "email", *flags)
