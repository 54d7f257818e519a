"""Watchtower's notification URLs (shoutrrr's) translated to apprise, webhook and e-mail."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower.cli.legacy_notifications import legacy_urls
from watchtower.cli.notifications import settings_from_flags
from watchtower.errors import ConfigurationError
from watchtower.notify import Notifications
from watchtower.notify._catalogue import TRANSLATED
from watchtower.notify._shoutrrr import redact
from watchtower.notify._targets import (
    AppriseTarget,
    EmailTarget,
    LogTarget,
    WebhookTarget,
    translate,
)

WORKFLOW = (
    "https%3A%2F%2Fprod-00.westus.logic.azure.com%3A443%2Fworkflows%2Fabc123%2Ftriggers%2F"
    "manual%2Fpaths%2Finvoke%3Fapi-version%3D2016-06-00%26sv%3D1.0%26sig%3DXXXXXXXX"
)

APPRISE = [
    ("discord://tok@123456?thread_id=42", "discord://123456/tok?thread=42"),
    ("discord://tok@123456?username=wt", "discord://wt@123456/tok"),
    (
        "telegram://110201543:AAHdqTcvCH1vGWJx@telegram?chats=@chan,12345",
        "tgram://110201543:AAHdqTcvCH1vGWJx/%40chan/12345",
    ),
    ("slack://bot@AAAA/BBBB/CCCC", "slack://bot@AAAA/BBBB/CCCC"),
    ("slack://AAAA/BBBB/CCCC?channel=#ops", "slack://AAAA/BBBB/CCCC/%23ops"),
    (
        "slack://hook:WNA3PBYV6-F20DUQND3RQ-Webc4MAvoacrpPak@webhook?channel=%23ops&botname=wt",
        "slack://wt@WNA3PBYV6/F20DUQND3RQ/Webc4MAvoacrpPak/%23ops",
    ),
    (
        "slack://xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N@C001CH4NN3L",
        "slack://xoxb-123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N/%23C001CH4NN3L",
    ),
    (
        "pushover://shoutrrr:azGDORePK8gMaC0QOYAMyEEuzJnyUi@uQiRzpo4DXghDmr9QzzfQu27cmVRsG/"
        "?devices=phone,tablet&priority=1",
        "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi/phone/tablet"
        "?priority=1",
    ),
    ("gotify://gotify.example.com/AzyoeNS.D4iJLVa", "gotifys://gotify.example.com/AzyoeNS.D4iJLVa"),
    (
        "gotify://gotify.example.com:8080/sub/message?token=Azy&disabletls=yes"
        "&insecureskipverify=yes",
        "gotify://gotify.example.com:8080/sub/Azy?verify=no",
    ),
    ("ntfy://user:pw@ntfy.sh/mytopic?priority=4", "ntfys://user:pw@ntfy.sh/mytopic?priority=high"),
    ("ntfy://ntfy.local:8080/t?disabletls=yes", "ntfy://ntfy.local:8080/t"),
    (
        "matrix://user:pw@matrix.example.com:8448/?rooms=!abc:example.com,%23general:example.com",
        "matrixs://user:pw@matrix.example.com:8448/%21abc%3Aexample.com/%23general%3Aexample.com",
    ),
    (
        "mattermost://bot@mm.example.com/bywsw8zt5jgpte3nm65qjiru6h/town",
        "mmosts://bot@mm.example.com/bywsw8zt5jgpte3nm65qjiru6h?channel=town",
    ),
    (
        "rocketchat://bot@rc.example.com/8eGdRzc9r4YYNyvge/2XYQcX9NBwJBKfQnph/general",
        "rockets://8eGdRzc9r4YYNyvge%2F2XYQcX9NBwJBKfQnph@rc.example.com/%23general"
        "?avatar=no&botname=bot",
    ),
    (f"teams://?host={WORKFLOW}", "workflows://prod-00.westus.logic.azure.com:443/abc123/XXXXXXXX"),
    ("pushbullet://o.abcdefTOKEN/device1", "pbul://o.abcdefTOKEN/device1"),
    (
        "join://shoutrrr:abcdefabcdefabcdefabcdefabcdef12@join/?devices=dev1,dev2",
        "join://abcdefabcdefabcdefabcdefabcdef12/dev1/dev2",
    ),
    ("ifttt://WebHookKey123/?events=ev1,ev2", "ifttt://WebHookKey123/ev1/ev2"),
    (
        "opsgenie://api.eu.opsgenie.com/eb243592-faa2-4ba2-a551-1afdf565c889",
        "opsgenie://eb243592-faa2-4ba2-a551-1afdf565c889?region=eu",
    ),
    (
        "twilio://ACaaaa:token123@+15551234567/+15559876543",
        "twilio://ACaaaa:token123@%2B15551234567/%2B15559876543",
    ),
    (
        "signal://user:pw@signal.example.com:8080/+15551234567/+15559876543,+15551111111",
        "signals://user:pw@signal.example.com:8080/%2B15551234567/%2B15559876543/%2B15551111111",
    ),
    ("lark://open.larksuite.com/abc123", "lark://abc123"),
    ("wecom://693axxx6-7aoc", "wecombot://693axxx6-7aoc"),
    ("notifiarr://apikey123?channel=1234", "notifiarr://apikey123/1234"),
    (
        "googlechat://chat.googleapis.com/v1/spaces/FOO/messages?key=bar&token=baz",
        "gchat://FOO/bar/baz",
    ),
    (
        "hangouts://chat.googleapis.com/v1/spaces/FOO/messages?key=bar&token=baz",
        "gchat://FOO/bar/baz",
    ),
    (
        "mqtt://user:pw@broker.example.com:1883/wt/updates",
        "mqtt://user:pw@broker.example.com:1883/wt/updates",
    ),
    ("mqtts://broker.example.com/wt", "mqtts://broker.example.com/wt"),
    ("bark://:devicekey123@api.day.app", "barks://api.day.app/devicekey123"),
]


@pytest.mark.parametrize(("shoutrrr", "apprise"), APPRISE)
def test_shoutrrr_urls_translate_to_apprise(shoutrrr: str, apprise: str) -> None:
    target = translate(shoutrrr)
    assert isinstance(target, AppriseTarget)
    assert (target.url, target.native) == (apprise, False)


def test_every_translated_scheme_is_in_the_table() -> None:
    tested = {url.split(":", 1)[0] for url, _ in APPRISE}
    assert tested == set(TRANSLATED)


@pytest.mark.parametrize(("shoutrrr", "apprise"), APPRISE)
def test_apprise_accepts_every_translation(shoutrrr: str, apprise: str) -> None:
    library = pytest.importorskip("apprise")
    if apprise.startswith("mqtt"):
        pytest.importorskip("paho.mqtt", reason="apprise's MQTT needs paho-mqtt")
    assert library.Apprise().add(apprise)


UNTRANSLATABLE = [
    (
        "pagerduty://events.pagerduty.com/eb243592",
        "pagerduty://events.pagerduty.com/…",
        "32 hexadecimal digits",
    ),
    (
        "pagerduty://events.pagerduty.com/" + "a" * 32 + "?severity=bad",
        "pagerduty://events.pagerduty.com/…",
        "severity=bad is not one of critical, error, warning, info",
    ),
    (
        "teams://group@tenant/altId/groupOwner?host=org.webhook.office.com",
        "teams://***@***/…",
        "teams://group@tenant/altId/groupOwner",
    ),
    ("teams://?host=https%3A%2F%2Fexample.test%2Fhook", "teams:///…", "/workflows/"),
    (
        "zulip://bot%40example.com:key@example.zulipchat.com",
        "zulip://***@example.zulipchat.com",
        "stream=",
    ),
    (
        "zulip://bot%40example.com:key@127.0.0.1?stream=a",
        "zulip://***@127.0.0.1/…",
        "not a host name",
    ),
    ("slack://hook:a-b@webhook?icon=:ghost:", "slack://***@***/…", "is a webhook"),
    ("xmpp://user:pw@example.com", "xmpp://***@example.com", "toaddress="),
    ("lark://open.larksuite.com/abc?secret=s", "lark://open.larksuite.com/…", "secret"),
    ("discord://123456", "discord://***", "discord://token@webhookid"),
    ("telegram://tok@telegram", "telegram://***@***", "chats="),
    ("slack://a/b", "slack://***/…", "token-a/token-b/token-c"),
    ("gotify://gotify.example.com", "gotify://gotify.example.com", "gotify://host/token"),
    (
        "smtp://mail.example.com/?toaddresses=a@example.test",
        "smtp://mail.example.com/…",
        "fromaddress=",
    ),
    (
        "smtp://mail.example.com/?from=a@example.test&to=b@example.test&auth=OAuth2",
        "smtp://mail.example.com/…",
        "auth=oauth2",
    ),
    ("generic+ftp://example.com/x", "generic+ftp://example.com/…", "generic+http"),
    ("no-scheme-here", "://", "no scheme"),
]


@pytest.mark.parametrize(("url", "shown", "why"), UNTRANSLATABLE)
def test_untranslatable_urls_say_which_and_why(url: str, shown: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        translate(url)
    message = str(caught.value)
    assert shown in message
    assert why in message
    for secret in ("pw@", "eb243592", "tok@"):
        assert secret not in message


def test_unknown_schemes_pass_to_apprise_and_apprise_plus_is_untouched() -> None:
    assert translate("json://127.0.0.1:9/x") == AppriseTarget(
        url="json://127.0.0.1:9/x", source="json://127.0.0.1:9/…", native=True
    )
    target = translate("apprise+zulip://bot@org/token")
    assert isinstance(target, AppriseTarget)
    assert (target.url, target.native) == ("zulip://bot@org/token", True)


def test_a_scheme_neither_shoutrrr_nor_apprise_knows_is_refused_when_built() -> None:
    pytest.importorskip("apprise")
    with pytest.raises(ConfigurationError, match="'nosuch' is neither a shoutrrr service"):
        Notifications(
            settings_from_flags({"notification_url": ["nosuch://host/x"]}, hostname_default="box"),
            logger=logging.getLogger("tests"),
        )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "generic://example.com/api/hook?@authorization=Bearer%20t&foo=bar&template=json",
            WebhookTarget(
                url="https://example.com/api/hook?foo=bar",
                source="generic://example.com/…",
                headers={"Authorization": "Bearer t"},
                json=True,
            ),
        ),
        (
            "generic://example.com/x?template=JSON&titlekey=t&messagekey=m&contenttype=text/plain"
            "&$a=1",
            WebhookTarget(
                url="https://example.com/x",
                source="generic://example.com/…",
                json=True,
                title_key="t",
                message_key="m",
                content_type="text/plain",
                extra={"a": "1"},
            ),
        ),
        (
            "generic://127.0.0.1:8080/x?disabletls=yes&method=put&_method=keep",
            WebhookTarget(
                url="http://127.0.0.1:8080/x?method=keep",
                source="generic://127.0.0.1:8080/…",
                method="PUT",
            ),
        ),
        (
            "generic+https://example.com/api/v1/postStuff?contenttype=text/plain&@X-A=1",
            WebhookTarget(
                url="https://example.com/api/v1/postStuff?contenttype=text%2Fplain",
                source="generic+https://example.com/…",
                headers={"X-A": "1"},
            ),
        ),
    ],
)
def test_generic_urls_become_webhooks(url: str, expected: WebhookTarget) -> None:
    assert translate(url) == expected


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        (
            "smtp://user:p%40ss@mail.example.com:587/?fromaddress=wt@example.test"
            "&toaddresses=a@example.test,b@example.test&subject=Updates",
            {
                "host": "mail.example.com",
                "port": 587,
                "username": "user",
                "password": "p@ss",
                "to_addrs": ("a@example.test", "b@example.test"),
                "starttls": "auto",
                "subject": "Updates",
                "implicit_tls": False,
            },
        ),
        (
            "smtp://mail.example.com/?from=wt@example.test&to=a@example.test&encryption=ImplicitTLS",
            {"port": 465, "implicit_tls": True, "starttls": "never"},
        ),
        (
            "smtp://mail.example.com/?from=a@x.test&to=b@x.test&usestarttls=no",
            {"port": 25, "starttls": "never"},
        ),
        (
            "smtp://mail.example.com/?from=a@x.test&to=b@x.test&requirestarttls=yes"
            "&skiptlsverify=yes",
            {"starttls": "always", "tls_skip_verify": True},
        ),
        (
            "smtp://u:p@mail.example.com/?from=a@x.test&to=b@x.test&auth=None",
            {"username": "", "password": ""},
        ),
    ],
)
def test_smtp_urls_become_email_settings(url: str, fields: dict) -> None:
    target = translate(url)
    assert isinstance(target, EmailTarget)
    assert {key: getattr(target, key) for key in fields} == fields


def test_logger_url_is_the_log() -> None:
    assert translate("logger://") == LogTarget(source="logger://")


@pytest.mark.parametrize(
    ("types", "values", "expected"),
    [
        (
            ["email"],
            {
                "notification_email_server": "mail.example.com",
                "notification_email_server_port": 587,
                "notification_email_from": "wt@example.test",
                "notification_email_to": "ops@example.test",
                "notification_email_server_user": "u",
                "notification_email_server_password": "p w",
                "notification_email_server_tls_skip_verify": True,
            },
            "smtp://u:p%20w@mail.example.com:587/?fromaddress=wt%40example.test"
            "&toaddresses=ops%40example.test&fromname=Watchtower&auth=Plain&skiptlsverify=yes",
        ),
        (
            ["slack"],
            {
                "notification_slack_hook_url": "https://hooks.slack.com/services/A1/B2/C3",
                "notification_slack_identifier": "wt",
                "notification_slack_channel": "#ops",
            },
            "slack://hook:A1-B2-C3@webhook?botname=wt&channel=%23ops",
        ),
        (
            ["slack"],
            {"notification_slack_hook_url": "https://discord.com/api/webhooks/123/tok/slack"},
            "discord://tok@123?username=watchtower",
        ),
        (
            ["msteams"],
            {"notification_msteams_hook": "https://example.test/workflows/w1/x?sig=s"},
            "teams://?host=https%3A%2F%2Fexample.test%2Fworkflows%2Fw1%2Fx%3Fsig%3Ds",
        ),
        (
            ["gotify", "shoutrrr"],
            {
                "notification_gotify_url": "http://gotify.local:8080/",
                "notification_gotify_token": "tok",
                "notification_gotify_tls_skip_verify": True,
            },
            "gotify://gotify.local:8080/tok?disabletls=yes&insecureskipverify=yes",
        ),
    ],
)
def test_legacy_flags_become_urls(types: list[str], values: dict, expected: str) -> None:
    assert legacy_urls(types, values) == [expected]


def test_legacy_urls_translate_end_to_end() -> None:
    (slack,) = legacy_urls(
        ["slack"],
        {
            "notification_slack_hook_url": "https://hooks.slack.com/services/A1/B2/C3",
            "notification_slack_identifier": "wt",
        },
    )
    (gotify,) = legacy_urls(
        ["gotify"],
        {
            "notification_gotify_url": "https://g.example.com/base",
            "notification_gotify_token": "tok",
        },
    )
    assert translate(slack) == AppriseTarget(url="slack://wt@A1/B2/C3", source="slack://***@***/…")
    assert isinstance(translate(gotify), AppriseTarget)
    assert translate(gotify).url == "gotifys://g.example.com/base/tok"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("discord://token@12345?thread_id=9", "discord://***@***/…"),
        ("ntfy://ntfy.sh", "ntfy://ntfy.sh"),
        ("ntfy://user:pw@ntfy.example.com:8443/topic", "ntfy://***@ntfy.example.com:8443/…"),
        ("generic://127.0.0.1:8080/hook?token=s3cret", "generic://127.0.0.1:8080/…"),
        # A token where the host goes is hidden: the services' own forms...
        ("pushbullet://o.abcdEFG1234567890abcdef/dev", "pushbullet://***/…"),
        ("slack://xoxb-123/B456/secret789", "slack://***/…"),
        ("telegram://123456:AAE-bot-token@telegram?chats=1", "telegram://***@***/…"),
        ("ifttt://webhook-key/?events=e", "ifttt://***/…"),
        ("wecom://0123-4567-89ab", "wecom://***"),
        ("notifiarr://api-key-1234", "notifiarr://***"),
        # ... and anything that is not plainly a network name or address.
        ("someservice://Tok3nWithCase", "someservice://***"),
        ("someservice://" + "a" * 70 + ".example.com", "someservice://***"),
    ],
)
def test_redact_keeps_scheme_and_network_host_only(url: str, shown: str) -> None:
    assert redact(url) == shown


_SCHEMES = st.sampled_from(
    [*TRANSLATED, "smtp", "generic", "generic+https", "logger", "pagerduty", "zulip", "json"]
)
_TEXT = st.text(alphabet="abc:/@?&=#%[]+-._!,0123456789 ", max_size=40)


@given(scheme=_SCHEMES, rest=_TEXT)
def test_translate_answers_a_target_or_one_configuration_error(scheme: str, rest: str) -> None:
    url = f"{scheme}://{rest}"
    try:
        target = translate(url)
    except ConfigurationError as exc:
        assert "\n" not in str(exc)
        assert str(exc).endswith(".")
    else:
        assert isinstance(target, (AppriseTarget, WebhookTarget, EmailTarget, LogTarget))


@given(
    user=st.text(alphabet="abcXYZ019-_", min_size=1, max_size=12),
    secret=st.text(alphabet="abcXYZ019-_", min_size=8, max_size=20),
    host=st.from_regex(r"[a-z]{1,10}\.example\.com", fullmatch=True),
)
def test_redact_never_shows_credentials(user: str, secret: str, host: str) -> None:
    shown = redact(f"ntfy://{user}:{secret}@{host}/{secret}?token={secret}")
    assert secret not in shown
    assert shown == f"ntfy://***@{host}/…"
