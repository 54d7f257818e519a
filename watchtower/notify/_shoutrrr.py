"""A shoutrrr URL taken apart, and how a URL is named in messages (:func:`redact`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .._text import parse_bool
from ..errors import ConfigurationError

__all__ = ["Url", "hostport", "q", "redact", "with_query"]


_DNS_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}", re.ASCII)
_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\]|localhost", re.ASCII)


# Services whose URL keeps a token where the host goes, however it looks.
_TOKEN_HOSTS = frozenset(
    {
        "discord",
        "ifttt",
        "join",
        "notifiarr",
        "pushbullet",
        "pushover",
        "slack",
        "telegram",
        "wecom",
    }
)


def _shown_host(hostport: str) -> str:
    """A URL's ``host[:port]`` as it may be shown: a name or address, else ``***``.

    Many services keep a token where the host goes (``slack://token-a/...``,
    ``pushbullet://token``, ``ifttt://key``): what is not plainly a network
    name or address is taken for one.
    """
    host, _, port = hostport.rpartition(":") if not hostport.endswith("]") else (hostport, "", "")
    if not host or not port.isdigit():
        host, port = hostport, ""
    if _DNS_NAME.fullmatch(host.lower()) or _ADDRESS.fullmatch(host.lower()):
        return hostport
    return "***" if host else ""


def redact(url: str) -> str:
    """``url`` with credentials, path, query and a token-like host left out.

    ``discord://token@12345`` reads ``discord://***@***``,
    ``smtp://user:pw@mail.example.com/?to=a`` reads ``smtp://***@mail.example.com/…``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{url.partition(':')[0][:20]}://…"
    host = parts.netloc.rpartition("@")[2]
    host = "***" if host and parts.scheme.lower() in _TOKEN_HOSTS else _shown_host(host)
    shown = f"{parts.scheme}://{'***@' if '@' in parts.netloc else ''}{host}"
    if parts.path.strip("/") or parts.query or parts.fragment:
        shown += "/…"
    return shown


class Url:
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
        """True when query value ``key`` says yes; missing or unreadable is no."""
        try:
            return parse_bool(self.query.get(key, ""))
        except ValueError:
            return False

    def listed(self, *keys: str) -> list[str]:
        """The comma-separated values of the first of ``keys`` the query has."""
        for key in keys:
            if self.query.get(key):
                return [v.strip() for v in self.query[key].split(",") if v.strip()]
        return []

    def fail(self, why: str) -> ConfigurationError:
        """The error for this URL, naming it (redacted) and ``why``."""
        return ConfigurationError(f"The notification URL {redact(self.raw)} cannot be used: {why}.")


def q(value: str) -> str:
    """``value`` quoted to stand as one URL part (``/`` included)."""
    return quote(value, safe="")


def hostport(u: Url) -> str:
    """``host:port``, or the host alone when the URL names no port."""
    return f"{u.host}:{u.port}" if u.port else u.host


def with_query(url: str, query: Mapping[str, str]) -> str:
    """``url`` with ``query`` appended, when there is one."""
    return f"{url}?{urlencode(query)}" if query else url
