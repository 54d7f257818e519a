"""A notifier that posts JSON to a URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._apprise import NotificationError
from ._base import DEFAULT_TITLE, ReportNotifier
from ._message import Message
from ._post import post
from ._shoutrrr import redact
from ._templates import Template

if TYPE_CHECKING:
    import requests

__all__ = ["WebhookNotifier"]


class WebhookNotifier(ReportNotifier):
    """Posts each notification as a JSON document.

    The body is ``{"title": ..., "message": ..., "host": ..., "report": ...}``
    where ``message`` is the rendered text and ``report`` the run's
    :meth:`~watchtower.report.Report.to_dict` (``null`` for the startup
    message). A status of 400 or more is a failure.

    Args:
        url: Where to post (``http://`` or ``https://``).
        session: A :class:`requests.Session` to post with; one is made when
            not given.
        timeout: Seconds to wait for the receiver.
        headers: Extra request headers.
        method: The HTTP method.
        verify: False to accept any TLS certificate.
        template: The template :meth:`notify` renders with.
        title: The title :meth:`notify` uses.
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        verify: bool = True,
        template: Template | None = None,
        title: str = DEFAULT_TITLE,
    ) -> None:
        super().__init__(template=template, title=title)
        self.url = url
        self._session = session
        self._timeout = timeout
        self._headers = dict(headers or {})
        self._method = method.upper()
        self._verify = verify

    @property
    def name(self) -> str:
        """``webhook``."""
        return "webhook"

    def payload(self, message: Message) -> dict[str, Any]:
        """The JSON document posted for ``message``."""
        return {
            "title": message.title,
            "message": message.body,
            "host": message.host,
            "report": message.report.to_dict() if message.report is not None else None,
        }

    def send(self, message: Message) -> None:
        """Post ``message``.

        Raises:
            NotificationError: The receiver is unreachable or answered with an
                error status; the message names the URL without its path,
                query or credentials, which may hold a token.
        """
        import requests

        if self._session is None:
            self._session = requests.Session()
        response = post(
            self._session,
            self._method,
            self.url,
            unreachable=f"The webhook {redact(self.url)} could not be reached",
            json=self.payload(message),
            headers=self._headers,
            timeout=self._timeout,
            verify=self._verify,
        )
        if response.status_code >= 400:
            raise NotificationError(
                f"The webhook {redact(self.url)} answered {response.status_code} "
                f"{response.reason or ''}".rstrip()
                + "."
            )
