"""What a notification URL delivers to: the targets, and :func:`translate`.

:func:`translate` reads one notification URL (Watchtower's, shoutrrr's):

* ``smtp://`` becomes an :class:`EmailTarget`;
* ``generic://`` and ``generic+http(s)://`` a :class:`WebhookTarget` (the raw
  message, or JSON with ``template=json``, as shoutrrr posts);
* ``logger://`` a :class:`LogTarget`;
* ``zulip://``, ``pagerduty://``, Teams connector URLs and Slack webhooks
  with an icon a :class:`ServiceTarget` (``_services``), posted as shoutrrr
  posts them;
* ``xmpp://`` an :class:`XmppTarget` (``_xmpp``);
* a shoutrrr service that apprise also has becomes an :class:`AppriseTarget`
  with apprise's URL (``telegram://`` → ``tgram://``, ``pushover://`` →
  ``pover://``, ...); the catalogue (``_catalogue.TRANSLATED``) lists them;
* ``apprise+<url>`` passes ``<url>`` to apprise untouched, and a scheme that
  is not shoutrrr's is given to apprise as it is;
* a shoutrrr URL with no apprise equivalent raises
  :class:`~watchtower.errors.ConfigurationError` naming the URL and why.

Messages name a URL with its credentials and path left out (``redact``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlencode, urlunsplit

from attrs import field, frozen

from ..errors import ConfigurationError
from ._catalogue import TRANSLATED, UNTRANSLATABLE
from ._services import NATIVE, ServiceTarget
from ._shoutrrr import Url, redact
from ._xmpp import XmppTarget, xmpp

__all__ = [
    "AppriseTarget",
    "EmailTarget",
    "LogTarget",
    "ServiceTarget",
    "Target",
    "WebhookTarget",
    "XmppTarget",
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

    url: str = field(repr=False)
    source: str
    native: bool = False


@frozen(kw_only=True)
class WebhookTarget:
    """Post the message to a URL, as shoutrrr's ``generic`` service does.

    The body is the message as it is, unless ``template=json`` asks for a
    JSON object of the title, the message and the ``$key=value`` extras.

    Attributes:
        url: Where to post.
        source: The URL it was translated from, redacted.
        headers: Extra headers (shoutrrr's ``@Header=value`` query values).
        method: The HTTP method.
        verify: False when ``insecureskipverify=yes``.
        json: True for ``template=json``.
        content_type: The ``Content-Type`` (shoutrrr's ``contenttype=``).
        title_key: The JSON key of the title (``titlekey=``).
        message_key: The JSON key of the message (``messagekey=``).
        extra: More JSON fields (``$key=value``).
    """

    url: str = field(repr=False)
    source: str
    headers: Mapping[str, str] = field(factory=dict, repr=False)
    method: str = "POST"
    verify: bool = True
    json: bool = False
    content_type: str = "application/json"
    title_key: str = "title"
    message_key: str = "message"
    extra: Mapping[str, str] = field(factory=dict)


@frozen(kw_only=True)
class EmailTarget:
    """Send e-mail (a shoutrrr ``smtp`` URL); the fields are :class:`EmailNotifier`'s."""

    source: str
    host: str
    port: int = 25
    from_addr: str
    to_addrs: tuple[str, ...]
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: str = "auto"
    implicit_tls: bool = False
    tls_skip_verify: bool = False
    from_name: str = "Watchtower"
    subject: str = ""


@frozen(kw_only=True)
class LogTarget:
    """Write to the log (a shoutrrr ``logger`` URL)."""

    source: str


Target: TypeAlias = (
    "AppriseTarget | WebhookTarget | EmailTarget | LogTarget | ServiceTarget | XmppTarget"
)
"""What :func:`translate` returns."""


_GENERIC_KEYS = frozenset({"disabletls", "title"})
_GENERIC_TEXT = {
    "contenttype": "content_type",
    "titlekey": "title_key",
    "messagekey": "message_key",
}


def _generic(u: Url) -> WebhookTarget:
    headers: dict[str, str] = {}
    forwarded: list[tuple[str, str]] = []
    settings: dict[str, Any] = {"extra": {}}
    shortcut = u.scheme.startswith("generic+")
    for key, value in parse_qsl(u.parts.query, keep_blank_values=True):
        lower = key.lower()
        if key.startswith("@"):
            name = "-".join(p[:1].upper() + p[1:] for p in key[1:].split("-"))
            headers[name] = value
        elif key.startswith("$"):
            settings["extra"][key[1:]] = value
        elif shortcut:
            # generic+https:// forwards every query value; _key escapes a reserved one.
            forwarded.append((key[1:] if key.startswith("_") else key, value))
        elif lower == "method":
            settings["method"] = value.upper()
        elif lower == "insecureskipverify":
            settings["verify"] = not u.yes("insecureskipverify")
        elif lower == "template":
            if value.lower() not in ("", "json"):
                raise u.fail(f"template={value} is not json (the only template shoutrrr has)")
            settings["json"] = value.lower() == "json"
        elif lower in _GENERIC_TEXT:
            settings[_GENERIC_TEXT[lower]] = value
        elif lower in _GENERIC_KEYS:
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
    return WebhookTarget(url=target, source=redact(u.raw), headers=headers, **settings)


_ENCRYPTION = {"auto": "auto", "none": "never", "explicittls": "always", "implicittls": "implicit"}


def _smtp(u: Url) -> EmailTarget:
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
    u = Url(url)
    if not u.scheme or "://" not in url:
        message = f"The notification URL {redact(url)} has no scheme (such as discord://)."
        raise ConfigurationError(message)
    if u.scheme == "smtp":
        return _smtp(u)
    if u.scheme == "generic" or u.scheme.startswith("generic+"):
        return _generic(u)
    if u.scheme == "logger":
        return LogTarget(source=redact(url))
    if u.scheme == "xmpp":
        return xmpp(u)
    if u.scheme in NATIVE:
        native = NATIVE[u.scheme](u)
        if native is not None:
            return native
    if u.scheme in UNTRANSLATABLE:
        raise u.fail(UNTRANSLATABLE[u.scheme])
    if u.scheme in TRANSLATED:
        return AppriseTarget(url=TRANSLATED[u.scheme](u), source=redact(url))
    return AppriseTarget(url=url, source=redact(url), native=True)
