"""shoutrrr services spoken natively: Zulip, PagerDuty, Teams connectors, Slack webhooks with icons.

apprise has no faithful equivalent of these shoutrrr URLs, so they are
posted as shoutrrr posts them:

``zulip://bot-mail:bot-key@host/?stream=s&topic=t``
    A form to ``https://host/api/v1/messages`` with the bot's basic auth;
    the title is the topic when the URL names none (``type=direct`` with
    ``to=`` sends a direct message).
``pagerduty://[host[:port]]/integration-key?severity=&source=&action=``
    An Events API v2 event to ``https://host:port/v2/enqueue``
    (``events.pagerduty.com:443`` by default); the message is its summary.
``teams://group@tenant/altId/groupOwner[/extraId]?host=org.webhook.office.com``
    The older Office 365 connector URLs (and ``teams://?host=<connector
    URL>``, what ``--notification-msteams-hook`` gives): a MessageCard, one
    section per line, posted to the connector's whole path (the newer
    connectors end in an extra segment after the group owner).
``slack://[botname@]token-a/token-b/token-c?icon=...``
    A Slack webhook whose icon is set (an emoji, or a URL): one attachment
    per line, with the bot name, channel, colour and icon.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from attrs import field, frozen

from ._apprise import NotificationError
from ._message import Message
from ._post import post
from ._shoutrrr import Url, redact

if TYPE_CHECKING:
    import requests

__all__ = ["NATIVE", "ServiceSender", "ServiceTarget"]


@frozen(kw_only=True)
class ServiceTarget:
    """Post to a service's own HTTP API, as shoutrrr does.

    Attributes:
        service: ``zulip``, ``pagerduty``, ``teams`` or ``slack``.
        source: The URL it was read from, redacted.
        url: The endpoint posted to.
        settings: The service's settings from the URL (stream, severity, icon, ...).
        auth: Basic-auth user and password, when the service uses them.
    """

    service: str
    source: str
    url: str
    settings: Mapping[str, str] = field(factory=dict)
    auth: tuple[str, str] | None = None


# --- reading the URLs ----------------------------------------------------------------------

_HOST = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,}(:[0-9]{1,5})?$")


def _zulip(u: Url) -> ServiceTarget:
    if not u.user or not u.password or not u.host:
        raise u.fail("a zulip URL reads zulip://bot-mail:bot-key@host/?stream=...")
    if not _HOST.match(u.hostport):
        raise u.fail(f"{u.hostport} is not a host name (zulip needs one, as shoutrrr does)")
    kind = u.query.get("type", "") or "channel"
    if kind not in ("channel", "direct"):
        raise u.fail(f"type={kind} is not channel or direct")
    if not (u.query.get("to") if kind == "direct" else "") and not u.query.get("stream"):
        raise u.fail("a zulip URL names its stream= (or type=direct and to=)")
    settings = {key: u.query[key] for key in ("stream", "topic", "title", "to") if u.query.get(key)}
    settings["type"] = kind
    if u.query.get("read_by_sender") == "true":
        settings["read_by_sender"] = "true"
    return ServiceTarget(
        service="zulip",
        source=redact(u.raw),
        url=f"https://{u.hostport}/api/v1/messages",
        settings=settings,
        auth=(u.user, u.password),
    )


_SEVERITIES = ("critical", "error", "warning", "info")
_ACTIONS = ("trigger", "acknowledge", "resolve")


def _pagerduty(u: Url) -> ServiceTarget:
    key = "/".join(u.segments)
    if not re.fullmatch(r"[a-fA-F0-9]{32}", key):
        raise u.fail("the integration key (the path) is not 32 hexadecimal digits")
    settings = {"severity": "error", "source": "default", "action": "trigger"}
    for name in ("severity", "source", "action", "dedup_key", "details", "client", "client_url"):
        if u.query.get(name):
            settings[name] = u.query[name]
    if settings["severity"] not in _SEVERITIES:
        raise u.fail(f"severity={settings['severity']} is not one of {', '.join(_SEVERITIES)}")
    if settings["action"] not in _ACTIONS:
        raise u.fail(f"action={settings['action']} is not one of {', '.join(_ACTIONS)}")
    if "details" in settings:
        try:
            json.loads(settings["details"])
        except ValueError:
            raise u.fail("details= is not JSON") from None
    host = u.host or "events.pagerduty.com"
    return ServiceTarget(
        service="pagerduty",
        source=redact(u.raw),
        url=f"https://{host}:{u.port or 443}/v2/enqueue",
        settings={**settings, "routing_key": key},
    )


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_CONNECTOR = re.compile(rf"({_UUID})@({_UUID})/[^/]+/([A-Za-z0-9]{{32}})/({_UUID})")
# The newer connectors' last segment (shoutrrr's extraId): any one path segment.
_EXTRA = re.compile(r"[^/?#]+")


def _teams(u: Url) -> ServiceTarget | None:
    host = u.query.get("host", "")
    settings = {key: u.query[key] for key in ("title", "color") if u.query.get(key)}
    if host.startswith("https://"):
        # --notification-msteams-hook: the connector's own URL; a workflow URL goes to apprise.
        hook = urlsplit(host)
        if _CONNECTOR.search(hook.path) is None or "/workflows/" in hook.path:
            return None
        # Posted to as given, whole path and all: the newer connectors' extraId is its last segment.
        url = f"https://{hook.netloc}{hook.path}"
        return ServiceTarget(service="teams", source=redact(u.raw), url=url, settings=settings)
    extra = ""
    if u.password:
        group, _, tenant = u.user.partition("@")
        parts = [group, tenant, u.password, u.host]
    elif u.user or len(u.segments) in (2, 3):
        parts = [u.user, u.host, *u.segments[:2]]
        extra = "/".join(u.segments[2:])
    else:
        return None
    if (
        len(parts) != 4
        or not all(
            re.fullmatch(pattern, part)
            for pattern, part in zip((_UUID, _UUID, r"[A-Za-z0-9]{32}", _UUID), parts, strict=True)
        )
        or (extra and not _EXTRA.fullmatch(extra))
    ):
        raise u.fail(
            "a Teams connector URL reads teams://group@tenant/altId/groupOwner[/extraId]?host=..."
        )
    host = host or "outlook.office.com"
    path = "webhook" if host == "outlook.office.com" else "webhookb2"
    group, tenant, alt_id, owner = parts
    url = f"https://{host}/{path}/{group}@{tenant}/IncomingWebhook/{alt_id}/{owner}"
    return ServiceTarget(
        service="teams",
        source=redact(u.raw),
        url=url + (f"/{quote(extra, safe='')}" if extra else ""),
        settings=settings,
    )


def _slack(u: Url) -> ServiceTarget | None:
    icon = u.query.get("icon") or u.query.get("icon_emoji") or u.query.get("icon_url") or ""
    if not icon:
        return None  # apprise delivers the rest
    if u.user.lower() == "hook" and u.host.lower() == "webhook":
        tokens, bot = u.password.split("-"), ""
    else:
        tokens, bot = [u.host, *u.segments], u.user
    if len(tokens) != 3 or not all(tokens) or u.user.lower() in ("xoxb", "xoxp"):
        raise u.fail("a slack URL with an icon is a webhook: slack://[bot@]token-a/token-b/token-c")
    settings = {"icon": icon, "botname": u.query.get("botname") or u.query.get("username") or bot}
    channel = u.query.get("channel", "") or u.fragment
    if channel and channel != "webhook":
        settings["channel"] = channel
    for key in ("color", "title", "thread_ts"):
        if u.query.get(key):
            settings[key] = u.query[key]
    path = "/".join(quote(t, safe="") for t in tokens)
    return ServiceTarget(
        service="slack",
        source=redact(u.raw),
        url=f"https://hooks.slack.com/services/{path}",
        settings={k: v for k, v in settings.items() if v},
    )


NATIVE: Mapping[str, Callable[[Url], ServiceTarget | None]] = {
    "zulip": _zulip,
    "pagerduty": _pagerduty,
    "teams": _teams,
    "slack": _slack,
}
"""shoutrrr schemes spoken here; a reader answering None leaves the URL to apprise."""


# --- the requests ---------------------------------------------------------------------------


def _zulip_form(settings: Mapping[str, str], message: Message) -> dict[str, Any]:
    topic, title, body = (
        settings.get("topic", ""),
        settings.get("title", message.title),
        message.body,
    )
    if not topic and title:
        topic, title = title, ""
    if title:
        body = f"{title}\n\n{body}"
    form = {"type": settings["type"], "content": body}
    if settings["type"] == "direct":
        recipients = settings.get("to") or settings.get("stream", "")
        form["to"] = json.dumps([r.strip() for r in recipients.split(",") if r.strip()])
    else:
        form["to"] = settings.get("stream", "")
        if topic:
            form["topic"] = topic
    if settings.get("read_by_sender"):
        form["read_by_sender"] = "true"
    return {"data": form}


def _pagerduty_json(settings: Mapping[str, str], message: Message) -> dict[str, Any]:
    event: dict[str, Any] = {
        "payload": {
            "summary": message.body[:1024],
            "severity": settings["severity"],
            "source": settings["source"],
        },
        "routing_key": settings["routing_key"],
        "event_action": settings["action"],
    }
    for key in ("dedup_key", "client", "client_url"):
        if settings.get(key):
            event[key] = settings[key]
    if settings.get("details"):
        event["details"] = json.loads(settings["details"])
    return {"json": event}


def _teams_json(settings: Mapping[str, str], message: Message) -> dict[str, Any]:
    lines = message.body.split("\n")
    sections = [{"text": line, "startGroup": False} for line in lines]
    title = settings.get("title", message.title)
    # shoutrrr's summary: the title, or the first line cut at 21 characters.
    summary = title or lines[0][:21]
    card: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "http://schema.org/extensions",
        "markdown": True,
        "summary": summary,
        "sections": sections,
    }
    if title:
        card["title"] = title
    if settings.get("color"):
        card["themeColor"] = settings["color"]
    return {"json": card}


def _slack_json(settings: Mapping[str, str], message: Message) -> dict[str, Any]:
    lines = message.body.split("\n")
    attachments = [{"text": line} for line in lines[:100]]
    if len(lines) > 100:
        attachments[-1]["text"] += "\n" + "\n".join(lines[100:])
    if attachments and not attachments[-1]["text"]:
        attachments.pop()
    if settings.get("color"):
        for attachment in attachments:
            attachment["color"] = settings["color"]
    payload: dict[str, Any] = {"text": settings.get("title", message.title)}
    payload["attachments"] = attachments
    for key, name in (("botname", "username"), ("channel", "channel"), ("thread_ts", "thread_ts")):
        if settings.get(key):
            payload[name] = settings[key]
    icon = settings["icon"]
    payload["icon_url" if re.match(r"https?://", icon) else "icon_emoji"] = icon
    return {"json": payload}


_BODIES: Mapping[str, Callable[[Mapping[str, str], Message], dict[str, Any]]] = {
    "zulip": _zulip_form,
    "pagerduty": _pagerduty_json,
    "teams": _teams_json,
    "slack": _slack_json,
}


class ServiceSender:
    """Posts each message to a :class:`ServiceTarget` as its service expects it.

    A status outside 2xx (for Slack, an answer other than empty or ``ok``)
    is a failure.

    Args:
        target: Where and what to post.
        session: A :class:`requests.Session`; one is made when not given.
        timeout: Seconds to wait for the service.
    """

    def __init__(
        self,
        target: ServiceTarget,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.target = target
        self._session = session
        self._timeout = timeout

    @property
    def name(self) -> str:
        """The service: ``zulip``, ``pagerduty``, ``teams`` or ``slack``."""
        return self.target.service

    def body(self, message: Message) -> dict[str, Any]:
        """``{"json": ...}`` or ``{"data": ...}``: what is posted for ``message``."""
        return _BODIES[self.target.service](self.target.settings, message)

    def send(self, message: Message) -> None:
        """Post ``message``.

        Raises:
            NotificationError: The service is unreachable or refused it; the
                URL is named without its secrets.
        """
        import requests

        if self._session is None:
            self._session = requests.Session()
        response = post(
            self._session,
            "POST",
            self.target.url,
            unreachable=f"{self.target.source} was not reached",
            auth=self.target.auth,
            timeout=self._timeout,
            **self.body(message),
        )
        answer = response.text.strip()
        refused = not 200 <= response.status_code < 300
        if self.target.service == "slack":
            refused = answer not in ("", "ok") or response.status_code != 200
        if refused:
            reason = f"{response.status_code} {response.reason}" + (
                f": {answer[:200]}" if answer else ""
            )
            raise NotificationError(f"{self.target.service} answered {reason}.")
