"""watchtower: keep running containers on the images their registries currently serve.

The public API is re-exported here; nothing heavy (docker, requests) is
imported by importing this package.
"""

from __future__ import annotations

from ._version import __version__
from .errors import (
    ConfigurationError,
    ContainerError,
    EngineError,
    ImageInUseError,
    InvalidReferenceError,
    RateLimitedError,
    RegistryError,
    WatchtowerError,
)
from .model import Container, ContainerState, HookResult, Image, ImageRef
from .params import UpdateParams
from .protocols import ContainerClient, Notifier, Registry
from .reference import parse_reference

__all__ = [
    "ConfigurationError",
    "Container",
    "ContainerClient",
    "ContainerError",
    "ContainerState",
    "EngineError",
    "HookResult",
    "Image",
    "ImageInUseError",
    "ImageRef",
    "InvalidReferenceError",
    "Notifier",
    "RateLimitedError",
    "Registry",
    "RegistryError",
    "UpdateParams",
    "WatchtowerError",
    "__version__",
    "parse_reference",
]
