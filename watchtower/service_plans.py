"""The plan for one service: :class:`ServiceEntry`, what a run will do with it.

A :class:`~watchtower.plans.Plan` holds one per service in scope beside its
container entries; :mod:`watchtower.services` makes them and carries them out.
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import frozen

from .model import ImageRef, Service
from .plans import Action, Status
from .report import ContainerReport, EntryKind, Outcome
from .settings import ContainerSettings

__all__ = ["ServiceEntry"]


@frozen(kw_only=True)
class ServiceEntry:
    """The plan for one service.

    Attributes:
        service: The service as it was when planned.
        settings: What its labels ask for, resolved against the parameters.
        status: What the check found.
        action: :attr:`~watchtower.plans.Action.UPDATE` (the engine rolls
            the new digest out) or :attr:`~watchtower.plans.Action.NONE`.
        reason: Why, in words.
        new_digest: The digest its registry serves for the tag it follows,
            when the registry said.
        error: True when its registry could not be asked (a skip by error,
            not on purpose).
    """

    service: Service
    settings: ContainerSettings
    status: Status
    action: Action = Action.NONE
    reason: str = ""
    new_digest: str | None = None
    error: bool = False

    @property
    def name(self) -> str:
        """The service's name."""
        return self.service.name

    @property
    def target(self) -> ImageRef:
        """The reference the service is pointed at, the tag it follows at the new digest."""
        return attrs.evolve(self.service.followed, digest=self.new_digest)

    def without_action(self, reason: str) -> ServiceEntry:
        """The same entry with its action dropped (monitor-only, dry run)."""
        if self.action is Action.NONE:
            return self
        return attrs.evolve(self, action=Action.NONE, reason=reason)

    def to_report(self) -> ContainerReport:
        """What the report says of this service when nothing is done to it."""
        service = self.service
        return ContainerReport(
            id=service.id,
            name=service.name,
            image=service.followed.familiar,
            old_image_id=service.image.digest or "",
            new_image_id=self.new_digest,
            outcome=Outcome(self.status.value),
            reason=self.reason,
            warnings=self.settings.problems,
            kind=EntryKind.SERVICE,
            replicas=service.replicas,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "id": self.service.id,
            "kind": "service",
            "image": self.service.followed.familiar,
            "digest": self.service.image.digest,
            "new_digest": self.new_digest,
            "replicas": self.service.replicas,
            "status": self.status.value,
            "action": self.action.value,
            "reason": self.reason,
            "warnings": list(self.settings.problems),
        }
