"""A notifier that delivers through apprise, the optional ``apprise`` extra."""

from __future__ import annotations

import logging
import weakref
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import ConfigurationError, WatchtowerError
from ._base import DEFAULT_TITLE, ReportNotifier
from ._message import Message
from ._shoutrrr import redact
from ._templates import Template

__all__ = ["AppriseNotifier", "NotificationError"]


class NotificationError(WatchtowerError):
    """A notification could not be delivered."""


def _load_apprise(url: str) -> Any:
    try:
        import apprise
    except ImportError:
        message = (
            f"The notification URL {url} needs apprise, which is not installed "
            "(install the 'apprise' extra: watchtower-updater[apprise])."
        )
        raise ConfigurationError(message) from None
    return apprise


def _secret_parts(url: str) -> set[str]:
    """The parts of ``url`` that may be secret: all but its scheme and network host."""
    try:
        parts = urlsplit(url)
        password = parts.password or ""
    except ValueError:
        return {url}
    found = {url, url.partition("://")[2], parts.netloc, password, parts.path, parts.query}
    found.update(unquote(s) for s in parts.path.split("/"))
    found.update(value for _, value in parse_qsl(parts.query))
    host = parts.netloc.rpartition("@")[2]
    if host not in redact(url):  # a token where the host goes
        found.add(host)
    # Short parts (a port, "json") say nothing and would hide too much.
    return {part for part in found if len(part) >= 6}


class _SecretHider(logging.Filter):
    """Rewrites apprise's log records with one URL's secret parts replaced by ``***``."""

    def __init__(self, url: str, shown: str) -> None:
        super().__init__()
        self._url, self._shown = url, shown
        self._parts = sorted(_secret_parts(url), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(part in text for part in self._parts):
            text = text.replace(self._url, self._shown)
            for part in self._parts:
                text = text.replace(part, "***")
            record.msg, record.args = text, None
        return True


class AppriseNotifier(ReportNotifier):
    """Delivers each notification to an apprise URL.

    apprise is imported when the notifier is made, not before.

    Args:
        url: An apprise URL (``discord://...``, ``tgram://...``, ``json://...``).
        shown: How to name the URL in messages (credentials left out); the URL
            with its credentials, path and query left out when not given.
        rejection: The message when apprise does not accept ``url``.
        template: The template :meth:`notify` renders with.
        title: The title :meth:`notify` uses.

    Raises:
        ConfigurationError: apprise is not installed, or does not accept ``url``.
    """

    def __init__(
        self,
        url: str,
        *,
        shown: str | None = None,
        rejection: str | None = None,
        template: Template | None = None,
        title: str = DEFAULT_TITLE,
    ) -> None:
        super().__init__(template=template, title=title)
        self.url = url
        self.shown = shown or redact(url)
        apprise = _load_apprise(self.shown)
        # apprise logs the URLs it is given, whole, at debug and trace level.
        hider = _SecretHider(url, self.shown)
        apprise_log = logging.getLogger("apprise")
        apprise_log.addFilter(hider)
        weakref.finalize(self, apprise_log.removeFilter, hider)
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            message = rejection or (
                f"apprise does not accept the notification URL {self.shown} (as "
                f"{url.split(':', 1)[0]}://; its log says whether the service needs a package)."
            )
            raise ConfigurationError(message)
        self._scheme = url.split(":", 1)[0]

    @property
    def name(self) -> str:
        """``apprise:<scheme>``."""
        return f"apprise:{self._scheme}"

    def send(self, message: Message) -> None:
        """Send ``message``.

        Raises:
            NotificationError: apprise reports that the delivery failed.
        """
        if not self._apprise.notify(body=message.body, title=message.title):
            raise NotificationError(f"apprise could not deliver to {self.shown}.")
