"""The transport seam: one request in, one response out, in values of our own.

Everything above a :class:`Transport` is policy (redirects, retries, logins,
the registry API); a transport only moves bytes. It follows no redirect,
retries nothing and adds no header, so what it is asked is exactly what the
registry sees.
"""

from __future__ import annotations

import http
import urllib.parse
from collections.abc import Mapping

from attrs import field, frozen
from typing_extensions import Protocol, runtime_checkable

from ..errors import RegistryError


def _lower_keys(headers: Mapping[str, str]) -> Mapping[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _masked(headers: Mapping[str, str]) -> str:
    """``headers`` for a ``repr``: the login left out, should a request reach a log."""
    return repr({k: "***" if k.lower() == "authorization" else v for k, v in headers.items()})


@frozen
class Request:
    """One HTTP request, as sent.

    Attributes:
        method: ``GET``, ``HEAD`` or ``POST``.
        url: The absolute URL.
        headers: The headers to send, names as written.
        body: The body (the form of an OAuth token ``POST``), or empty.
        verify: Whether the server's TLS certificate must be checked: false
            only for registries the user marked insecure.
        deadline: Seconds this request may take in all, when the lookup it
            is part of has less left than the transport's own deadline;
            ``None``: the transport's own.

    Its ``repr`` leaves out the ``Authorization`` header and the body,
    which may hold a refresh token.
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(factory=dict, repr=_masked)
    body: bytes = field(default=b"", repr=False)
    verify: bool = True
    deadline: float | None = None

    def header(self, name: str) -> str | None:
        """The value of the header ``name`` (any case), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@frozen
class Response:
    """One HTTP response, its body read.

    Attributes:
        status: The status code.
        headers: The headers, names in lower case.
        body: The body; empty for ``HEAD``.
        reason: The reason phrase (``Not Found``), when the server sent one.
        url: The URL that gave this answer. A transport may leave it empty:
            the client sets it.
    """

    status: int
    headers: Mapping[str, str] = field(factory=dict, converter=_lower_keys)
    body: bytes = field(default=b"", repr=False)
    reason: str = ""
    url: str = ""


class TransportError(RegistryError):
    """A request got no HTTP answer: the host is unreachable, too slow, or TLS failed.

    Attributes:
        untrusted: True when TLS failed because the server's certificate is
            not trusted. A loopback registry whose TLS fails otherwise is
            asked again over plain HTTP; one with an untrusted certificate is
            not.
    """

    def __init__(self, message: str, *, untrusted: bool = False) -> None:
        super().__init__(message)
        self.untrusted = untrusted


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns its response; the seam under :class:`HttpRegistry`.

    :class:`~watchtower.registry.HttpRegistry` calls :meth:`send` from
    several threads at once, so a transport must be thread-safe.
    """

    def send(self, request: Request) -> Response:
        """Send ``request`` and return the answer, whatever its status.

        Follow no redirect and read at most 4 MiB of body: a registry's
        manifests, configs and token answers are far smaller.

        Raises:
            TransportError: No HTTP answer came; the message names the host.
            RegistryError: The body is larger than 4 MiB.
        """
        ...


def origin(url: str) -> tuple[str, str]:
    """The scheme and ``host[:port]`` of ``url``, lower case; both empty when unreadable."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # a server's text: "http://[oops/"
        return "", ""
    return parts.scheme.lower(), parts.netloc.lower()


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def status_error(response: Response, what: str) -> RegistryError:
    """The error for an answer that is not the one wanted; ``what`` names what was asked."""
    host = origin(response.url)[1] or "the registry"
    # A server's reason phrase is its own text: a few words are shown, not 64 KiB.
    reason = " ".join((response.reason or _phrase(response.status)).split())[:60]
    status = f"{response.status} {reason}".strip()
    if response.status == 404:
        return RegistryError(f"{host} has no {what.removeprefix('the ')} ({status}).")
    if response.status in (401, 403):
        return RegistryError(f"{host} refused access to {what} ({status}).")
    return RegistryError(f"{host} answered {status} for {what}.")
