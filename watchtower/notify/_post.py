"""Posting a notification over HTTP, with requests' errors named but never repeated.

requests' own messages quote the URL, whose path or query may hold a token,
so a failure says only which kind of error it was, and does not keep
requests' exception as its cause (a traceback would print it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._apprise import NotificationError

if TYPE_CHECKING:
    import requests


def post(
    session: requests.Session, method: str, url: str, *, unreachable: str, **options: Any
) -> requests.Response:
    """``session.request(method, url, **options)``.

    Raises:
        NotificationError: The receiver could not be reached: ``unreachable``
            (a sentence without secrets) and the kind of error.
    """
    import requests

    try:
        return session.request(method, url, **options)
    except requests.RequestException as error:
        raise NotificationError(f"{unreachable} ({type(error).__name__}).") from None
