"""The default container backend: a Docker engine through docker-py.

Importing this subpackage checks that docker-py is installed; the names below
import it when first used, so reading :mod:`~watchtower.docker.runtime` (as
the command line's flags do) stays quick. ``import watchtower`` does not
import it at all.

>>> from watchtower.docker import DockerClient
>>> client = DockerClient.from_env()          # doctest: +SKIP

:func:`create_spec` is the pure rule that decides how a replacement is
configured; :class:`DockerClient` does the engine calls.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from .._lazy import lazy_names
from ..errors import MissingExtraError

if importlib.util.find_spec("docker") is None:
    raise MissingExtraError.for_extra(
        "watchtower.docker",
        "docker",
        ModuleNotFoundError("No module named 'docker'", name="docker"),
    )

if TYPE_CHECKING:
    from .client import AuthLookup, DockerClient
    from .connect import MINIMUM_API_VERSION
    from .recreate import CreateSpec, create_spec

# Where each public name lives.
_ORIGINS = {
    "AuthLookup": "client",
    "CreateSpec": "recreate",
    "DockerClient": "client",
    "MINIMUM_API_VERSION": "connect",
    "create_spec": "recreate",
}

__all__ = ["MINIMUM_API_VERSION", "AuthLookup", "CreateSpec", "DockerClient", "create_spec"]

if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all
    __getattr__, __dir__ = lazy_names(__name__, _ORIGINS, __all__)
