"""Watchtower's notification URLs (shoutrrr's) turned into notifier settings.

:func:`translate` reads one ``--notification-url`` value:

* ``smtp://`` becomes an :class:`EmailTarget`;
* ``generic://`` and ``generic+http(s)://`` a :class:`WebhookTarget`;
* ``logger://`` a :class:`LogTarget`;
* a shoutrrr service that apprise also has becomes an :class:`AppriseTarget`
  with apprise's URL (``telegram://`` → ``tgram://``, ``pushover://`` →
  ``pover://``, ...); :data:`TRANSLATED` lists them;
* ``apprise+<url>`` passes ``<url>`` to apprise untouched, and a scheme that
  is not shoutrrr's is given to apprise as it is;
* a shoutrrr URL with no apprise equivalent raises
  :class:`~watchtower.errors.ConfigurationError` naming the URL and why
  (:data:`UNTRANSLATABLE`).

:func:`legacy_urls` turns the deprecated ``--notifications`` types and their
flags into the same URLs. Messages name a URL with its credentials and path
left out (:func:`redact`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from attrs import field, frozen

from ..errors import ConfigurationError

__all__ = [
    "TRANSLATED",
    "UNTRANSLATABLE",
    "AppriseTarget",
    "EmailTarget",
    "LogTarget",
    "Target",
    "WebhookTarget",
    "legacy_urls",
    "redact",
    "translate",
]


@frozen(kw_only=True)
class AppriseTarget:
    """Deliver through apprise.

    Attributes:
        url: The apprise URL.
        source: The URL it was translated from, redacted.
        native: True when the URL was given to apprise as it is.
    """

    url: str
    source: str
    native: bool = False


@frozen(kw_only=True)
class WebhookTarget:
    """Post JSON to a URL (a shoutrrr ``generic`` URL).

    Attributes:
        url: Where to post.
        source: The URL it was translated from, redacted.
        headers: Extra headers (shoutrrr's ``@Header=value`` query values).
        method: The HTTP method.
        verify: False when ``insecureskipverify=yes``.
    """

    url: str
    source: str
    headers: Mapping[str, str] = field(factory=dict)
    method: str = "POST"
    verify: bool = True


@frozen(kw_only=True)
class EmailTarget:
    """Send e-mail (a shoutrrr ``smtp`` URL); the fields are :class:`EmailNotifier`'s."""

    source: str
    host: str
    port: int = 25
    from_addr: str
    to_addrs: tuple[str, ...]
    username: str = ""
    password: str = ""
    starttls: str = "auto"
    implicit_tls: bool = False
    tls_skip_verify: bool = False
    from_name: str = "Watchtower"
    subject: str = ""


@frozen(kw_only=True)
class LogTarget:
    """Write to the log (a shoutrrr ``logger`` URL)."""

    source: str


Target: TypeAlias = "AppriseTarget | WebhookTarget | EmailTarget | LogTarget"
"""What :func:`translate` returns."""


def redact(url: str) -> str:
    """``url`` with credentials, path and query left out: ``discord://693853…/…``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url.partition(':')[0]}://…"
    host = parts.netloc.rpartition("@")[2]
    shown = f"{parts.scheme}://{'***@' if '@' in parts.netloc else ''}{host}"
    if parts.path.strip("/") or parts.query or parts.fragment:
        shown += "/…"
    return shown


class _Url:
    """A shoutrrr URL in parts, with case kept (``urlsplit`` lowercases hosts)."""

    def __init__(self, url: str) -> None:
        self.raw = url
        self.parts = urlsplit(url)
        self.scheme = self.parts.scheme.lower()
        userinfo, _, self.hostport = self.parts.netloc.rpartition("@")
        self.has_user = bool(userinfo)
        user, colon, password = userinfo.partition(":")
        self.user = unquote(user)
        self.password = unquote(password) if colon else ""
        self.host, _, port = self.hostport.partition(":")
        self.port = port
        self.segments = [unquote(s) for s in self.parts.path.split("/") if s]
        self.query = {k.lower(): v for k, v in parse_qsl(self.parts.query, keep_blank_values=True)}
        self.fragment = unquote(self.parts.fragment)

    def yes(self, key: str) -> bool:
        return self.query.get(key, "").lower() in ("yes", "true", "1", "on")

    def listed(self, *keys: str) -> list[str]:
        for key in keys:
            if self.query.get(key):
                return [v.strip() for v in self.query[key].split(",") if v.strip()]
        return []

    def fail(self, why: str) -> ConfigurationError:
        return ConfigurationError(f"The notification URL {redact(self.raw)} cannot be used: {why}.")


def _q(value: str) -> str:
    return quote(value, safe="")


def _hostport(u: _Url) -> str:
    return f"{u.host}:{u.port}" if u.port else u.host


def _with_query(url: str, query: Mapping[str, str]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def _discord(u: _Url) -> str:
    if not u.user or not u.host:
        raise u.fail("a discord URL reads discord://token@webhookid")
    query = {}
    if u.query.get("thread_id"):
        query["thread"] = u.query["thread_id"]
    if u.query.get("avatar"):
        query["avatar_url"] = u.query["avatar"]
    bot = f"{_q(u.query['username'])}@" if u.query.get("username") else ""
    return _with_query(f"discord://{bot}{_q(u.host)}/{_q(u.user)}", query)


def _telegram(u: _Url) -> str:
    token = f"{u.user}:{u.password}" if u.password else u.user
    chats = u.listed("chats", "channels")
    if not token or not chats:
        raise u.fail("a telegram URL reads telegram://token@telegram?chats=...")
    query = {}
    if u.query.get("parsemode"):
        query["format"] = {"html": "html", "markdown": "markdown", "markdownv2": "markdown"}.get(
            u.query["parsemode"].lower(), "text"
        )
    if u.query.get("notification", "").lower() == "no":
        query["silent"] = "yes"
    if u.query.get("preview", "").lower() == "no":
        query["preview"] = "no"
    targets = "/".join(_q(c) for c in chats)
    return _with_query(f"tgram://{token}/{targets}", query)


def _slack(u: _Url) -> str:
    # An unescaped "#" in ?channel=#ops ends the query: the channel is the fragment.
    channel = u.query.get("channel", "") or u.fragment
    bot = u.query.get("botname", "")
    if u.user.lower() == "hook" and u.host.lower() == "webhook":
        tokens = u.password.split("-")
    elif u.user.lower() in ("xoxb", "xoxp"):
        token = f"{u.user}-{u.password}"
        channel = channel or u.host
        target = f"/%23{_q(channel.lstrip('#'))}" if channel else ""
        return f"slack://{_q(bot) + '@' if bot else ''}{token}{target}"
    else:
        tokens = [u.host, *u.segments]
        bot = bot or u.user
    if len(tokens) != 3 or not all(tokens):
        raise u.fail("a slack webhook URL reads slack://token-a/token-b/token-c")
    target = f"/%23{_q(channel.lstrip('#'))}" if channel and channel != "webhook" else ""
    prefix = f"{_q(bot)}@" if bot else ""
    return f"slack://{prefix}{'/'.join(_q(t) for t in tokens)}{target}"


def _pushover(u: _Url) -> str:
    if not u.password or not u.host:
        raise u.fail("a pushover URL reads pushover://shoutrrr:token@userkey")
    devices = "".join(f"/{_q(d)}" for d in u.listed("devices"))
    query = {"priority": u.query["priority"]} if u.query.get("priority") else {}
    return _with_query(f"pover://{_q(u.host)}@{_q(u.password)}{devices}", query)


def _gotify(u: _Url) -> str:
    segments = list(u.segments)
    token = u.query.get("token", "")
    if token:
        if segments and segments[-1] == "message":
            segments.pop()
    elif segments:
        token = segments.pop()
    if not token or not u.host:
        raise u.fail("a gotify URL reads gotify://host/token")
    scheme = "gotify" if u.yes("disabletls") else "gotifys"
    path = "".join(f"/{_q(s)}" for s in segments)
    query = {}
    if u.query.get("priority"):
        query["priority"] = u.query["priority"]
    if u.yes("insecureskipverify"):
        query["verify"] = "no"
    return _with_query(f"{scheme}://{_hostport(u)}{path}/{_q(token)}", query)


_NTFY_PRIORITIES = {"1": "min", "2": "low", "3": "default", "4": "high", "5": "max"}


def _ntfy(u: _Url) -> str:
    if not u.host or not u.segments:
        raise u.fail("a ntfy URL reads ntfy://host/topic")
    plain = u.yes("disabletls") or u.query.get("scheme", "").lower() == "http"
    scheme = "ntfy" if plain else "ntfys"
    auth = ""
    if u.has_user:
        auth = f"{_q(u.user)}:{_q(u.password)}@" if u.password else f"{_q(u.user)}@"
    query = {}
    if u.query.get("priority"):
        query["priority"] = _NTFY_PRIORITIES.get(u.query["priority"], u.query["priority"])
    if u.query.get("tags"):
        query["tags"] = u.query["tags"]
    return _with_query(f"{scheme}://{auth}{_hostport(u)}/{_q(u.segments[0])}", query)


def _matrix(u: _Url) -> str:
    if not u.host:
        raise u.fail("a matrix URL reads matrix://user:password@host")
    scheme = "matrix" if u.yes("disabletls") else "matrixs"
    auth = f"{_q(u.user)}:{_q(u.password)}@" if u.has_user else ""
    rooms = "".join(f"/{_q(r)}" for r in u.listed("rooms", "room"))
    return f"{scheme}://{auth}{_hostport(u)}{rooms}"


def _mattermost(u: _Url) -> str:
    if not u.host or not u.segments:
        raise u.fail("a mattermost URL reads mattermost://[user@]host/token[/channel]")
    scheme = "mmost" if u.yes("disabletls") else "mmosts"
    bot = f"{_q(u.user)}@" if u.user else ""
    query = {"channel": u.segments[1]} if len(u.segments) > 1 else {}
    return _with_query(f"{scheme}://{bot}{_hostport(u)}/{_q(u.segments[0])}", query)


def _rocketchat(u: _Url) -> str:
    if not u.host or len(u.segments) < 2:
        raise u.fail("a rocketchat URL reads rocketchat://[user@]host/token-a/token-b[/channel]")
    webhook = _q(f"{u.segments[0]}/{u.segments[1]}")
    if len(u.segments) > 2:
        channel = u.segments[2]
        target = "/" + (_q(channel) if channel.startswith("@") else "%23" + _q(channel))
    elif u.fragment:
        target = "/%23" + _q(u.fragment)
    else:
        target = ""
    query = {"avatar": "no"}
    if u.user:
        query["botname"] = u.user
    return _with_query(f"rockets://{webhook}@{_hostport(u)}{target}", query)


def _teams(u: _Url) -> str:
    workflow = u.query.get("host", "")
    if not workflow.startswith("https://"):
        raise u.fail(
            "apprise has no equivalent of Office 365 connector webhooks, which Microsoft "
            "retired; use a Power Automate workflow URL (teams://?host=<workflow URL>)"
        )
    parts = urlsplit(workflow)
    path = [s for s in parts.path.split("/") if s]
    signature = dict(parse_qsl(parts.query)).get("sig", "")
    if "workflows" not in path or path.index("workflows") + 1 >= len(path) or not signature:
        raise u.fail("the workflow URL in host= has no /workflows/<id>/ path or no sig=")
    workflow_id = path[path.index("workflows") + 1]
    return f"workflows://{parts.netloc}/{_q(workflow_id)}/{_q(signature)}"


def _pushbullet(u: _Url) -> str:
    if not u.host:
        raise u.fail("a pushbullet URL reads pushbullet://token[/targets]")
    targets = list(u.segments)
    if u.fragment:
        first, *rest = [t for t in u.fragment.split("/") if t]
        targets += [f"#{first}", *rest]
    return f"pbul://{_q(u.host)}" + "".join(f"/{_q(t)}" for t in targets)


def _join(u: _Url) -> str:
    devices = u.listed("devices")
    if not u.password or not devices:
        raise u.fail("a join URL reads join://shoutrrr:api-key@join/?devices=...")
    return f"join://{_q(u.password)}" + "".join(f"/{_q(d)}" for d in devices)


def _ifttt(u: _Url) -> str:
    events = u.listed("events")
    if not u.host or not events:
        raise u.fail("an ifttt URL reads ifttt://key/?events=...")
    return f"ifttt://{_q(u.host)}" + "".join(f"/{_q(e)}" for e in events)


def _opsgenie(u: _Url) -> str:
    if not u.segments:
        raise u.fail("an opsgenie URL reads opsgenie://host/apikey")
    query = {"region": "eu"} if ".eu." in f".{u.host}." else {}
    return _with_query(f"opsgenie://{_q(u.segments[0])}", query)


def _twilio(u: _Url) -> str:
    if not u.user or not u.password or not u.host or not u.segments:
        raise u.fail("a twilio URL reads twilio://sid:token@from/to")
    targets = "".join(f"/{_q(t)}" for t in u.segments)
    return f"twilio://{_q(u.user)}:{_q(u.password)}@{_q(u.host)}{targets}"


def _signal(u: _Url) -> str:
    if not u.host or len(u.segments) < 2:
        raise u.fail("a signal URL reads signal://host/source/recipient")
    scheme = "signal" if u.yes("disabletls") else "signals"
    auth = ""
    if u.has_user:
        auth = f"{_q(u.user)}:{_q(u.password)}@" if u.password else f"{_q(u.user)}@"
    recipients = [r for s in u.segments[1:] for r in s.split(",") if r]
    targets = "".join(f"/{_q(r)}" for r in recipients)
    return f"{scheme}://{auth}{_hostport(u)}/{_q(u.segments[0])}{targets}"


def _lark(u: _Url) -> str:
    if not u.segments:
        raise u.fail("a lark URL reads lark://host/token")
    if u.query.get("secret"):
        raise u.fail("apprise's lark:// does not sign messages with a secret")
    return f"lark://{_q(u.segments[0])}"


def _wecom(u: _Url) -> str:
    if not u.host:
        raise u.fail("a wecom URL reads wecom://key")
    # apprise's wecom:// is another service (Pushplus); its WeCom bot is wecombot://.
    return f"wecombot://{_q(u.host)}"


def _notifiarr(u: _Url) -> str:
    if not u.host:
        raise u.fail("a notifiarr URL reads notifiarr://apikey")
    channel = f"/{_q(u.query['channel'])}" if u.query.get("channel") else ""
    return f"notifiarr://{_q(u.host)}{channel}"


def _googlechat(u: _Url) -> str:
    segments = u.segments
    key, token = u.query.get("key", ""), u.query.get("token", "")
    if "spaces" not in segments or segments.index("spaces") + 1 >= len(segments) or not key:
        raise u.fail("a googlechat URL reads googlechat://chat.googleapis.com/v1/spaces/...")
    space = segments[segments.index("spaces") + 1]
    return f"gchat://{_q(space)}/{_q(key)}/{_q(token)}"


def _mqtt(u: _Url) -> str:
    if not u.host or not u.segments:
        raise u.fail("an mqtt URL reads mqtt://host/topic")
    auth = ""
    if u.has_user:
        auth = f"{_q(u.user)}:{_q(u.password)}@" if u.password else f"{_q(u.user)}@"
    topic = "/".join(_q(s) for s in u.segments)
    scheme = "mqtt" if u.scheme == "mqtt" or u.yes("disabletls") else "mqtts"
    return f"{scheme}://{auth}{_hostport(u)}/{topic}"


def _bark(u: _Url) -> str:
    key = u.password or u.user
    if not u.host or not key:
        raise u.fail("a bark URL reads bark://:devicekey@host")
    scheme = "bark" if u.query.get("scheme", "").lower() == "http" else "barks"
    return f"{scheme}://{_hostport(u)}/{_q(key)}"


TRANSLATED: Mapping[str, tuple[str, Callable[[_Url], str]]] = {
    "bark": ("barks://", _bark),
    "discord": ("discord://", _discord),
    "gotify": ("gotifys://", _gotify),
    "googlechat": ("gchat://", _googlechat),
    "hangouts": ("gchat://", _googlechat),
    "ifttt": ("ifttt://", _ifttt),
    "join": ("join://", _join),
    "lark": ("lark://", _lark),
    "matrix": ("matrixs://", _matrix),
    "mattermost": ("mmosts://", _mattermost),
    "mqtt": ("mqtt://", _mqtt),
    "mqtts": ("mqtts://", _mqtt),
    "notifiarr": ("notifiarr://", _notifiarr),
    "ntfy": ("ntfys://", _ntfy),
    "opsgenie": ("opsgenie://", _opsgenie),
    "pushbullet": ("pbul://", _pushbullet),
    "pushover": ("pover://", _pushover),
    "rocketchat": ("rockets://", _rocketchat),
    "signal": ("signals://", _signal),
    "slack": ("slack://", _slack),
    "teams": ("workflows://", _teams),
    "telegram": ("tgram://", _telegram),
    "twilio": ("twilio://", _twilio),
    "wecom": ("wecombot://", _wecom),
}
"""Each shoutrrr scheme translated to apprise: the apprise scheme and the translation."""

UNTRANSLATABLE: Mapping[str, str] = {
    "pagerduty": (
        "apprise's PagerDuty needs an API key besides the integration key, and a "
        "shoutrrr URL carries only the integration key"
    ),
    "zulip": (
        "apprise names a Zulip bot by bot name and organization rather than by its "
        "e-mail address; write the apprise URL as apprise+zulip://..."
    ),
    "xmpp": "apprise's XMPP service is not available in a default apprise install",
    "signalgrid": "shoutrrr's signalgrid URL has a form apprise's does not read; write the "
    "apprise URL as apprise+signalgrid://...",
    "dingding": "apprise's DingTalk URL differs in form; write it as apprise+dingtalk://...",
}
"""shoutrrr schemes with no apprise translation, and why."""


_GENERIC_KEYS = frozenset(
    {"disabletls", "template", "title", "titlekey", "messagekey", "contenttype"}
)


def _generic(u: _Url) -> WebhookTarget:
    headers: dict[str, str] = {}
    forwarded: list[tuple[str, str]] = []
    method = "POST"
    verify = True
    shortcut = u.scheme.startswith("generic+")
    for key, value in parse_qsl(u.parts.query, keep_blank_values=True):
        if key.startswith("@"):
            name = "-".join(p[:1].upper() + p[1:] for p in key[1:].split("-"))
            headers[name] = value
        elif shortcut:
            # generic+https:// forwards every query value; _key escapes a reserved one.
            forwarded.append((key[1:] if key.startswith("_") else key, value))
        elif key.lower() == "method":
            method = value.upper()
        elif key.lower() == "insecureskipverify":
            verify = value.lower() not in ("yes", "true", "1")
        elif key.lower() in _GENERIC_KEYS or key.startswith("$"):
            # shoutrrr's own settings, and JSON-template fields we do not use.
            continue
        else:
            forwarded.append((key[1:] if key.startswith("_") else key, value))
    if shortcut:
        scheme = u.scheme.split("+", 1)[1]
        if scheme not in ("http", "https"):
            raise u.fail(f"generic+{scheme} is not generic+http or generic+https")
    else:
        scheme = "http" if u.yes("disabletls") else "https"
    if not u.hostport:
        raise u.fail("a generic URL names the host to post to")
    target = urlunsplit((scheme, u.hostport, u.parts.path, urlencode(forwarded), ""))
    return WebhookTarget(
        url=target, source=redact(u.raw), headers=headers, method=method, verify=verify
    )


_ENCRYPTION = {"auto": "auto", "none": "never", "explicittls": "always", "implicittls": "implicit"}


def _smtp(u: _Url) -> EmailTarget:
    if not u.host:
        raise u.fail("an smtp URL reads smtp://user:password@host:port/?fromaddress=...")
    from_addr = u.query.get("fromaddress") or u.query.get("from", "")
    to_addrs = tuple(u.listed("toaddresses", "to"))
    if not from_addr or not to_addrs:
        raise u.fail("an smtp URL needs fromaddress= and toaddresses=")
    encryption = _ENCRYPTION.get(u.query.get("encryption", "auto").lower())
    if encryption is None:
        raise u.fail("encryption= is not one of Auto, None, ExplicitTLS, ImplicitTLS")
    auth = u.query.get("auth", "unknown").lower()
    if auth not in ("unknown", "none", "plain", "login", "crammd5"):
        raise u.fail(f"auth={auth} is not supported (use Plain, Login, CRAMMD5 or None)")
    starttls = encryption if encryption in ("always", "never") else "auto"
    if encryption == "auto":
        if u.query.get("usestarttls", u.query.get("starttls", "yes")).lower() in ("no", "false"):
            starttls = "never"
        elif u.yes("requirestarttls"):
            starttls = "always"
    try:
        port = int(u.port) if u.port else (465 if encryption == "implicit" else 25)
    except ValueError:
        raise u.fail(f"the port {u.port!r} is not a number") from None
    return EmailTarget(
        source=redact(u.raw),
        host=u.host,
        port=port,
        from_addr=from_addr,
        to_addrs=to_addrs,
        username="" if auth == "none" else u.user,
        password="" if auth == "none" else u.password,
        starttls="never" if encryption == "implicit" else starttls,
        implicit_tls=encryption == "implicit",
        tls_skip_verify=u.yes("skiptlsverify"),
        from_name=u.query.get("fromname", "Watchtower"),
        subject=u.query.get("subject") or u.query.get("title", ""),
    )


def translate(url: str) -> Target:
    """What to deliver to for one ``--notification-url`` value.

    Raises:
        ConfigurationError: The URL has no scheme, or names a shoutrrr service
            that cannot be translated; the message names the URL and why.
    """
    url = url.strip()
    if url.lower().startswith("apprise+"):
        inner = url[len("apprise+") :]
        return AppriseTarget(url=inner, source=redact(inner), native=True)
    try:
        return _translate(url)
    except ValueError as exc:
        if isinstance(exc, ConfigurationError):
            raise
        message = f"The notification URL {redact(url)} is not a valid URL: {exc}."
        raise ConfigurationError(message) from None


def _translate(url: str) -> Target:
    u = _Url(url)
    if not u.scheme or "://" not in url:
        message = f"The notification URL {redact(url)} has no scheme (such as discord://)."
        raise ConfigurationError(message)
    if u.scheme == "smtp":
        return _smtp(u)
    if u.scheme == "generic" or u.scheme.startswith("generic+"):
        return _generic(u)
    if u.scheme == "logger":
        return LogTarget(source=redact(url))
    if u.scheme in UNTRANSLATABLE:
        raise u.fail(UNTRANSLATABLE[u.scheme])
    if u.scheme in TRANSLATED:
        return AppriseTarget(url=TRANSLATED[u.scheme][1](u), source=redact(url))
    return AppriseTarget(url=url, source=redact(url), native=True)


def _text(values: Mapping[str, Any], key: str, default: str = "") -> str:
    value = values.get(key, default)
    return default if value is None else str(value)


def _legacy_email(values: Mapping[str, Any]) -> str:
    server = _text(values, "notification_email_server")
    sender = _text(values, "notification_email_from")
    recipient = _text(values, "notification_email_to")
    for flag, value in (
        ("notification-email-server", server),
        ("notification-email-from", sender),
        ("notification-email-to", recipient),
    ):
        if not value:
            raise ConfigurationError(f"The email notification type needs --{flag}.")
    port = values.get("notification_email_server_port") or 25
    user = _text(values, "notification_email_server_user")
    password = _text(values, "notification_email_server_password")
    auth = f"{_q(user)}:{_q(password)}@" if user else ""
    query = {"fromaddress": sender, "toaddresses": recipient, "fromname": "Watchtower"}
    query["auth"] = "Plain" if user else "None"
    if values.get("notification_email_server_tls_skip_verify"):
        query["skiptlsverify"] = "yes"
    return f"smtp://{auth}{server}:{port}/?{urlencode(query)}"


def _legacy_slack(values: Mapping[str, Any]) -> str:
    hook = _text(values, "notification_slack_hook_url")
    if not hook:
        raise ConfigurationError("The slack notification type needs --notification-slack-hook-url.")
    parts = urlsplit(hook)
    path = [s for s in parts.path.split("/") if s]
    identifier = _text(values, "notification_slack_identifier", "watchtower")
    if parts.hostname in ("discord.com", "discordapp.com") and "webhooks" in path:
        at = path.index("webhooks")
        if len(path) < at + 3:
            raise ConfigurationError("--notification-slack-hook-url is not a Discord webhook URL.")
        query = {"username": identifier} if identifier else {}
        return _with_query(f"discord://{path[at + 2]}@{path[at + 1]}", query)
    if len(path) < 4 or path[0] != "services":
        message = "--notification-slack-hook-url is not a Slack hooks URL (.../services/A/B/C)."
        raise ConfigurationError(message)
    query = {}
    if identifier:
        query["botname"] = identifier
    channel = _text(values, "notification_slack_channel")
    if channel:
        query["channel"] = channel
    return _with_query(f"slack://hook:{'-'.join(path[1:4])}@webhook", query)


def _legacy_msteams(values: Mapping[str, Any]) -> str:
    hook = _text(values, "notification_msteams_hook")
    if not hook.startswith("https://"):
        message = "The msteams notification type needs an https --notification-msteams-hook."
        raise ConfigurationError(message)
    return f"teams://?{urlencode({'host': hook})}"


def _legacy_gotify(values: Mapping[str, Any]) -> str:
    base = _text(values, "notification_gotify_url")
    token = _text(values, "notification_gotify_token")
    if not base or not token:
        message = "The gotify notification type needs --notification-gotify-url and -token."
        raise ConfigurationError(message)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"--notification-gotify-url {base!r} is not an http(s) URL.")
    query = {}
    if parts.scheme == "http":
        query["disabletls"] = "yes"
    if values.get("notification_gotify_tls_skip_verify"):
        query["insecureskipverify"] = "yes"
    path = parts.path.rstrip("/")
    return _with_query(f"gotify://{parts.netloc}{path}/{_q(token)}", query)


_LEGACY: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "email": _legacy_email,
    "slack": _legacy_slack,
    "msteams": _legacy_msteams,
    "gotify": _legacy_gotify,
}


def legacy_urls(types: Sequence[str], values: Mapping[str, Any]) -> list[str]:
    """The shoutrrr URLs of the deprecated ``--notifications`` types.

    ``types`` are ``email``, ``slack``, ``msteams``, ``gotify`` (and
    ``shoutrrr``, which adds nothing); ``values`` holds their flags under the
    keys :meth:`~watchtower.notify.Notifications.from_options` documents.
    The Slack icon flags are read but have no apprise equivalent, so they
    change nothing.

    Raises:
        ConfigurationError: An unknown type, or a type whose flags are missing.
    """
    urls = []
    for kind in types:
        kind = kind.strip().lower()
        if kind in ("", "shoutrrr"):
            continue
        if kind not in _LEGACY:
            choices = "email, slack, msteams, gotify, shoutrrr"
            message = f"--notifications {kind!r} is not one of {choices}."
            raise ConfigurationError(message)
        urls.append(_LEGACY[kind](values))
    return urls
