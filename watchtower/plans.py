"""The plan of a run: what is stale, what will be replaced, in which units and order.

A :class:`Plan` is data. :func:`watchtower.plan` makes one without changing
any container; :func:`watchtower.execute` carries one out. Monitor-only and a
dry run are the same plan with no actions. ``describe()`` shows it to a
person; ``to_json()`` to a program.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from .errors import ConfigurationError
from .events import Status
from .model import Container, Image, ImageRef, short_id
from .report import ContainerReport, Outcome
from .settings import ContainerSettings
from .sorter import dependency_graph, dependents
from .versions import Version, change

if TYPE_CHECKING:
    from .service_plans import ServiceEntry

__all__ = [
    "LEFT_OUT",
    "NOT_RESTARTED",
    "Action",
    "Plan",
    "PlanEntry",
    "Status",
    "restarts_among",
]


class Action(str, enum.Enum):
    """What the run will do with a container."""

    NONE = "none"
    """Leave it as it is."""
    UPDATE = "update"
    """Replace it with a container on the newer image."""
    RESTART = "restart"
    """Recreate it on its image, because something it depends on is replaced."""


@frozen(kw_only=True)
class PlanEntry:
    """The plan for one container.

    Attributes:
        container: The container as it was when planned.
        status: What the check found.
        action: What will be done.
        reason: Why, in words.
        new_image: The newest local image for its reference (after a pull),
            when the check found one.
        settings: What its labels ask for, resolved against the parameters.
        new_reference: The newer tag its tag rule found (``nginx:1.25.4``
            for a container on ``nginx:1.25.3``), when it is stale because
            of it; ``None`` when it follows its own tag.
        old_version: The version the container runs, from its labels (which
            hold its image's).
        new_version: The version of ``new_image``, when that is another image.
        notes: A link to what changed between the two, or empty.
        next_due: When it is next due (:mod:`watchtower.timing`): for a
            stale container outside its maintenance windows, when the next
            one opens; for one with its own schedule, that schedule's next
            time; ``None`` otherwise.
        error: True when it could not be checked or pulled (see
            :attr:`Verdict.error <watchtower.staleness.Verdict.error>`): a
            skip or failure by error, not on purpose.
        stage: Where its new image is in a canary rollout (``canary`` or
            ``promoted``, :mod:`watchtower.canary`); empty when no canary
            gate applies.
    """

    container: Container
    settings: ContainerSettings
    status: Status
    action: Action = Action.NONE
    reason: str = ""
    new_image: Image | None = None
    new_reference: ImageRef | None = None
    old_version: Version | None = None
    new_version: Version | None = None
    notes: str = ""
    next_due: datetime | None = None
    error: bool = False
    stage: str = ""

    @property
    def name(self) -> str:
        """The container's name."""
        return self.container.name

    @property
    def warnings(self) -> tuple[str, ...]:
        """One sentence for each of its labels that was unreadable and ignored."""
        return self.settings.problems

    @property
    def target_image(self) -> Image:
        """The image the container will run after the plan; new for an update, else its own."""
        if self.action is Action.UPDATE and self.new_image is not None:
            return self.new_image
        return self.container.current_image

    @property
    def target_reference(self) -> ImageRef:
        """The reference the container will run after the plan, a newer tag for an update."""
        if self.action is Action.UPDATE and self.new_reference is not None:
            return self.new_reference
        return self.container.image

    def to_report(self) -> ContainerReport:
        """What the report says of this container when nothing is done to it."""
        container = self.container
        return ContainerReport(
            id=container.id,
            name=container.name,
            image=container.image.familiar,
            old_image_id=container.image_id,
            new_image_id=self.new_image.id if self.new_image else None,
            new_image=self.new_reference.familiar if self.new_reference else None,
            outcome=Outcome(self.status.value),  # each status is an outcome too
            reason=self.reason,
            warnings=self.warnings,
            old_version=self.old_version,
            new_version=self.new_version,
            notes=self.notes,
            next_due=self.next_due,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "id": self.container.id,
            "image": self.container.image.familiar,
            "image_id": self.container.image_id,
            "new_image_id": self.new_image.id if self.new_image else None,
            "new_image": self.new_reference.familiar if self.new_reference else None,
            "status": self.status.value,
            "action": self.action.value,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "old_version": self.old_version.to_dict() if self.old_version else None,
            "new_version": self.new_version.to_dict() if self.new_version else None,
            "notes": self.notes,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "error": self.error,
            **({"stage": self.stage} if self.stage else {}),
        }


LEFT_OUT = "left out"
"""The reason of an entry :meth:`Plan.leaving_out` took the action of."""

NOT_RESTARTED = "not restarted: nothing it depends on is replaced any more"
"""The reason of a planned restart dropped because nothing it depends on is still updated."""


def restarts_among(
    graph: Mapping[str, frozenset[str]], acting: Collection[str], updates: Collection[str]
) -> frozenset[str]:
    """The containers of ``acting`` to recreate on their own image while ``updates`` are replaced.

    The rule :func:`~watchtower.planner.recheck` and :meth:`Plan.leaving_out`
    share: a planned action is kept as a restart only while something it
    depends on (directly, or through another kept restart) is still
    updated. ``graph`` is each container's dependencies by name; ``acting``
    the containers still acted on; ``updates`` those of them still updated,
    which are never restarts.
    """
    acted = set(acting)
    found = dependents({n: graph.get(n, frozenset()) & acted for n in acted}, set(updates))
    return found - set(updates)


def _entries(value: Iterable[PlanEntry]) -> tuple[PlanEntry, ...]:
    return tuple(value)


def _units(value: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(unit) for unit in value)


def _services(value: Iterable[ServiceEntry]) -> tuple[ServiceEntry, ...]:
    return tuple(value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Plan:
    """What a run will do.

    Attributes:
        entries: One per container in scope, in dependency order (containers
            on a dependency cycle last).
        units: Groups of container names replaced together, each in start
            order; a container is down only while its own unit is replaced.
        created_at: When the plan was made.
        services: One per service in scope (see :mod:`watchtower.services`),
            when the run covers an engine's services; their engine rolls
            them out, each on its own.
        pending_repairs: The containers in scope that an interrupted run
            left renamed aside, by the name they stand for: the next
            :func:`~watchtower.update` repairs them first (see
            :mod:`watchtower.repair`); a plan changes nothing.
    """

    entries: tuple[PlanEntry, ...] = field(converter=_entries)
    units: tuple[tuple[str, ...], ...] = field(converter=_units)
    created_at: datetime
    services: tuple[ServiceEntry, ...] = field(default=(), converter=_services)
    pending_repairs: tuple[str, ...] = field(default=(), converter=_names)

    def __iter__(self) -> Iterator[PlanEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, name: str) -> PlanEntry:
        """The entry of the container named ``name``.

        Raises:
            KeyError: No such container is in the plan.
        """
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    @property
    def actions(self) -> tuple[PlanEntry, ...]:
        """The entries that will change something."""
        return tuple(e for e in self.entries if e.action is not Action.NONE)

    def without_actions(self, reason: str) -> Plan:
        """The same plan with every action dropped (monitor-only, dry run)."""
        entries = tuple(
            attrs.evolve(
                e,
                action=Action.NONE,
                reason=reason if e.action is not Action.NONE else e.reason,
            )
            for e in self.entries
        )
        services = tuple(s.without_action(reason) for s in self.services)
        return attrs.evolve(self, entries=entries, units=(), services=services)

    def leaving_out(
        self,
        names: Collection[str],
        reason: str = LEFT_OUT,
        *,
        use_compose_depends_on: bool = True,
    ) -> Plan:
        """This plan with the entries ``names`` left out: they lose their action, none gains one.

        Each named entry's action is dropped, with ``reason``. A restart not
        named is kept only while something it depends on is still updated
        (:func:`restarts_among`, the rule of
        :func:`~watchtower.planner.recheck`); a restart that loses its cause
        is dropped too, saying so (:data:`NOT_RESTARTED`). The units keep
        their order, with only the containers still acted on. Pure: no
        engine or registry is asked.

        Raises:
            ConfigurationError: A name is no entry of the plan.
        """
        unknown = sorted(set(names) - {e.name for e in self.entries})
        if unknown:
            raise ConfigurationError(f"The plan has no container {unknown[0][:80]!r}.")
        left = set(names)
        acting = {e.name for e in self.actions if e.name not in left}
        updates = {e.name for e in self.actions if e.action is Action.UPDATE} & acting
        graph = dependency_graph(
            [e.container for e in self.entries], use_compose_depends_on=use_compose_depends_on
        )
        keeping = updates | restarts_among(graph, acting, updates)
        entries = [
            e
            if e.action is Action.NONE or e.name in keeping
            else attrs.evolve(
                e, action=Action.NONE, reason=reason if e.name in left else NOT_RESTARTED
            )
            for e in self.entries
        ]
        kept_units = (tuple(n for n in unit if n in keeping) for unit in self.units)
        return attrs.evolve(self, entries=entries, units=tuple(unit for unit in kept_units if unit))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "created_at": self.created_at.isoformat(),
            "entries": [e.to_dict() for e in self.entries],
            "units": [list(unit) for unit in self.units],
            "services": [s.to_dict() for s in self.services],
            "pending_repairs": list(self.pending_repairs),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The plan as JSON; keyword arguments go to :func:`json.dumps`."""
        return json.dumps(self.to_dict(), **kwargs)

    def describe(self) -> str:
        """The plan in words, one line per container and one per unit, then the repairs."""
        repairs = [
            f"Repair pending: a run was interrupted while replacing {name}; "
            "the next update repairs it first."
            for name in self.pending_repairs
        ]
        return "\n".join([self._entries_described(), *repairs])

    def _entries_described(self) -> str:
        if not self.entries and not self.services:
            return "No containers in scope."
        width = max(
            len(name) for name in [e.name for e in self.entries] + [s.name for s in self.services]
        )
        lines = []
        for e in self.entries:
            what = e.action.value if e.action is not Action.NONE else e.status.value
            line = f"{e.name:<{width}}  {what:<8} {e.container.image.familiar}"
            if e.new_reference is not None:
                line += f" -> {e.new_reference.familiar}"
            if e.action is Action.UPDATE and e.new_image is not None:
                line += f"  {short_id(e.container.image_id)} -> {short_id(e.new_image.id)}"
            if e.new_version is not None and e.new_version.version:
                line += f"  (version {change(e.old_version, e.new_version)})"
            if e.reason:
                line += f"  ({e.reason})"
            lines.append(line)
            lines.extend(f"{'':<{width}}  warning: {warning}" for warning in e.warnings)
        for s in self.services:
            what = s.action.value if s.action is not Action.NONE else s.status.value
            replicas = "global" if s.service.replicas is None else f"{s.service.replicas} replicas"
            line = (
                f"{s.name:<{width}}  {what:<8} {s.service.followed.familiar}  (service, {replicas})"
            )
            if s.reason:
                line += f"  ({s.reason})"
            lines.append(line)
        if self.units or any(s.action is not Action.NONE for s in self.services):
            lines.append("")
            for number, unit in enumerate(self.units, 1):
                lines.append(
                    f"Unit {number}: stop {', '.join(reversed(unit))}; start {', '.join(unit)}"
                )
        else:
            lines.append("")
            lines.append("Nothing will be changed.")
        return "\n".join(lines)
