"""The default :class:`~watchtower.protocols.Registry`: the registry API for digests and ages.

A check is one manifest ``HEAD`` per image; :meth:`HttpRegistry.created`
reads an image's config. Logging in is :mod:`~watchtower.registry._auth`'s,
redirects and 429s are :mod:`~watchtower.registry._http`'s, and the bytes go
through a :class:`~watchtower.registry.Transport`.

:meth:`HttpRegistry.tags` lists a repository's tags, for tag rules
(:mod:`~watchtower.registry._tags`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._text import load_json
from ..budget import Budget, too_slow
from ..clock import Clock, system_clock
from ..errors import ConfigurationError, RateLimitedError, RegistryError
from ..model import ImageRef
from ..quota import QuotaBook, QuotaDeferredError, parse_ratelimit
from ._auth import Authenticator
from ._credentials import CredentialSource, DockerCredentials
from ._hosts import ANY_HOST, host_of, is_docker_hub
from ._http import RetryPolicy, Sender
from ._platform import Platform
from ._tags import PAGE_SIZE, list_tags
from ._tokens import TokenCache, parse_rfc3339
from ._transport import Response, Transport, status_error

if TYPE_CHECKING:
    import requests

T = TypeVar("T")

log = logging.getLogger("watchtower.registry")

_MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
# Indexes first: the digest ``docker pull`` records is the index's.
_INDEX_TYPES = frozenset(_MANIFEST_TYPES[:2])
_ACCEPT = ", ".join(_MANIFEST_TYPES)
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
# The registered algorithms of the OCI image spec, the only digests a registry sends.
_REGISTERED_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}", re.ASCII)
_SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")
_DEFAULT_RETRY = RetryPolicy()
DEFAULT_LOOKUP_DEADLINE = 60.0
"""Seconds one image's lookup may take in all, by default: one request's deadline."""


def _ratelimit_remaining(value: str | None) -> int | None:
    """Docker Hub's ``ratelimit-remaining: 76;w=21600``: the 76."""
    parsed = parse_ratelimit(value) if value else None
    return parsed[0] if parsed else None


def _check_content(body: bytes, digest: str, what: str) -> None:
    if _SHA256.match(digest) and "sha256:" + hashlib.sha256(body).hexdigest() != digest:
        raise RegistryError(f"{what} does not match its digest.")


class HttpRegistry:
    """Asks registries over HTTP which digest they serve, with as few requests as possible.

    Thread-safe: :func:`watchtower.staleness.remote_digests` calls
    :meth:`digest` from several threads at once, and they share one
    transport, one challenge per registry and one token per repository.

    Args:
        transport: What sends each request: a
            :class:`~watchtower.registry.MockTransport` in tests, or your
            own. Default a :class:`~watchtower.registry.RequestsTransport`
            made from ``session``, ``ca_bundle``, ``tls_min_version``,
            ``timeout`` and ``pool_size``, which are for it alone: give
            either ``transport`` or those.
        session: The requests session of the default transport.
        credentials: Where logins come from; default Docker's own config
            and ``REPO_USER``/``REPO_PASS`` (:class:`DockerCredentials`).
        token_cache: Where tokens are kept; pass one to share it between
            registries or to inject a clock.
        ca_bundle: A PEM file of CA certificates trusted in addition to the
            system's (``--registry-ca``). Checked now: a bad bundle raises at
            once.
        tls_min_version: The oldest TLS version spoken to registries,
            ``TLS1.0`` to ``TLS1.3``; default ``TLS1.2``.
        insecure_registries: Hosts (``host`` or ``host:port``) whose TLS
            certificate is not checked and which may be spoken to over plain
            HTTP; ``*`` stands for every host. Loopback registries may always
            use plain HTTP, but their certificates are checked when they
            speak TLS.
        tls_skip_verify: Every registry is insecure, as if listed in
            ``insecure_registries`` (``--registry-tls-skip``).
        mirrors: Docker Hub mirrors (``https://mirror.example``), asked in
            turn before Docker Hub for the digest of a Docker Hub image, as
            the fork does with the engine's ``registry-mirrors``; a mirror
            given as ``http://`` may be spoken to over plain HTTP.
        timeout: Seconds to connect, and seconds to wait for an answer; one
            number for both. Default 10 and 30.
        retry: How 429 answers are retried.
        sleep: Waits that many seconds (injected so tests do not wait).
        clock: The current time, for tokens and Retry-After dates.
        platform: The platform whose image config :meth:`created` reads;
            default this machine's.
        pool_size: Connections kept per host by the default transport;
            default 16.
        deadline: Seconds one request of the default transport may take
            in all, however slowly the server drips its answer; default 60.
        lookup_deadline: Seconds one call of :meth:`digest`, :meth:`created`
            or :meth:`tags` may take in all: the challenge, token requests,
            ``HEAD`` and ``GET``, every redirect, every 429 retry and every
            mirror share it, and each request gets what is left. A lookup
            that runs out raises
            :class:`~watchtower.errors.RegistryTimeoutError` naming the
            registry and the image. Default 60 (``--registry-timeout``);
            ours, Watchtower's lookups have no bound.
        monotonic: The monotonic clock lookups are timed on.
        quota: Where each answer's ``ratelimit-limit`` and
            ``ratelimit-remaining`` headers are recorded, by registry, and
            where each manifest ``GET`` is spent
            (:class:`~watchtower.quota.QuotaBook`); a ``GET`` beyond the
            current run's share raises
            :class:`~watchtower.quota.QuotaDeferredError`. ``HEAD``
            requests are not spent: Docker Hub does not count them.

    Raises:
        ConfigurationError: ``ca_bundle`` is not a usable CA file, or
            ``transport`` is given with options of the default transport.
    """

    def __init__(
        self,
        *,
        transport: Transport | None = None,
        session: requests.Session | None = None,
        credentials: CredentialSource | None = None,
        token_cache: TokenCache | None = None,
        ca_bundle: str | Path | None = None,
        tls_min_version: str | None = None,
        insecure_registries: Iterable[str] = (),
        tls_skip_verify: bool = False,
        mirrors: Iterable[str] = (),
        timeout: float | tuple[float, float] | None = None,
        retry: RetryPolicy = _DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = system_clock,
        platform: Platform | None = None,
        pool_size: int | None = None,
        deadline: float | None = None,
        lookup_deadline: float = DEFAULT_LOOKUP_DEADLINE,
        monotonic: Callable[[], float] = time.monotonic,
        quota: QuotaBook | None = None,
    ) -> None:
        if not lookup_deadline > 0:
            raise ConfigurationError(
                f"HttpRegistry's lookup_deadline must be a positive number of seconds, "
                f"not {lookup_deadline!r}."
            )
        if transport is None:
            transport = _default_transport(
                session, ca_bundle, tls_min_version, timeout, pool_size, deadline
            )
        else:
            given = {
                "session": session,
                "ca_bundle": ca_bundle,
                "tls_min_version": tls_min_version,
                "timeout": timeout,
                "pool_size": pool_size,
                "deadline": deadline,
            }
            clash = [name for name, value in given.items() if value is not None]
            if clash:
                raise ConfigurationError(
                    f"HttpRegistry takes either a transport or {', '.join(clash)} "
                    "for the default one, not both."
                )
        self._mirrors = tuple(host_of(mirror) for mirror in mirrors if mirror.strip())
        insecure = frozenset(host_of(host) for host in insecure_registries)
        insecure |= {host_of(m) for m in mirrors if m.strip().lower().startswith("http://")}
        if tls_skip_verify:
            insecure |= {ANY_HOST}
        sender = Sender(
            transport, insecure=insecure, retry=retry, sleep=sleep, clock=clock, monotonic=monotonic
        )
        self._sender = sender
        self._lookup_deadline = float(lookup_deadline)
        self._monotonic = monotonic
        self._auth = Authenticator(
            sender.send,
            credentials if credentials is not None else DockerCredentials(),
            token_cache if token_cache is not None else TokenCache(clock=clock),
            insecure=insecure,
            clock=clock,
        )
        self._platform = platform if platform is not None else Platform.host()
        self.quota = quota

    def digest(self, ref: ImageRef) -> str:
        """The manifest digest the registry serves for ``ref``'s tag.

        One ``HEAD`` on a warm cache. A registry that answers ``HEAD`` with
        an error other than 401/404/429, or without a usable
        Docker-Content-Digest, is asked again with ``GET``: its
        Docker-Content-Digest, or else the hash of the manifest it sent.

        Raises:
            RateLimitedError: The registry kept answering 429, or Docker Hub
                said no pulls are left.
            RegistryTimeoutError: The lookup took longer than
                ``lookup_deadline`` in all.
            RegistryError: Anything else; the message names the image.
        """
        if ref.tag is None:
            if ref.digest is None:
                raise RegistryError(f"The reference {ref} has neither a tag nor a digest.")
            return ref.digest
        return self._bounded(ref, ref.familiar, lambda: self._any_digest(ref))

    def _bounded(self, ref: ImageRef, what: str, lookup: Callable[[], T]) -> T:
        """``lookup()``, all its requests within one budget; an overrun is one sentence."""
        start = Budget.starting(self._lookup_deadline, self._monotonic())
        with self._sender.bounded(start) as budget:
            try:
                return lookup()
            except RateLimitedError:
                raise  # its own sentence says more than "too slow"
            except RegistryError as error:
                if not budget.spent(self._monotonic()):
                    raise
                raise too_slow(ref.domain, budget.seconds, what) from error

    def _any_digest(self, ref: ImageRef) -> str:
        if self._mirrors and is_docker_hub(ref.domain):
            for mirror in self._mirrors:
                try:
                    return self._digest(attrs.evolve(ref, domain=mirror))
                except RateLimitedError:
                    raise  # as the fork: a rate limit is not a reason to ask elsewhere
                except RegistryError as error:
                    log.debug("The mirror %s could not tell %s: %s", mirror, ref.familiar, error)
        return self._digest(ref)

    def _digest(self, ref: ImageRef) -> str:
        url_path = f"/v2/{ref.path}/manifests/{ref.tag}"
        response = self._manifest_request("HEAD", ref, url_path)
        remaining = _ratelimit_remaining(response.headers.get("ratelimit-remaining"))
        if remaining is not None and remaining <= 0:
            # Within a run that spends a share of the quota, none left is a deferral.
            refusal = self.quota.check(ref.domain) if self.quota is not None else None
            if refusal is not None:
                raise QuotaDeferredError(refusal)
            raise RateLimitedError(
                f"{ref.domain} says no pulls are left for this login "
                f"(ratelimit-remaining: {response.headers['ratelimit-remaining']}); "
                f"skipping {ref.familiar} rather than pulling."
            )
        if response.status in (401, 403, 404):
            raise status_error(response, f"the manifest of {ref}")
        if response.status == 200:
            found = response.headers.get("docker-content-digest", "").strip()
            if _REGISTERED_DIGEST.fullmatch(found):
                return found
            if found:
                raise RegistryError(
                    f"{ref.domain} answered the manifest of {ref} with the "
                    f"Docker-Content-Digest {found[:80]!r}, which is not a digest."
                )
            log.debug("HEAD %s gave no digest; asking with GET", url_path)
        else:
            log.debug("HEAD %s answered %s; asking with GET", url_path, response.status)
        response = self._manifest_request("GET", ref, url_path)
        if response.status != 200:
            raise status_error(response, f"the manifest of {ref}")
        found = response.headers.get("docker-content-digest", "").strip()
        if _REGISTERED_DIGEST.fullmatch(found):
            return found
        try:
            manifest = load_json(response.body)
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict):  # its hash would be a change that is not there
            raise RegistryError(
                f"{ref.domain} answered the manifest of {ref} with no digest "
                "and a body that is not a manifest."
            )
        return "sha256:" + hashlib.sha256(response.body).hexdigest()

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        """When the image behind ``digest`` was built, by its config's ``created``.

        For an index (multi-platform image) the config of this registry
        client's platform is read. Costs up to three GETs, so call it only
        for images that changed.

        Raises:
            RegistryTimeoutError: It took longer than ``lookup_deadline``.
            RegistryError: The registry could not be asked, or has no image
                for the platform, or answered something unusable.
        """
        return self._bounded(ref, f"the age of {ref.familiar}", lambda: self._created(ref, digest))

    def _created(self, ref: ImageRef, digest: str) -> datetime | None:
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
            image_config = load_json(body)
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

    def tags(self, ref: ImageRef) -> tuple[str, ...]:
        """Every tag of ``ref``'s repository, following the registry's pages.

        ``GET /v2/<name>/tags/list?n=1000`` and each ``Link`` header's next
        page, with the same login, token cache and 429 handling as
        :meth:`digest` (a pull token serves both). Docker Hub mirrors are
        not asked: a mirror lists only the tags it happens to hold.

        Raises:
            RateLimitedError: The registry kept answering 429.
            RegistryTimeoutError: Listing took longer than ``lookup_deadline``.
            RegistryError: Anything else; the message names the repository.
        """
        return self._bounded(
            ref, f"the tags of {ref.familiar}", lambda: list_tags(self._send, ref, PAGE_SIZE)
        )

    def _manifest_json(self, ref: ImageRef, digest: str) -> dict[str, Any]:
        response = self._manifest_request("GET", ref, f"/v2/{ref.path}/manifests/{digest}")
        if response.status != 200:
            raise status_error(response, f"the manifest {digest} of {ref}")
        _check_content(response.body, digest, f"The manifest {digest} of {ref}")
        try:
            manifest = load_json(response.body)
        except ValueError:
            raise RegistryError(f"The manifest {digest} of {ref} is not JSON.") from None
        if not isinstance(manifest, dict):
            raise RegistryError(f"The manifest {digest} of {ref} is not a JSON object.")
        return manifest

    def _blob(self, ref: ImageRef, digest: str) -> bytes:
        response = self._send("GET", ref, f"/v2/{ref.path}/blobs/{digest}", {})
        if response.status != 200:
            raise status_error(response, f"the blob {digest} of {ref}")
        _check_content(response.body, digest, f"The blob {digest} of {ref}")
        return response.body

    def _manifest_request(self, method: str, ref: ImageRef, url_path: str) -> Response:
        if self.quota is not None and method == "GET":  # a HEAD is not counted
            refusal = self.quota.take(ref.domain)
            if refusal is not None:
                raise QuotaDeferredError(refusal)
        return self._send(method, ref, url_path, {"Accept": _ACCEPT})

    def _send(
        self, method: str, ref: ImageRef, url_path: str, headers: Mapping[str, str]
    ) -> Response:
        """One logical request; its answer's rate limit headers go to the quota book."""
        if self.quota is None:
            return self._auth.send(method, ref, url_path, headers)
        mark = self.quota.mark(ref.domain)
        response = self._auth.send(method, ref, url_path, headers)
        self.quota.record(ref.domain, response.headers, mark)
        return response


def _default_transport(
    session: requests.Session | None,
    ca_bundle: str | Path | None,
    tls_min_version: str | None,
    timeout: float | tuple[float, float] | None,
    pool_size: int | None,
    deadline: float | None,
) -> Transport:
    # Imported here: requests is needed only when the default transport is.
    from ._requests_transport import DEFAULT_DEADLINE, RequestsTransport

    return RequestsTransport(
        session,
        ca_bundle=ca_bundle,
        tls_min_version=tls_min_version or "TLS1.2",
        timeout=timeout if timeout is not None else (10.0, 30.0),
        pool_size=pool_size if pool_size is not None else 16,
        deadline=deadline if deadline is not None else DEFAULT_DEADLINE,
    )
