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
from .events import Event, Observer
from .model import Container, ContainerState, HookResult, Image, ImageRef
from .orchestrator import execute, update
from .params import UpdateParams
from .planner import plan
from .plans import Action, Plan, PlanEntry, Status
from .protocols import ContainerClient, Notifier, Registry
from .reference import parse_reference
from .report import ContainerReport, Outcome, Report

__all__ = [
    "Action",
    "ConfigurationError",
    "Container",
    "ContainerClient",
    "ContainerError",
    "ContainerReport",
    "ContainerState",
    "EngineError",
    "Event",
    "HookResult",
    "Image",
    "ImageInUseError",
    "ImageRef",
    "InvalidReferenceError",
    "Notifier",
    "Observer",
    "Outcome",
    "Plan",
    "PlanEntry",
    "RateLimitedError",
    "Registry",
    "RegistryError",
    "Report",
    "Status",
    "UpdateParams",
    "WatchtowerError",
    "__version__",
    "execute",
    "parse_reference",
    "plan",
    "update",
]
