"""A shoutrrr URL taken apart, and how a URL is named in messages (:func:`redact`)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .._text import parse_bool
from ..errors import ConfigurationError

__all__ = ["Url", "hostport", "q", "redact", "with_query"]


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
