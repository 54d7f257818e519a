"""A sender that posts to a shoutrrr ``generic`` URL as shoutrrr does."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ._apprise import NotificationError
from ._message import Message
from ._post import post
from ._targets import WebhookTarget

if TYPE_CHECKING:
    import requests

__all__ = ["GenericSender"]


class GenericSender:
    """Posts each message to a :class:`WebhookTarget`.

    The body is the message text (with the ``Content-Type`` the URL names,
    ``application/json`` unless told otherwise, as shoutrrr sends it), or
    for ``template=json`` a JSON object of the title (when there is one),
    the message and the URL's ``$key=value`` extras. A status of 300 or more
    is a failure, as in shoutrrr.

    Args:
        target: Where and how to post.
        session: A :class:`requests.Session`; one is made when not given.
        timeout: Seconds to wait for the receiver.
    """

    def __init__(
        self,
        target: WebhookTarget,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.target = target
        self._session = session
        self._timeout = timeout

    @property
    def name(self) -> str:
        """``generic``."""
        return "generic"

    def payload(self, message: Message) -> bytes:
        """The body posted for ``message``."""
        if not self.target.json:
            return message.body.encode()
        document = dict(self.target.extra)
        if message.title:
            document[self.target.title_key] = message.title
        document[self.target.message_key] = message.body
        return json.dumps(document).encode()

    def send(self, message: Message) -> None:
        """Post ``message``.

        Raises:
            NotificationError: The receiver is unreachable or answered with
                a status of 300 or more; the URL is named without its secrets.
        """
        import requests

        if self._session is None:
            self._session = requests.Session()
        content_type = self.target.content_type
        headers = {"Content-Type": content_type, "Accept": content_type, **self.target.headers}
        response = post(
            self._session,
            self.target.method,
            self.target.url,
            unreachable=f"{self.target.source} was not reached",
            data=self.payload(message),
            headers=headers,
            timeout=self._timeout,
            verify=self.target.verify,
        )
        if response.status_code >= 300:
            reason = f"{response.status_code} {response.reason}"
            raise NotificationError(f"{self.target.source} answered {reason}.")
