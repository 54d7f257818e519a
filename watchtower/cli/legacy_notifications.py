"""The deprecated ``--notifications`` types' flags turned into notification URLs.

Watchtower still reads ``--notifications email,slack,msteams,gotify`` and
their own flags; :func:`legacy_urls` writes each as the notification URL
that says the same, so that one sender serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote, urlencode, urlsplit

from ..errors import ConfigurationError
from .values import default_notification_flags

__all__ = ["legacy_urls"]

Values = Mapping[str, object]
"""Flag values by key; each is the flag's type, or text when given loosely."""


def _text(values: Values, key: str) -> str:
    return str(values[key] or "")


def _q(value: str) -> str:
    return quote(value, safe="")


def _with_query(url: str, query: Mapping[str, str]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


def _legacy_email(values: Values) -> str:
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
    port = _text(values, "notification_email_server_port") or "25"
    user = _text(values, "notification_email_server_user")
    password = _text(values, "notification_email_server_password")
    auth = f"{_q(user)}:{_q(password)}@" if user else ""
    query = {"fromaddress": sender, "toaddresses": recipient, "fromname": "Watchtower"}
    query["auth"] = "Plain" if user else "None"
    if values["notification_email_server_tls_skip_verify"]:
        query["skiptlsverify"] = "yes"
    return f"smtp://{auth}{server}:{port}/?{urlencode(query)}"


def _legacy_slack(values: Values) -> str:
    hook = _text(values, "notification_slack_hook_url")
    if not hook:
        raise ConfigurationError("The slack notification type needs --notification-slack-hook-url.")
    parts = urlsplit(hook)
    path = [s for s in parts.path.split("/") if s]
    identifier = _text(values, "notification_slack_identifier")
    # Watchtower: the icon URL wins over the emoji.
    icon_url = _text(values, "notification_slack_icon_url")
    icon = icon_url or _text(values, "notification_slack_icon_emoji")
    if parts.hostname in ("discord.com", "discordapp.com") and "webhooks" in path:
        at = path.index("webhooks")
        if len(path) < at + 3:
            raise ConfigurationError("--notification-slack-hook-url is not a Discord webhook URL.")
        query = {"username": identifier} if identifier else {}
        if icon_url:
            query["avatar"] = icon_url
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
    if icon:
        query["icon"] = icon
    return _with_query(f"slack://hook:{'-'.join(path[1:4])}@webhook", query)


def _legacy_msteams(values: Values) -> str:
    hook = _text(values, "notification_msteams_hook")
    if not hook.startswith("https://"):
        message = "The msteams notification type needs an https --notification-msteams-hook."
        raise ConfigurationError(message)
    return f"teams://?{urlencode({'host': hook})}"


def _legacy_gotify(values: Values) -> str:
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
    if values["notification_gotify_tls_skip_verify"]:
        query["insecureskipverify"] = "yes"
    path = parts.path.rstrip("/")
    return _with_query(f"gotify://{parts.netloc}{path}/{_q(token)}", query)


_LEGACY: Mapping[str, Callable[[Values], str]] = {
    "email": _legacy_email,
    "slack": _legacy_slack,
    "msteams": _legacy_msteams,
    "gotify": _legacy_gotify,
}


def legacy_urls(types: Sequence[str], values: Values) -> list[str]:
    """The notification URLs of the deprecated ``--notifications`` types.

    ``types`` are ``email``, ``slack``, ``msteams``, ``gotify`` (and
    ``shoutrrr``, which adds nothing); ``values`` holds their flags
    (``notification_email_*``, ``notification_slack_*``,
    ``notification_msteams_hook``, ``notification_gotify_*``), a missing
    one taking its default. The Slack icon flags set the icon (the URL
    wins over the emoji; for a Discord hook, the URL is the avatar).

    Raises:
        ConfigurationError: An unknown type, or a type whose flags are missing.
    """
    values = {**default_notification_flags(), **values}
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
