"""Connecting to a Docker engine the way the docker CLI does.

``DOCKER_HOST``, ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH`` are read
from the environment given (the process's by default); the API version is
negotiated with the engine unless one is pinned. Failures become one sentence.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping

import docker
from docker.errors import APIError, InvalidVersion

from ..errors import ConfigurationError, EngineError
from ._errors import engine_errors

__all__ = ["MINIMUM_API_VERSION", "check_api_version", "connect", "describe_host"]

#: The oldest engine API this backend speaks (Docker 1.13, early 2017).
MINIMUM_API_VERSION = "1.25"

_log = logging.getLogger(__name__)
_API_VERSION = re.compile(r"[0-9]+\.[0-9]+")


def check_api_version(version: str) -> str:
    """``version`` when it is an engine API version such as ``1.44`` (a leading ``v`` is dropped).

    Raises:
        ConfigurationError: It is not ``MAJOR.MINOR``.
    """
    text = version.strip().removeprefix("v")
    if not _API_VERSION.fullmatch(text):
        raise ConfigurationError(
            f"The Docker API version {version!r} is not a version such as 1.44."
        )
    return text


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def describe_host(base_url: str | None, environment: Mapping[str, str] | None = None) -> str:
    """The engine address as a person would write it, for messages."""
    env = os.environ if environment is None else environment
    return base_url or env.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(
    base_url: str | None = None,
    *,
    environment: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    api_version: str | None = None,
) -> docker.APIClient:
    """A low-level docker-py client for the engine, checked to answer and to be new enough.

    Args:
        base_url: The engine address (``unix://...``, ``tcp://host:2376``);
            ``None`` reads ``DOCKER_HOST`` and the TLS variables.
        environment: The variables to read instead of ``os.environ``.
        timeout: Seconds to wait for an engine answer.
        api_version: An API version to speak (``1.44``) instead of
            negotiating; an engine that refuses it is negotiated with, as the
            fork does.

    Raises:
        ConfigurationError: ``api_version`` is not a version.
        EngineError: The engine is unreachable, refuses us, or is too old.
    """
    where = describe_host(base_url, environment)
    if api_version:
        pinned = _pinned(base_url, environment, timeout, check_api_version(api_version), where)
        if pinned is not None:
            return pinned
    with engine_errors(f"connect to the Docker engine at {where}"):
        try:
            api = docker.APIClient(
                version="auto", timeout=timeout, **_kwargs(base_url, environment)
            )
        except InvalidVersion as error:
            # The engine answered with a version below docker-py's own minimum.
            raise _too_old(where, "an older API") from error
    version = str(api.api_version)
    if _version_tuple(version) < _version_tuple(MINIMUM_API_VERSION):
        api.close()
        raise _too_old(where, f"API {version}")
    return api


def _pinned(
    base_url: str | None,
    environment: Mapping[str, str] | None,
    timeout: float,
    version: str,
    where: str,
) -> docker.APIClient | None:
    """A client that speaks ``version``, or ``None`` when the engine refuses that version."""
    with engine_errors(f"connect to the Docker engine at {where}"):
        api = docker.APIClient(version=version, timeout=timeout, **_kwargs(base_url, environment))
        try:
            api.version()
        except APIError as error:
            if error.status_code != 400:
                raise
            api.close()
            _log.warning(
                "The Docker engine at %s refuses API %s (%s); negotiating the version instead.",
                where,
                version,
                error.explanation,
            )
            return None
    return api


def _kwargs(base_url: str | None, environment: Mapping[str, str] | None) -> dict[str, object]:
    if base_url is not None:
        return {"base_url": base_url}
    env = dict(os.environ if environment is None else environment)
    return dict(docker.utils.kwargs_from_env(environment=env))


def _too_old(where: str, speaks: str) -> EngineError:
    return EngineError(
        f"The Docker engine at {where} is too old: it speaks {speaks}, and this backend "
        f"needs API {MINIMUM_API_VERSION} or newer."
    )
