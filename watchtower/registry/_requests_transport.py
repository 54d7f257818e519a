"""The default transport: requests on one session with a connection pool.

This is the only module of the package that imports requests.
"""

from __future__ import annotations

import contextlib
import ssl
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MissingExtraError, RegistryError

try:
    import requests
except ImportError as missing:
    raise MissingExtraError.for_extra(
        "The registry's default transport (RequestsTransport)", "registry", missing
    ) from None
from ._deadline import DeadlineAdapter, Watch, watch
from ._tls import is_verification_error, registry_contexts, tls_version, validate_ca_bundle
from ._transport import Request, Response, TransportError, origin

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs

MAX_BODY = 4 << 20  # what Transport.send promises to read at most
DEFAULT_DEADLINE = 60.0
"""Seconds one registry request may take in all, by default."""
_CHUNK = 65536


class RequestsTransport:
    """Sends requests with :mod:`requests`, on one session whose pool all threads share.

    Thread-safe: a :class:`requests.Session` may be shared by threads for
    plain requests like these.

    Args:
        session: The session to use, with your own adapters or proxies; one
            with a connection pool of ``pool_size`` per host is made when
            omitted.
        ca_bundle: A PEM file of CA certificates trusted in addition to the
            system's. Checked now: a bad bundle raises at once. With your own
            ``session`` it is requests' ``verify`` and replaces the trust of
            that session instead.
        tls_min_version: The oldest TLS version spoken: ``TLS1.0`` to
            ``TLS1.3``; for a session made here.
        timeout: Seconds to connect, and seconds to wait for an answer; one
            number for both.
        pool_size: Connections kept per host in a session made here.
        deadline: Seconds one request may take in all, its body read: a
            server that drips its answer fails then, like one that does
            not answer. In a session of your own the deadline is checked
            between chunks of the body only.

    Raises:
        ConfigurationError: ``ca_bundle`` is not a usable CA file, or
            ``tls_min_version`` no TLS version.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        ca_bundle: str | Path | None = None,
        tls_min_version: str = "TLS1.2",
        timeout: float | tuple[float, float] = (10.0, 30.0),
        pool_size: int = 16,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        bundle = validate_ca_bundle(ca_bundle) if ca_bundle is not None else None
        minimum = tls_version(tls_min_version)
        # A session of ours carries the trust in its contexts; a given one gets requests' verify.
        self._ca_bundle: str | None = None
        if session is None:
            session = requests.Session()
            adapter = _TLSAdapter(
                registry_contexts(bundle, minimum),
                pool_connections=pool_size,
                pool_maxsize=pool_size,
            )
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        elif bundle is not None:
            self._ca_bundle = str(bundle)
        self._session = session
        self._timeout = timeout
        self._deadline = deadline

    def send(self, request: Request) -> Response:
        """Send ``request`` without following redirects; see :meth:`Transport.send`."""
        verify: bool | str = (self._ca_bundle or True) if request.verify else False
        seconds = self._deadline
        timeout = self._timeout
        if request.deadline is not None and request.deadline < seconds:
            # What the lookup has left: neither connecting nor waiting may outlast it.
            seconds = max(request.deadline, 0.001)
            timeout = _capped(timeout, seconds)
        ends = time.monotonic() + seconds
        with (
            watch(seconds) as current,
            self._past_deadline(request, current, seconds),
            self._mapped_errors(request, timeout),
        ):
            answer = self._session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body or None,
                timeout=timeout,
                verify=verify,
                allow_redirects=False,
                stream=True,
            )
            with answer:
                # Read even a HEAD's (empty) body: closing an unread answer
                # closes its connection instead of returning it to the pool.
                body = _read(answer, request, ends)
                if current.expired:
                    raise _TooSlow  # a body cut short may look complete
        return Response(answer.status_code, answer.headers, body, answer.reason or "", request.url)

    @contextlib.contextmanager
    def _past_deadline(self, request: Request, current: Watch, seconds: float) -> Iterator[None]:
        """Name the deadline when it is what ended the request."""
        try:
            yield
        except (TransportError, _TooSlow) as error:
            if not (current.expired or isinstance(error, _TooSlow)):
                raise
            host = origin(request.url)[1]
            path = urllib.parse.urlsplit(request.url).path
            raise TransportError(
                f"{host} did not finish answering {request.method} {path} within {seconds:g}s."
            ) from error

    @contextlib.contextmanager
    def _mapped_errors(
        self, request: Request, timeout: float | tuple[float, float]
    ) -> Iterator[None]:
        """Turn requests' exceptions into one :class:`TransportError` sentence each."""
        host = origin(request.url)[1]
        try:
            yield
        except requests.exceptions.SSLError as error:
            if is_verification_error(error):
                raise TransportError(
                    f"The TLS certificate of {host} is not trusted; give its CA bundle "
                    "or mark it insecure.",
                    untrusted=True,
                ) from error
            raise TransportError(
                f"The TLS handshake with {host} failed (is it serving plain HTTP?)."
            ) from error
        except requests.exceptions.Timeout as error:
            read = timeout[1] if isinstance(timeout, tuple) else timeout
            path = urllib.parse.urlsplit(request.url).path
            raise TransportError(
                f"{host} did not answer {request.method} {path} within {read:g}s."
            ) from error
        except (
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as error:
            path = urllib.parse.urlsplit(request.url).path
            raise TransportError(
                f"{host} broke off its answer to {request.method} {path} ({type(error).__name__})."
            ) from error
        except requests.exceptions.RequestException as error:
            raise TransportError(f"{host} could not be reached: {type(error).__name__}.") from error


class _TLSAdapter(DeadlineAdapter):
    """Cut at the deadline, and HTTPS pools on the registry contexts: verifying or not."""

    def __init__(self, contexts: tuple[ssl.SSLContext, ssl.SSLContext], **options: Any) -> None:
        self._verified, self._unverified = contexts
        super().__init__(**options)

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if host["scheme"] == "https":
            pool["ssl_context"] = self._verified if verify else self._unverified
        return host, pool


def _capped(timeout: float | tuple[float, float], seconds: float) -> tuple[float, float]:
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return min(connect, seconds), min(read, seconds)


class _TooSlow(Exception):
    """The deadline passed between two chunks of a body."""


def _read(answer: requests.Response, request: Request, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_content(_CHUNK):
        if time.monotonic() > deadline:
            raise _TooSlow
        size += len(chunk)
        if size > MAX_BODY:
            host = origin(request.url)[1]
            path = urllib.parse.urlsplit(request.url).path
            raise RegistryError(
                f"{host} answered {request.method} {path} with more than {MAX_BODY >> 20} MiB."
            )
        chunks.append(chunk)
    return b"".join(chunks)
