"""The default container backend: a Docker engine through docker-py.

Importing this subpackage imports docker-py; ``import watchtower`` does not.

>>> from watchtower.docker import DockerClient
>>> client = DockerClient.from_env()          # doctest: +SKIP

:func:`create_spec` is the pure rule that decides how a replacement is
configured; :class:`DockerClient` does the engine calls.
"""

from __future__ import annotations

from ..errors import MissingExtraError

try:
    import docker as _docker  # noqa: F401
except ImportError as _error:
    raise MissingExtraError.for_extra("watchtower.docker", "docker", _error) from _error

from .client import AuthLookup, DockerClient
from .connect import MINIMUM_API_VERSION
from .recreate import CreateSpec, create_spec

__all__ = ["MINIMUM_API_VERSION", "AuthLookup", "CreateSpec", "DockerClient", "create_spec"]
