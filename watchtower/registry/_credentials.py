"""Registry logins, found the way the docker CLI finds them.

In order: ``REPO_USER`` and ``REPO_PASS`` from the environment (Watchtower's
own variables, used for every registry); then ``$DOCKER_CONFIG/config.json``
(default ``~/.docker/config.json``): a per-registry ``credHelpers`` entry, else
the ``credsStore`` helper, else the ``auths`` entry (``auth``, or
``username``/``password``, or ``identitytoken``).

The same logins reach the engine for pulls through :func:`auth_config`;
finding them imports no HTTP library.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from attrs import field, frozen
from typing_extensions import Protocol, runtime_checkable

from .._text import load_json
from ..errors import ConfigurationError, RegistryError
from ._hosts import credential_key, host_of, is_docker_hub, registry_of


@frozen
class Credentials:
    """A login for one registry.

    The secrets are left out of ``repr`` so they never reach a log.

    Attributes:
        username: The user name (may be empty with an identity token).
        password: The password or access token.
        identity_token: An OAuth refresh token from ``docker login``
            (``identitytoken`` in config.json).
    """

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)

    @property
    def identity(self) -> str:
        """A fingerprint that tells logins apart without revealing them.

        Used in token cache keys, so another login never gets this one's tokens.
        """
        digest = hashlib.sha256(
            "\0".join((self.username, self.password, self.identity_token)).encode()
        ).hexdigest()
        return f"{self.username}#{digest[:16]}"

    @property
    def secret(self) -> str:
        """The password, or the identity token when there is no password."""
        return self.password or self.identity_token

    def basic_authorization(self) -> str:
        """The ``Authorization`` header value for HTTP Basic auth."""
        raw = f"{self.username}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def auth_config(credentials: Credentials, registry: str | None = None) -> dict[str, str]:
    """The ``auth_config`` dict docker-py's ``pull`` takes for these credentials.

    Args:
        credentials: The login.
        registry: The registry's domain, sent as ``serveraddress`` when given.
    """
    config: dict[str, str] = {}
    if credentials.username:
        config["username"] = credentials.username
    if credentials.password:
        config["password"] = credentials.password
    if credentials.identity_token:
        config["identitytoken"] = credentials.identity_token
    if registry:
        config["serveraddress"] = credential_key(registry)
    return config


@runtime_checkable
class CredentialSource(Protocol):
    """Anything that can name the login for a registry host."""

    def credentials_for(self, registry_host: str) -> Credentials | None:
        """The login for ``registry_host`` (a reference's domain), or ``None``."""
        ...


def _decode_auth(value: str, where: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(value, validate=False).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, or non-ASCII text
        raise ConfigurationError(
            f"The auth value {where} is not base64 of user:password."
        ) from None
    username, sep, password = text.partition(":")
    if not sep:
        raise ConfigurationError(f"The auth value {where} does not decode to user:password.")
    return username, password.strip("\x00")


@frozen
class _Config:
    path: Path
    auths: Mapping[str, Mapping[str, Any]]
    creds_store: str | None
    cred_helpers: Mapping[str, str]


def _load_config(path: Path) -> _Config:
    try:
        data = load_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(
            f"The Docker config {path} cannot be read: {error.strerror}."
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"The Docker config {path} is not valid JSON: {error}.") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"The Docker config {path} is not a JSON object.")
    auths = data.get("auths")
    auths = {} if auths is None else auths
    helpers = data.get("credHelpers")
    helpers = {} if helpers is None else helpers
    store = data.get("credsStore") or None
    if not isinstance(auths, dict) or not all(isinstance(v, dict) for v in auths.values()):
        raise ConfigurationError(
            f"The 'auths' of the Docker config {path} is not an object of objects."
        )
    if not isinstance(helpers, dict) or not all(isinstance(v, str) for v in helpers.values()):
        raise ConfigurationError(
            f"The 'credHelpers' of the Docker config {path} is not an object of names."
        )
    if store is not None and not isinstance(store, str):
        raise ConfigurationError(f"The 'credsStore' of the Docker config {path} is not a name.")
    return _Config(path, auths, store, helpers)


def _lookup(entries: Mapping[str, Any], domain: str) -> Any:
    """The entry for ``domain``: an exact key first, then a key naming the same host."""
    wanted = credential_key(domain)
    if wanted in entries:
        return entries[wanted]
    host = registry_of(domain)
    hub = is_docker_hub(domain)
    for key, value in entries.items():
        other = host_of(key)
        if other == host or (hub and is_docker_hub(other)):
            return value
    return None


class DockerCredentials:
    """Logins from the environment and Docker's config.json, as the docker CLI finds them.

    Thread-safe. The config file is re-read when it changes; a helper's answer
    is kept for ``cache_for`` so a scan of many images runs it once per registry.

    Args:
        config_dir: The Docker config directory; default ``$DOCKER_CONFIG``,
            else ``~/.docker``.
        environ: The environment to read ``REPO_USER``, ``REPO_PASS``,
            ``DOCKER_CONFIG`` and ``PATH`` from; default ``os.environ``.
        helper_timeout: How long a credential helper may run.
        cache_for: How long a helper's answer is reused.
        clock: A monotonic clock in seconds, for the helper cache.
    """

    def __init__(
        self,
        config_dir: str | Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        helper_timeout: timedelta = timedelta(seconds=10),
        cache_for: timedelta = timedelta(minutes=5),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        if config_dir is None:
            configured = self._environ.get("DOCKER_CONFIG")
            config_dir = Path(configured) if configured else Path.home() / ".docker"
        self.config_path = Path(config_dir) / "config.json"
        self._helper_timeout = helper_timeout
        self._cache_for = cache_for.total_seconds()
        self._clock = clock
        self._lock = threading.Lock()
        self._config: tuple[tuple[int, int], _Config] | None = None
        self._helper_answers: dict[tuple[str, str], tuple[float, Credentials | None]] = {}
        self._helper_locks: dict[tuple[str, str], threading.Lock] = {}

    def credentials_for(self, registry_host: str) -> Credentials | None:
        """The login for ``registry_host`` (``docker.io``, ``ghcr.io``, ``reg:5000``), or ``None``.

        Raises:
            ConfigurationError: config.json is unreadable or malformed, or
                names a helper that is not installed.
            RegistryError: A credential helper failed or timed out.
        """
        user = self._environ.get("REPO_USER", "")
        password = self._environ.get("REPO_PASS", "")
        if user and password:
            return Credentials(user, password)
        config = self._current_config()
        if config is None:
            return None
        helper = _lookup(config.cred_helpers, registry_host)
        if helper:
            return self._from_helper(helper, registry_host, config.path)
        if config.creds_store:
            found = self._from_helper(config.creds_store, registry_host, config.path)
            if found is not None:
                return found
        entry = _lookup(config.auths, registry_host)
        if entry is None:
            return None
        return self._from_entry(entry, registry_host, config.path)

    def _current_config(self) -> _Config | None:
        try:
            stat = self.config_path.stat()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ConfigurationError(
                f"The Docker config {self.config_path} cannot be read: {error.strerror}."
            ) from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._config is not None and self._config[0] == stamp:
                return self._config[1]
        config = _load_config(self.config_path)
        with self._lock:
            self._config = (stamp, config)
        return config

    def _from_entry(self, entry: Mapping[str, Any], domain: str, path: Path) -> Credentials | None:
        where = f"for {domain} in {path}"
        identity = entry.get("identitytoken") or ""
        username = entry.get("username") or ""
        password = entry.get("password") or ""
        if entry.get("auth"):
            if not isinstance(entry["auth"], str):
                raise ConfigurationError(f"The auth value {where} is not a string.")
            username, password = _decode_auth(entry["auth"], where)
        if not all(isinstance(v, str) for v in (identity, username, password)):
            raise ConfigurationError(f"The login {where} has a field that is not a string.")
        if not (password or identity):
            return None
        return Credentials(username, password, identity)

    def _from_helper(self, helper: str, domain: str, path: Path) -> Credentials | None:
        server = credential_key(domain)
        key = (helper, server)
        with self._lock:
            lock = self._helper_locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                cached = self._helper_answers.get(key)
                if cached is not None and self._clock() < cached[0]:
                    return cached[1]
            answer = self._run_helper(helper, server, path)
            with self._lock:
                self._helper_answers[key] = (self._clock() + self._cache_for, answer)
            return answer

    def _run_helper(self, helper: str, server: str, path: Path) -> Credentials | None:
        name = f"docker-credential-{helper}"
        executable = shutil.which(name, path=self._environ.get("PATH", os.defpath))
        if executable is None:
            raise ConfigurationError(
                f"The credential helper {name} named in {path} is not installed (not on PATH)."
            )
        timeout = self._helper_timeout.total_seconds()
        try:
            done = subprocess.run(
                [executable, "get"],
                input=server.encode(),
                capture_output=True,
                timeout=timeout,
                env=self._environ,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RegistryError(
                f"The credential helper {name} did not answer for {server} within {timeout:g}s."
            ) from None
        except OSError as error:
            raise RegistryError(
                f"The credential helper {name} could not run: {error.strerror}."
            ) from None
        output = done.stdout.decode("utf-8", "replace").strip()
        if done.returncode != 0:
            if "credentials not found" in output.lower():
                return None
            message = (done.stderr.decode("utf-8", "replace").strip() or output).splitlines()
            reason = message[0] if message else f"exit status {done.returncode}"
            raise RegistryError(f"The credential helper {name} failed for {server}: {reason}")
        return _helper_answer(output, name, server)


def _helper_answer(output: str, name: str, server: str) -> Credentials | None:
    """The login in a credential helper's answer (``{"Username": ..., "Secret": ...}``).

    Raises:
        RegistryError: The answer is not such a JSON object; the message
            names the helper ``name`` and the ``server``.
    """
    try:
        answer = load_json(output)
    except ValueError:
        raise RegistryError(
            f"The credential helper {name} answered for {server} with something that is not JSON."
        ) from None
    if not isinstance(answer, dict):
        raise RegistryError(
            f"The credential helper {name} answered for {server} with "
            "something that is not a JSON object."
        )
    username = answer.get("Username") or ""
    secret = answer.get("Secret") or ""
    if not isinstance(username, str) or not isinstance(secret, str):
        raise RegistryError(
            f"The credential helper {name} answered for {server} with a non-string field."
        )
    if not secret:
        return None
    if username == "<token>":
        return Credentials("", "", secret)
    return Credentials(username, secret)
