"""Connecting to a Docker engine the way the docker CLI does.

``DOCKER_HOST``, ``DOCKER_TLS_VERIFY`` and ``DOCKER_CERT_PATH`` are read
from the environment given (the process's by default); the API version is
negotiated with the engine. Failures become one sentence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import docker
from docker.errors import InvalidVersion

from ..errors import EngineError
from ._errors import engine_errors

__all__ = ["MINIMUM_API_VERSION", "connect", "describe_host"]

#: The oldest engine API this backend speaks (Docker 1.13, early 2017).
MINIMUM_API_VERSION = "1.25"


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
) -> docker.APIClient:
    """A low-level docker-py client for the engine, checked to answer and to be new enough.

    Args:
        base_url: The engine address (``unix://...``, ``tcp://host:2376``);
            ``None`` reads ``DOCKER_HOST`` and the TLS variables.
        environment: The variables to read instead of ``os.environ``.
        timeout: Seconds to wait for an engine answer.

    Raises:
        EngineError: The engine is unreachable, refuses us, or is too old.
    """
    where = describe_host(base_url, environment)
    with engine_errors(f"connect to the Docker engine at {where}"):
        try:
            if base_url is None:
                env = dict(os.environ if environment is None else environment)
                kwargs = docker.utils.kwargs_from_env(environment=env)
            else:
                kwargs = {"base_url": base_url}
            api = docker.APIClient(version="auto", timeout=timeout, **kwargs)
        except InvalidVersion as error:
            # The engine answered with a version below docker-py's own minimum.
            raise _too_old(where, "an older API") from error
    version = str(api.api_version)
    if _version_tuple(version) < _version_tuple(MINIMUM_API_VERSION):
        api.close()
        raise _too_old(where, f"API {version}")
    return api


def _too_old(where: str, speaks: str) -> EngineError:
    return EngineError(
        f"The Docker engine at {where} is too old: it speaks {speaks}, and this backend "
        f"needs API {MINIMUM_API_VERSION} or newer."
    )
