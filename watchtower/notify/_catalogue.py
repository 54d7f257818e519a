"""The catalogue of shoutrrr services that apprise also has: one translation each.

Each entry of :data:`TRANSLATED` turns a shoutrrr URL (Watchtower's
``--notification-url``) into apprise's URL for the same service;
:data:`UNTRANSLATABLE` says why the others cannot be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from ._shoutrrr import Url, hostport, q, with_query

__all__ = ["TRANSLATED", "UNTRANSLATABLE"]


def _discord(u: Url) -> str:
    if not u.user or not u.host:
        raise u.fail("a discord URL reads discord://token@webhookid")
    query = {}
    if u.query.get("thread_id"):
        query["thread"] = u.query["thread_id"]
    if u.query.get("avatar"):
        query["avatar_url"] = u.query["avatar"]
    bot = f"{q(u.query['username'])}@" if u.query.get("username") else ""
    return with_query(f"discord://{bot}{q(u.host)}/{q(u.user)}", query)


def _telegram(u: Url) -> str:
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
    targets = "/".join(q(c) for c in chats)
    return with_query(f"tgram://{token}/{targets}", query)


def _slack(u: Url) -> str:
    # An unescaped "#" in ?channel=#ops ends the query: the channel is the fragment.
    channel = u.query.get("channel", "") or u.fragment
    bot = u.query.get("botname", "")
    if u.user.lower() == "hook" and u.host.lower() == "webhook":
        tokens = u.password.split("-")
    elif u.user.lower() in ("xoxb", "xoxp"):
        token = f"{u.user}-{u.password}"
        channel = channel or u.host
        target = f"/%23{q(channel.lstrip('#'))}" if channel else ""
        return f"slack://{q(bot) + '@' if bot else ''}{token}{target}"
    else:
        tokens = [u.host, *u.segments]
        bot = bot or u.user
    if len(tokens) != 3 or not all(tokens):
        raise u.fail("a slack webhook URL reads slack://token-a/token-b/token-c")
    target = f"/%23{q(channel.lstrip('#'))}" if channel and channel != "webhook" else ""
    prefix = f"{q(bot)}@" if bot else ""
    return f"slack://{prefix}{'/'.join(q(t) for t in tokens)}{target}"


def _pushover(u: Url) -> str:
    if not u.password or not u.host:
        raise u.fail("a pushover URL reads pushover://shoutrrr:token@userkey")
    devices = "".join(f"/{q(d)}" for d in u.listed("devices"))
    query = {"priority": u.query["priority"]} if u.query.get("priority") else {}
    return with_query(f"pover://{q(u.host)}@{q(u.password)}{devices}", query)


def _gotify(u: Url) -> str:
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
    path = "".join(f"/{q(s)}" for s in segments)
    query = {}
    if u.query.get("priority"):
        query["priority"] = u.query["priority"]
    if u.yes("insecureskipverify"):
        query["verify"] = "no"
    return with_query(f"{scheme}://{hostport(u)}{path}/{q(token)}", query)


_NTFY_PRIORITIES = {"1": "min", "2": "low", "3": "default", "4": "high", "5": "max"}


def _ntfy(u: Url) -> str:
    if not u.host or not u.segments:
        raise u.fail("a ntfy URL reads ntfy://host/topic")
    plain = u.yes("disabletls") or u.query.get("scheme", "").lower() == "http"
    scheme = "ntfy" if plain else "ntfys"
    auth = ""
    if u.has_user:
        auth = f"{q(u.user)}:{q(u.password)}@" if u.password else f"{q(u.user)}@"
    query = {}
    if u.query.get("priority"):
        query["priority"] = _NTFY_PRIORITIES.get(u.query["priority"], u.query["priority"])
    if u.query.get("tags"):
        query["tags"] = u.query["tags"]
    return with_query(f"{scheme}://{auth}{hostport(u)}/{q(u.segments[0])}", query)


def _matrix(u: Url) -> str:
    if not u.host:
        raise u.fail("a matrix URL reads matrix://user:password@host")
    scheme = "matrix" if u.yes("disabletls") else "matrixs"
    auth = f"{q(u.user)}:{q(u.password)}@" if u.has_user else ""
    rooms = "".join(f"/{q(r)}" for r in u.listed("rooms", "room"))
    return f"{scheme}://{auth}{hostport(u)}{rooms}"


def _mattermost(u: Url) -> str:
    if not u.host or not u.segments:
        raise u.fail("a mattermost URL reads mattermost://[user@]host/token[/channel]")
    scheme = "mmost" if u.yes("disabletls") else "mmosts"
    bot = f"{q(u.user)}@" if u.user else ""
    query = {"channel": u.segments[1]} if len(u.segments) > 1 else {}
    return with_query(f"{scheme}://{bot}{hostport(u)}/{q(u.segments[0])}", query)


def _rocketchat(u: Url) -> str:
    if not u.host or len(u.segments) < 2:
        raise u.fail("a rocketchat URL reads rocketchat://[user@]host/token-a/token-b[/channel]")
    webhook = q(f"{u.segments[0]}/{u.segments[1]}")
    if len(u.segments) > 2:
        channel = u.segments[2]
        target = "/" + (q(channel) if channel.startswith("@") else "%23" + q(channel))
    elif u.fragment:
        target = "/%23" + q(u.fragment)
    else:
        target = ""
    query = {"avatar": "no"}
    if u.user:
        query["botname"] = u.user
    return with_query(f"rockets://{webhook}@{hostport(u)}{target}", query)


def _teams(u: Url) -> str:
    # Connector URLs are posted natively (_services); what is left is a workflow URL.
    workflow = u.query.get("host", "")
    if not workflow.startswith("https://"):
        raise u.fail("a Teams URL reads teams://?host=<workflow URL>")
    parts = urlsplit(workflow)
    path = [s for s in parts.path.split("/") if s]
    signature = dict(parse_qsl(parts.query)).get("sig", "")
    if "workflows" not in path or path.index("workflows") + 1 >= len(path) or not signature:
        raise u.fail("the workflow URL in host= has no /workflows/<id>/ path or no sig=")
    workflow_id = path[path.index("workflows") + 1]
    return f"workflows://{parts.netloc}/{q(workflow_id)}/{q(signature)}"


def _pushbullet(u: Url) -> str:
    if not u.host:
        raise u.fail("a pushbullet URL reads pushbullet://token[/targets]")
    targets = list(u.segments)
    if u.fragment:
        first, *rest = [t for t in u.fragment.split("/") if t]
        targets += [f"#{first}", *rest]
    return f"pbul://{q(u.host)}" + "".join(f"/{q(t)}" for t in targets)


def _join(u: Url) -> str:
    devices = u.listed("devices")
    if not u.password or not devices:
        raise u.fail("a join URL reads join://shoutrrr:api-key@join/?devices=...")
    return f"join://{q(u.password)}" + "".join(f"/{q(d)}" for d in devices)


def _ifttt(u: Url) -> str:
    events = u.listed("events")
    if not u.host or not events:
        raise u.fail("an ifttt URL reads ifttt://key/?events=...")
    return f"ifttt://{q(u.host)}" + "".join(f"/{q(e)}" for e in events)


def _opsgenie(u: Url) -> str:
    if not u.segments:
        raise u.fail("an opsgenie URL reads opsgenie://host/apikey")
    query = {"region": "eu"} if ".eu." in f".{u.host}." else {}
    return with_query(f"opsgenie://{q(u.segments[0])}", query)


def _twilio(u: Url) -> str:
    if not u.user or not u.password or not u.host or not u.segments:
        raise u.fail("a twilio URL reads twilio://sid:token@from/to")
    targets = "".join(f"/{q(t)}" for t in u.segments)
    return f"twilio://{q(u.user)}:{q(u.password)}@{q(u.host)}{targets}"


def _signal(u: Url) -> str:
    if not u.host or len(u.segments) < 2:
        raise u.fail("a signal URL reads signal://host/source/recipient")
    scheme = "signal" if u.yes("disabletls") else "signals"
    auth = ""
    if u.has_user:
        auth = f"{q(u.user)}:{q(u.password)}@" if u.password else f"{q(u.user)}@"
    recipients = [r for s in u.segments[1:] for r in s.split(",") if r]
    targets = "".join(f"/{q(r)}" for r in recipients)
    return f"{scheme}://{auth}{hostport(u)}/{q(u.segments[0])}{targets}"


def _lark(u: Url) -> str:
    if not u.segments:
        raise u.fail("a lark URL reads lark://host/token")
    if u.query.get("secret"):
        raise u.fail("apprise's lark:// does not sign messages with a secret")
    return f"lark://{q(u.segments[0])}"


def _wecom(u: Url) -> str:
    if not u.host:
        raise u.fail("a wecom URL reads wecom://key")
    # apprise's wecom:// is another service (Pushplus); its WeCom bot is wecombot://.
    return f"wecombot://{q(u.host)}"


def _notifiarr(u: Url) -> str:
    if not u.host:
        raise u.fail("a notifiarr URL reads notifiarr://apikey")
    channel = f"/{q(u.query['channel'])}" if u.query.get("channel") else ""
    return f"notifiarr://{q(u.host)}{channel}"


def _googlechat(u: Url) -> str:
    segments = u.segments
    key, token = u.query.get("key", ""), u.query.get("token", "")
    if "spaces" not in segments or segments.index("spaces") + 1 >= len(segments) or not key:
        raise u.fail("a googlechat URL reads googlechat://chat.googleapis.com/v1/spaces/...")
    space = segments[segments.index("spaces") + 1]
    return f"gchat://{q(space)}/{q(key)}/{q(token)}"


def _mqtt(u: Url) -> str:
    if not u.host or not u.segments:
        raise u.fail("an mqtt URL reads mqtt://host/topic")
    auth = ""
    if u.has_user:
        auth = f"{q(u.user)}:{q(u.password)}@" if u.password else f"{q(u.user)}@"
    topic = "/".join(q(s) for s in u.segments)
    scheme = "mqtt" if u.scheme == "mqtt" or u.yes("disabletls") else "mqtts"
    return f"{scheme}://{auth}{hostport(u)}/{topic}"


def _bark(u: Url) -> str:
    key = u.password or u.user
    if not u.host or not key:
        raise u.fail("a bark URL reads bark://:devicekey@host")
    scheme = "bark" if u.query.get("scheme", "").lower() == "http" else "barks"
    return f"{scheme}://{hostport(u)}/{q(key)}"


TRANSLATED: Mapping[str, Callable[[Url], str]] = {
    "bark": _bark,
    "discord": _discord,
    "gotify": _gotify,
    "googlechat": _googlechat,
    "hangouts": _googlechat,
    "ifttt": _ifttt,
    "join": _join,
    "lark": _lark,
    "matrix": _matrix,
    "mattermost": _mattermost,
    "mqtt": _mqtt,
    "mqtts": _mqtt,
    "notifiarr": _notifiarr,
    "ntfy": _ntfy,
    "opsgenie": _opsgenie,
    "pushbullet": _pushbullet,
    "pushover": _pushover,
    "rocketchat": _rocketchat,
    "signal": _signal,
    "slack": _slack,
    "teams": _teams,
    "telegram": _telegram,
    "twilio": _twilio,
    "wecom": _wecom,
}
"""Each shoutrrr scheme, and the function that writes apprise's URL for it."""

UNTRANSLATABLE: Mapping[str, str] = {
    "signalgrid": "shoutrrr's signalgrid URL has a form apprise's does not read; write the "
    "apprise URL as apprise+signalgrid://...",
    "dingding": "apprise's DingTalk URL differs in form; write it as apprise+dingtalk://...",
}
"""shoutrrr schemes with no apprise translation, and why."""
