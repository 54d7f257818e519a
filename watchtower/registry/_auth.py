"""Logging in to registries: challenges, Basic auth, the token flow, and where a login may go.

A registry says how it wants us to log in by answering ``GET /v2/`` with 401
and a ``WWW-Authenticate`` challenge, asked once per registry and
remembered. ``Basic`` gets the login itself; ``Bearer`` gets a token from
the realm the challenge names, cached per repository and login for its
lifetime. The rules of where a login may go live here too:

- a login goes to the registry it belongs to, or to its token realm over
  HTTPS (plain HTTP only on loopback or for a registry marked insecure);
- a redirect to another origin (another host or port, or HTTPS to HTTP) carries no
  ``Authorization`` (:func:`redirect_headers`).
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Collection, Mapping

import attrs
from attrs import frozen
from typing_extensions import Protocol

from .._text import load_json
from ..clock import Clock
from ..errors import RegistryError
from ..model import ImageRef
from ._challenge import Challenge, MalformedChallengeError, parse_challenges, pick_challenge
from ._credentials import Credentials, CredentialSource
from ._hosts import api_host, is_listed, plain_http_allowed
from ._tokens import Token, TokenCache, TokenKey, token_from_answer
from ._transport import Response, TransportError, origin, status_error

log = logging.getLogger("watchtower.registry")

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def redirect_headers(
    headers: Mapping[str, str], first: tuple[str, str], target: str
) -> dict[str, str]:
    """The headers that follow a redirect to ``target`` from a request first sent to ``first``.

    ``Authorization`` stays only while the target has the first URL's
    scheme and host (:func:`~watchtower.registry._transport.origin`): a login
    never goes to another host, nor from HTTPS to plain HTTP.
    """
    if origin(target) == first:
        return dict(headers)
    kept = {name: value for name, value in headers.items() if name.lower() != "authorization"}
    if len(kept) < len(headers):
        log.debug("redirect %s -> %s: Authorization dropped", first[1], origin(target)[1])
    return kept


def challenge_from(host: str, header: str) -> Challenge:
    """The challenge to answer among those in ``host``'s ``WWW-Authenticate`` header.

    Raises:
        RegistryError: The header is malformed, names no scheme we speak, or
            a Bearer realm that is not an HTTP URL.
    """
    try:
        challenges = parse_challenges(header)
    except MalformedChallengeError as error:
        raise RegistryError(
            f"The registry {host} sent a malformed WWW-Authenticate header: {error}."
        ) from error
    chosen = pick_challenge(challenges)
    if chosen is None:
        schemes = ", ".join(c.scheme for c in challenges)
        raise RegistryError(f"The registry {host} asks for an unsupported auth scheme ({schemes}).")
    if chosen.scheme == "bearer":
        realm = chosen.realm or ""
        scheme, netloc = origin(realm)
        if scheme not in ("http", "https") or not netloc:
            raise RegistryError(
                f"The registry {host} sent a Bearer challenge whose "
                f"realm {realm!r} is not an HTTP URL."
            )
    return chosen


class Send(Protocol):
    """One logical request: :meth:`watchtower.registry._http.Sender.send`."""

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Response:
        """Send it, redirects followed and 429s retried."""
        ...


@frozen
class _Endpoint:
    """What a registry's ``/v2/`` said: how to reach it and how it wants us to log in."""

    host: str
    scheme: str
    challenge: Challenge | None

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"


@frozen
class _Auth:
    """The ``Authorization`` for one request, and the cached token it came from."""

    header: str | None = attrs.field(default=None, repr=False)
    key: TokenKey | None = None
    token: Token | None = None


class Authenticator:
    """Sends requests to registries with the login each asks for. Thread-safe.

    Args:
        send: Sends one logical request.
        credentials: Where logins come from.
        tokens: Where Bearer tokens are kept.
        insecure: Hosts that may be spoken to over plain HTTP.
        clock: The current time, for token lifetimes.
    """

    def __init__(
        self,
        send: Send,
        credentials: CredentialSource,
        tokens: TokenCache,
        *,
        insecure: Collection[str],
        clock: Clock,
    ) -> None:
        self._send = send
        self._credentials = credentials
        self._tokens = tokens
        self._insecure = insecure
        self._clock = clock
        self._lock = threading.Lock()
        self._endpoints: dict[str, _Endpoint] = {}
        self._endpoint_locks: dict[str, threading.Lock] = {}

    def send(
        self, method: str, ref: ImageRef, url_path: str, headers: Mapping[str, str]
    ) -> Response:
        """Send a request to ``ref``'s registry with the login it asks for.

        A 401 is answered once: the token is dropped, the challenge in the
        401 is taken as the registry's new one, and the request is sent again.

        Raises:
            RegistryError: The registry's challenge is unusable, no login is
                configured where one is needed, or the token server refused.
        """
        for attempt in (1, 2):
            endpoint = self._endpoint(ref.domain)
            auth = self._authorization(endpoint, ref)
            with_login = dict(headers)
            if auth.header is not None:
                with_login["Authorization"] = auth.header
            response = self._send(method, endpoint.base + url_path, with_login)
            if response.status != 401 or attempt == 2:
                return response
            if auth.key is not None:
                self._tokens.invalidate(auth.key, auth.token)
            header = response.headers.get("www-authenticate")
            if not header:
                return response
            challenge = challenge_from(endpoint.host, header)
            if challenge == endpoint.challenge and auth.key is None:
                return response  # the same challenge, and nothing cached to drop
            with self._lock:
                self._endpoints[endpoint.host] = attrs.evolve(endpoint, challenge=challenge)
        raise AssertionError("unreachable")

    # -- the /v2/ challenge ------------------------------------------------------

    def _endpoint(self, domain: str) -> _Endpoint:
        host = api_host(domain)
        with self._lock:
            found = self._endpoints.get(host)
            if found is not None:
                return found
            lock = self._endpoint_locks.setdefault(host, threading.Lock())
        with lock:
            with self._lock:
                found = self._endpoints.get(host)
            if found is None:
                found = self._probe(host)
                with self._lock:
                    self._endpoints[host] = found
            return found

    def _probe(self, host: str) -> _Endpoint:
        """Ask ``/v2/`` once: over HTTPS, or plain HTTP where allowed and TLS is not spoken."""
        endpoint = _Endpoint(host, "https", None)
        try:
            response = self._send("GET", f"https://{host}/v2/", {})
        except TransportError as error:
            if not plain_http_allowed(host, self._insecure):
                raise
            if error.untrusted and not is_listed(host, self._insecure):
                raise
            log.debug("%s does not speak TLS; using plain HTTP", host)
            endpoint = _Endpoint(host, "http", None)
            response = self._send("GET", f"http://{host}/v2/", {})
        if response.status == 200:
            return endpoint
        if response.status == 401:
            header = response.headers.get("www-authenticate")
            if not header:
                raise RegistryError(
                    f"The registry {host} answered 401 without a WWW-Authenticate challenge."
                )
            return attrs.evolve(endpoint, challenge=challenge_from(host, header))
        raise status_error(response, f"the API root of {host}")

    # -- logins and tokens -------------------------------------------------------

    def _authorization(self, endpoint: _Endpoint, ref: ImageRef) -> _Auth:
        challenge = endpoint.challenge
        if challenge is None:
            return _Auth()  # the registry lets anyone in: no login is sent
        credentials = self._credentials.credentials_for(ref.domain)
        if challenge.scheme == "basic":
            if credentials is None:
                raise RegistryError(
                    f"The registry {ref.domain} asks for a login and none is configured for it."
                )
            return _Auth(credentials.basic_authorization())
        realm = challenge.realm or ""
        # As the fork: a challenge without a service names its realm's host.
        service = challenge.service or origin(realm)[1]
        scope = f"repository:{ref.path}:pull"
        if credentials is not None:
            scheme, netloc = origin(realm)
            if scheme != "https" and not plain_http_allowed(netloc, self._insecure):
                raise RegistryError(
                    f"The registry {ref.domain} names the plain-HTTP token realm {realm}; "
                    "its login is only sent over HTTPS."
                )
        identity = credentials.identity if credentials is not None else ""
        key = TokenKey(endpoint.host, realm, service, scope, identity)
        token = self._tokens.get(
            key, lambda: self._fetch_token(endpoint, realm, service, scope, credentials)
        )
        return _Auth("Bearer " + token.value, key, token)

    def _fetch_token(
        self,
        endpoint: _Endpoint,
        realm: str,
        service: str,
        scope: str,
        credentials: Credentials | None,
    ) -> Token:
        realm_host = origin(realm)[1]
        source = f"The token server {realm_host} (for {endpoint.host})"
        params = {"scope": scope}
        if service:
            params["service"] = service
        response: Response | None = None
        if credentials is not None and credentials.identity_token and not credentials.password:
            form = {
                **params,
                "grant_type": "refresh_token",
                "client_id": "watchtower",
                "refresh_token": credentials.identity_token,
            }
            response = self._send("POST", realm, _FORM, urllib.parse.urlencode(form).encode())
            if response.status in (404, 405):
                response = None  # no OAuth here: fall back to GET with Basic
        if response is None:
            headers = {}
            if credentials is not None:
                headers["Authorization"] = credentials.basic_authorization()
            response = self._send("GET", with_query(realm, params), headers)
        if response.status in (401, 403):
            who = "the configured login" if credentials is not None else "anonymous access"
            raise RegistryError(f"{source} refused {who} for {scope} ({response.status}).")
        if response.status != 200:
            raise status_error(response, f"a token from {realm_host}")
        try:
            answer = load_json(response.body)
        except ValueError as error:
            raise RegistryError(f"{source} answered with a body that is not JSON.") from error
        return token_from_answer(answer, self._clock(), source=source)


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` in its query, replacing those of the same names, as the fork does."""
    parts = urllib.parse.urlsplit(url)
    kept = [
        (name, value)
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if name not in params
    ]
    query = urllib.parse.urlencode([*kept, *sorted(params.items())])
    return urllib.parse.urlunsplit(parts._replace(query=query))
