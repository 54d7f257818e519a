"""The default :class:`~watchtower.protocols.Registry`: the registry HTTP API over requests.

A check is one manifest ``HEAD`` per image. Around it: the ``/v2/`` challenge,
asked once per registry and remembered; Basic auth, or a Bearer token from the
realm the challenge names, cached per repository and login for its lifetime;
429 answers retried after the time they ask for, within a bound.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import requests
from attrs import frozen
from requests.adapters import HTTPAdapter

from ..clock import Clock, system_clock
from ..errors import ConfigurationError, RateLimitedError, RegistryError
from ..model import ImageRef
from ._challenge import Challenge, MalformedChallengeError, parse_challenges, pick_challenge
from ._credentials import Credentials, CredentialSource, DockerCredentials
from ._hosts import api_host, host_of, plain_http_allowed, split_host_port
from ._platform import Platform
from ._tokens import Token, TokenCache, TokenKey, parse_rfc3339, token_from_answer

log = logging.getLogger("watchtower.registry")

_MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
"""The manifest media types asked for, indexes first (what ``docker pull`` records)."""

_INDEX_TYPES = frozenset(_MANIFEST_TYPES[:2])
_ACCEPT = ", ".join(_MANIFEST_TYPES)
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")
_MAX_BODY = 4 << 20
_MAX_REDIRECTS = 5
_USER_AGENT = "watchtower-updater (python-requests)"


@frozen
class RetryPolicy:
    """How long to keep asking a registry that answers 429 Too Many Requests.

    Attributes:
        attempts: Requests in all, the first one included.
        max_wait: The most time spent waiting for one request, in all. A
            Retry-After longer than what is left is not waited for: the
            request fails at once with :class:`~watchtower.errors.RateLimitedError`.
        default_wait: The first wait when the registry gives no Retry-After;
            it doubles after each 429.
    """

    attempts: int = 3
    max_wait: timedelta = timedelta(seconds=30)
    default_wait: timedelta = timedelta(seconds=1)


def validate_ca_bundle(path: str | Path) -> Path:
    """Check that ``path`` is a readable PEM file with at least one CA certificate.

    Returns:
        The path, absolute.

    Raises:
        ConfigurationError: It is missing, unreadable, or holds no certificate.
    """
    bundle = Path(path).expanduser().absolute()
    if not bundle.is_file():
        raise ConfigurationError(
            f"The registry CA bundle {bundle} does not "
            "exist or is not a file."
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(bundle))
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise ConfigurationError(
            f"The registry CA bundle {bundle} is not a readable PEM certificate file ({reason})."
        ) from None
    if not context.get_ca_certs():
        raise ConfigurationError(f"The registry CA bundle {bundle} holds no CA certificate.")
    return bundle


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
    header: str | None = attrs.field(default=None, repr=False)
    key: TokenKey | None = None
    token: Token | None = None


def _is_verification_error(error: BaseException) -> bool:
    """True when a TLS handshake failed because the certificate is not trusted."""
    seen: set[int] = set()
    stack: list[Any] = [error]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(item) or "certificate verify failed" in str(item):
            return True
        stack.extend([item.__cause__, item.__context__, *item.args])
        stack.append(getattr(item, "reason", None))
    return False


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Parse Retry-After: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(when - now, timedelta(0))


def _ratelimit_remaining(value: str | None) -> int | None:
    """Docker Hub's ``ratelimit-remaining: 76;w=21600``: the 76."""
    if not value:
        return None
    head = value.split(";", 1)[0].strip()
    return int(head) if head.isdigit() else None


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _read_body(response: requests.Response, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > _MAX_BODY:
            response.close()
            raise RegistryError(f"{what} is larger than {_MAX_BODY >> 20} MiB.")
        chunks.append(chunk)
    return b"".join(chunks)


class HttpRegistry:
    """Asks registries over HTTP which digest they serve, with as few requests as possible.

    Thread-safe: :func:`watchtower.staleness.remote_digests` calls
    :meth:`digest` from several threads at once, and they share one
    connection pool, one challenge per registry and one token per repository.

    Args:
        session: The requests session to use; one with a connection pool
            large enough for ``pool_size`` is made when omitted.
        credentials: Where logins come from; default Docker's own config
            and ``REPO_USER``/``REPO_PASS`` (:class:`DockerCredentials`).
        token_cache: Where tokens are kept; pass one to share it between
            registries or to inject a clock.
        ca_bundle: A PEM file of CA certificates that registries' TLS
            certificates are checked against instead of the system's.
            Checked now: a bad bundle raises at once.
        insecure_registries: Hosts (``host`` or ``host:port``) whose TLS
            certificate is not checked and which may be spoken to over plain
            HTTP. Loopback registries may always use plain HTTP, but their
            certificates are checked when they speak TLS.
        timeout: Seconds to connect, and seconds to wait for an answer; one
            number for both.
        retry: How 429 answers are retried.
        sleep: Waits that many seconds (injected so tests do not wait).
        clock: The current time, for tokens and Retry-After dates.
        platform: The platform whose image config :meth:`created` reads;
            default this machine's.
        pool_size: Connections kept per host in a session made here.

    Raises:
        ConfigurationError: ``ca_bundle`` is not a usable CA file.
    """

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        credentials: CredentialSource | None = None,
        token_cache: TokenCache | None = None,
        ca_bundle: str | Path | None = None,
        insecure_registries: Iterable[str] = (),
        timeout: float | tuple[float, float] = (10.0, 30.0),
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = system_clock,
        platform: Platform | None = None,
        pool_size: int = 16,
    ) -> None:
        self._ca_bundle = str(validate_ca_bundle(ca_bundle)) if ca_bundle is not None else None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self._session = session
        self._credentials: CredentialSource = (
            credentials if credentials is not None else DockerCredentials()
        )
        self._clock = clock
        self._tokens = token_cache if token_cache is not None else TokenCache(clock=clock)
        self._insecure = frozenset(host_of(h) for h in insecure_registries)
        self._timeout = timeout
        self._retry = retry
        self._sleep = sleep
        self._platform = platform if platform is not None else Platform.host()
        self._lock = threading.Lock()
        self._endpoints: dict[str, _Endpoint] = {}
        self._endpoint_locks: dict[str, threading.Lock] = {}

    # -- the Registry protocol ------------------------------------------------

    def digest(self, ref: ImageRef) -> str:
        """The manifest digest the registry serves for ``ref``'s tag.

        One ``HEAD`` on a warm cache. A registry that answers ``HEAD`` with
        an error other than 401/404/429, or without a usable
        Docker-Content-Digest, is asked again with ``GET``.

        Raises:
            RateLimitedError: The registry kept answering 429, or Docker Hub
                said no pulls are left.
            RegistryError: Anything else; the message names the image.
        """
        if ref.tag is None:
            if ref.digest is None:
                raise RegistryError(f"The reference {ref} has neither a tag nor a digest.")
            return ref.digest
        url_path = f"/v2/{ref.path}/manifests/{ref.tag}"
        response = self._manifest_request("HEAD", ref, url_path)
        remaining = _ratelimit_remaining(response.headers.get("ratelimit-remaining"))
        if remaining is not None and remaining <= 0:
            raise RateLimitedError(
                f"{ref.domain} says no pulls are left for this login "
                f"(ratelimit-remaining: {response.headers['ratelimit-remaining']}); "
                f"skipping {ref.familiar} rather than pulling."
            )
        if response.status_code in (401, 403, 404):
            raise self._status_error(response, f"the manifest of {ref}")
        if response.status_code == 200:
            found = response.headers.get("Docker-Content-Digest", "").strip()
            if _DIGEST.match(found):
                return found
            log.debug("HEAD %s gave no usable digest; asking with GET", url_path)
        else:
            log.debug("HEAD %s answered %s; asking with GET", url_path, response.status_code)
        response = self._manifest_request("GET", ref, url_path)
        if response.status_code != 200:
            raise self._status_error(response, f"the manifest of {ref}")
        body = _read_body(response, f"The manifest of {ref}")
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        """When the image behind ``digest`` was built, by its config's ``created``.

        For an index (multi-platform image) the config of this registry
        client's platform is read. Costs up to three GETs, so call it only
        for images that changed.

        Raises:
            RegistryError: The registry could not be asked, or has no image
                for the platform, or answered something unusable.
        """
        manifest = self._manifest_json(ref, digest)
        media_type = manifest.get("mediaType")
        if media_type in _INDEX_TYPES or "manifests" in manifest:
            chosen = self._platform.choose(manifest.get("manifests"))
            if chosen is None:
                raise RegistryError(f"{ref} has no image for the platform {self._platform}.")
            manifest = self._manifest_json(ref, chosen)
        config = manifest.get("config")
        config_digest = config.get("digest") if isinstance(config, dict) else None
        if not isinstance(config_digest, str) or not _DIGEST.match(config_digest):
            raise RegistryError(f"The manifest {digest} of {ref} names no config blob.")
        body = self._blob(ref, config_digest)
        try:
            image_config = json.loads(body)
        except ValueError:
            raise RegistryError(f"The image config {config_digest} of {ref} is not JSON.") from None
        created = image_config.get("created") if isinstance(image_config, dict) else None
        if not created:
            return None
        if not isinstance(created, str):
            raise RegistryError(f"The image config of {ref} has a 'created' that is not a time.")
        try:
            return parse_rfc3339(created)
        except ValueError:
            raise RegistryError(
                f"The image config of {ref} has 'created' {created!r}, not an RFC 3339 time."
            ) from None

    # -- manifests and blobs -----------------------------------------------------

    def _manifest_json(self, ref: ImageRef, digest: str) -> dict[str, Any]:
        response = self._manifest_request("GET", ref, f"/v2/{ref.path}/manifests/{digest}")
        if response.status_code != 200:
            raise self._status_error(response, f"the manifest {digest} of {ref}")
        body = _read_body(response, f"The manifest {digest} of {ref}")
        self._check_content(body, digest, f"The manifest {digest} of {ref}")
        try:
            manifest = json.loads(body)
        except ValueError:
            raise RegistryError(f"The manifest {digest} of {ref} is not JSON.") from None
        if not isinstance(manifest, dict):
            raise RegistryError(f"The manifest {digest} of {ref} is not a JSON object.")
        return manifest

    def _blob(self, ref: ImageRef, digest: str) -> bytes:
        response = self._authorized("GET", ref, f"/v2/{ref.path}/blobs/{digest}", {})
        if response.status_code != 200:
            raise self._status_error(response, f"the blob {digest} of {ref}")
        body = _read_body(response, f"The blob {digest} of {ref}")
        self._check_content(body, digest, f"The blob {digest} of {ref}")
        return body

    @staticmethod
    def _check_content(body: bytes, digest: str, what: str) -> None:
        if _SHA256.match(digest) and "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise RegistryError(f"{what} does not match its digest.")

    def _manifest_request(self, method: str, ref: ImageRef, url_path: str) -> requests.Response:
        return self._authorized(method, ref, url_path, {"Accept": _ACCEPT})

    def _authorized(
        self, method: str, ref: ImageRef, url_path: str, headers: Mapping[str, str]
    ) -> requests.Response:
        """Send a request to ``ref``'s registry with the auth it asks for.

        A 401 is answered once: the token is dropped, the challenge in the
        401 is taken as the registry's new one, and the request is sent again.
        """
        for attempt in (1, 2):
            endpoint = self._endpoint(ref.domain)
            auth = self._authorization(endpoint, ref)
            send = dict(headers)
            if auth.header is not None:
                send["Authorization"] = auth.header
            response = self._send(method, endpoint.base + url_path, send)
            if response.status_code != 401 or attempt == 2:
                return response
            if auth.key is not None:
                self._tokens.invalidate(auth.key, auth.token)
            header = response.headers.get("WWW-Authenticate")
            if not header:
                return response
            challenge = self._challenge_from(endpoint.host, header)
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
        except _TransportError as error:
            if not plain_http_allowed(host, self._insecure):
                raise
            if error.untrusted and not self._is_insecure(host):
                raise
            log.debug("%s does not speak TLS; using plain HTTP", host)
            endpoint = _Endpoint(host, "http", None)
            response = self._send("GET", f"http://{host}/v2/", {})
        if response.status_code == 200:
            return endpoint
        if response.status_code == 401:
            header = response.headers.get("WWW-Authenticate")
            if not header:
                raise RegistryError(
                    f"The registry {host} answered 401 without a "
                    "WWW-Authenticate challenge."
                )
            return attrs.evolve(endpoint, challenge=self._challenge_from(host, header))
        raise self._status_error(response, f"the API root of {host}")

    @staticmethod
    def _challenge_from(host: str, header: str) -> Challenge:
        try:
            challenges = parse_challenges(header)
        except MalformedChallengeError as error:
            raise RegistryError(
                f"The registry {host} sent a malformed "
                f"WWW-Authenticate header: {error}."
            ) from None
        chosen = pick_challenge(challenges)
        if chosen is None:
            schemes = ", ".join(c.scheme for c in challenges)
            raise RegistryError(
                f"The registry {host} asks for an unsupported "
                f"auth scheme ({schemes})."
            )
        if chosen.scheme == "bearer":
            realm = chosen.realm or ""
            parts = urllib.parse.urlsplit(realm)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise RegistryError(
                    f"The registry {host} sent a Bearer challenge whose "
                    f"realm {realm!r} is not an HTTP URL."
                )
        return chosen

    # -- credentials and tokens ------------------------------------------------

    def _authorization(self, endpoint: _Endpoint, ref: ImageRef) -> _Auth:
        challenge = endpoint.challenge
        if challenge is None:
            return _Auth()  # the registry lets anyone in: no login is sent
        credentials = self._credentials.credentials_for(ref.domain)
        if challenge.scheme == "basic":
            if credentials is None:
                raise RegistryError(
                    f"The registry {ref.domain} asks for a login "
                    "and none is configured for it."
                )
            return _Auth(credentials.basic_authorization())
        realm = challenge.realm or ""
        service = challenge.service or ""
        scope = f"repository:{ref.path}:pull"
        if credentials is not None:
            scheme, netloc = _origin(realm)
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
        realm_host = _origin(realm)[1]
        source = f"The token server {realm_host} (for {endpoint.host})"
        params = {"scope": scope}
        if service:
            params["service"] = service
        response: requests.Response | None = None
        if credentials is not None and credentials.identity_token and not credentials.password:
            form = {**params, "grant_type": "refresh_token", "client_id": "watchtower",
                    "refresh_token": credentials.identity_token}
            response = self._send("POST", realm, {}, data=form)
            if response.status_code in (404, 405):
                response.close()
                response = None  # no OAuth here: fall back to GET with Basic
        if response is None:
            headers = {}
            if credentials is not None:
                headers["Authorization"] = credentials.basic_authorization()
            url = realm + ("&" if urllib.parse.urlsplit(realm).query else "?")
            url += urllib.parse.urlencode(sorted(params.items()))
            response = self._send("GET", url, headers)
        if response.status_code in (401, 403):
            who = "the configured login" if credentials is not None else "anonymous access"
            raise RegistryError(f"{source} refused {who} for {scope} ({response.status_code}).")
        if response.status_code != 200:
            raise self._status_error(response, f"a token from {realm_host}")
        body = _read_body(response, f"{source}'s answer")
        try:
            answer = json.loads(body)
        except ValueError:
            raise RegistryError(f"{source} answered with a body that is not JSON.") from None
        return token_from_answer(answer, self._clock(), source=source)

    # -- HTTP --------------------------------------------------------------------

    @property
    def _timeout_text(self) -> str:
        read = self._timeout[1] if isinstance(self._timeout, tuple) else self._timeout
        return f"{read:g}s"

    def _is_insecure(self, host: str) -> bool:
        host = host_of(host)
        return host in self._insecure or split_host_port(host)[0] in self._insecure

    def _verify_for(self, host: str) -> bool | str:
        if self._is_insecure(host):
            return False
        return self._ca_bundle or True

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One logical request: redirects followed by hand, 429s retried within the policy.

        The ``Authorization`` header goes only to the first URL's origin: it
        is dropped on a redirect to another host or from HTTPS to HTTP.
        """
        waited = timedelta(0)
        wait = self._retry.default_wait
        attempt = 1
        while True:
            response = self._follow(method, url, headers, data)
            if response.status_code != 429:
                return response
            host = _origin(response.url or url)[1]
            asked = _retry_after(response.headers.get("Retry-After"), self._clock())
            response.close()
            delay = asked if asked is not None else wait
            left = self._retry.max_wait - waited
            if attempt >= self._retry.attempts or delay > left:
                raise RateLimitedError(
                    f"{host} is rate limiting (429 Too Many Requests"
                    + (f", retry after {asked.total_seconds():g}s" if asked is not None else "")
                    + f") after {attempt} attempt{'s' if attempt > 1 else ''}; skipping.",
                    retry_after=asked,
                )
            log.info("%s answered 429; retrying in %gs", host, delay.total_seconds())
            self._sleep(delay.total_seconds())
            waited += delay
            wait *= 2
            attempt += 1

    def _follow(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        data: Mapping[str, str] | None,
    ) -> requests.Response:
        origin = _origin(url)
        current = url
        send = dict(headers)
        send.setdefault("User-Agent", _USER_AGENT)
        for _ in range(_MAX_REDIRECTS + 1):
            verify = self._verify_for(_origin(current)[1])
            try:
                response = self._session.request(
                    method,
                    current,
                    headers=send,
                    data=data,
                    timeout=self._timeout,
                    verify=verify,
                    allow_redirects=False,
                    stream=method != "HEAD",
                )
            except requests.exceptions.SSLError as error:
                raise _TransportError.tls(current, error) from None
            except requests.exceptions.Timeout:
                raise _TransportError(
                    f"{_origin(current)[1]} did not answer {method} "
                    f"{urllib.parse.urlsplit(current).path} within {self._timeout_text}."
                ) from None
            except requests.exceptions.RequestException as error:
                raise _TransportError(
                    f"{_origin(current)[1]} could not be reached: {type(error).__name__}."
                ) from None
            if not response.is_redirect:
                return response
            location = response.headers.get("Location", "")
            response.close()
            target = urllib.parse.urljoin(current, location)
            scheme, netloc = _origin(target)
            if scheme not in ("http", "https") or not netloc:
                raise RegistryError(
                    f"{_origin(current)[1]} redirected to an "
                    f"unusable location {location!r}."
                )
            downgrade = origin[0] == "https" and scheme == "http"
            if (netloc, scheme) != (origin[1], origin[0]) and "Authorization" in send:
                # Never carry a login to another host or over a downgrade to HTTP.
                log.debug("redirect %s -> %s: Authorization dropped", origin[1], netloc)
                del send["Authorization"]
            if downgrade and not plain_http_allowed(netloc, self._insecure):
                raise RegistryError(
                    f"{origin[1]} redirected from HTTPS to plain "
                    f"HTTP ({netloc}); refusing."
                )
            if response.status_code == 303:
                method, data = "GET", None
            current = target
        raise RegistryError(f"{origin[1]} redirected more than {_MAX_REDIRECTS} times.")

    @staticmethod
    def _status_error(response: requests.Response, what: str) -> RegistryError:
        host = _origin(response.url)[1] if response.url else "the registry"
        status = response.status_code
        reason = response.reason or ""
        response.close()
        if status == 404:
            return RegistryError(f"{host} has no {what.removeprefix('the ')} (404 Not Found).")
        if status in (401, 403):
            return RegistryError(
                f"{host} refused access to {what} "
                f"({status} {reason})."
            .replace(" )", ")"))
        return RegistryError(f"{host} answered {status} {reason} for {what}.".replace("  ", " "))


class _TransportError(RegistryError):
    """A request that got no HTTP answer (internal: becomes a RegistryError)."""

    def __init__(self, message: str, *, untrusted: bool = False) -> None:
        super().__init__(message)
        self.untrusted = untrusted

    @classmethod
    def tls(cls, url: str, error: BaseException) -> _TransportError:
        host = _origin(url)[1]
        if _is_verification_error(error):
            return cls(
                f"The TLS certificate of {host} is not trusted; give its CA bundle "
                "or mark it insecure.",
                untrusted=True,
            )
        return cls(f"The TLS handshake with {host} failed (is it serving plain HTTP?).")
