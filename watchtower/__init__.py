"""watchtower: keep running containers on the images their registries currently serve.

The public API is re-exported here. Each name is imported from its module
when first used, so ``import watchtower`` is quick and imports nothing heavy
(neither attrs' class machinery for every value type nor docker or requests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_names
from ._version import __version__

if TYPE_CHECKING:
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
    from .events import Event, Hook, Observer, Status, Step
    from .hosts import update_hosts
    from .model import Container, ContainerState, HookResult, Image, ImageRef, Service
    from .orchestrator import execute, update
    from .params import UpdateParams
    from .planner import plan
    from .plans import Action, Plan, PlanEntry
    from .protocols import ContainerClient, Notifier, Registry, ServiceClient
    from .reference import parse_reference
    from .report import ContainerReport, EntryKind, Outcome, Report

# Where each public name lives.
_ORIGINS = {
    "Action": "plans",
    "ConfigurationError": "errors",
    "Container": "model",
    "ContainerClient": "protocols",
    "ContainerError": "errors",
    "ContainerReport": "report",
    "ContainerState": "model",
    "EngineError": "errors",
    "EntryKind": "report",
    "Event": "events",
    "Hook": "events",
    "HookResult": "model",
    "Image": "model",
    "ImageInUseError": "errors",
    "ImageRef": "model",
    "InvalidReferenceError": "errors",
    "Notifier": "protocols",
    "Observer": "events",
    "Outcome": "report",
    "Plan": "plans",
    "PlanEntry": "plans",
    "RateLimitedError": "errors",
    "Registry": "protocols",
    "RegistryError": "errors",
    "Report": "report",
    "Service": "model",
    "ServiceClient": "protocols",
    "Status": "events",
    "Step": "events",
    "UpdateParams": "params",
    "WatchtowerError": "errors",
    "execute": "orchestrator",
    "parse_reference": "reference",
    "plan": "planner",
    "update": "orchestrator",
    "update_hosts": "hosts",
}

__all__ = [
    "Action",
    "ConfigurationError",
    "Container",
    "ContainerClient",
    "ContainerError",
    "ContainerReport",
    "ContainerState",
    "EngineError",
    "EntryKind",
    "Event",
    "Hook",
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
    "Service",
    "ServiceClient",
    "Status",
    "Step",
    "UpdateParams",
    "WatchtowerError",
    "__version__",
    "execute",
    "parse_reference",
    "plan",
    "update",
    "update_hosts",
]


if not TYPE_CHECKING:  # type checkers see the imports above, and no catch-all
    __getattr__, __dir__ = lazy_names(__name__, _ORIGINS, __all__)
