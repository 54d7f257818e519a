"""Acting on an approved plan: what of it still holds when it is carried out.

A plan shown to a person and approved (``update(..., plan=approved)``) is
carried out without a second scan. :func:`narrowed` asks the engine and the
registry what holds now, and narrows the plan to it by the one rule,
:func:`watchtower.planner.recheck`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from ._emitter import Emitter
from .budget import Budget
from .events import Skipped
from .model import Container, short_id
from .params import UpdateParams
from .planner import recheck
from .plans import Action, Plan, Status
from .protocols import ContainerClient, Registry
from .settings import ContainerSettings
from .staleness import fan_out, scan_deadline

__all__ = ["named", "narrowed"]

# Its lines are the run's: logged as the orchestrator's.
_log = logging.getLogger("watchtower.orchestrator")


def named(
    approved: Plan, listed: Sequence[Container]
) -> tuple[list[Container], dict[str, ContainerSettings]]:
    """The containers ``approved`` names, as ``listed`` shows them now, and their settings.

    Only a container still the one planned (same id) is named; the settings
    are the plan's, for the hooks.
    """
    now = {c.name: c for c in listed}
    settings = {e.name: e.settings for e in approved.entries}
    chosen = [
        now[e.name] for e in approved.entries if e.name in now and now[e.name].id == e.container.id
    ]
    return chosen, settings


def narrowed(
    approved: Plan,
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams,
    emit: Emitter,
    listed: Sequence[Container],
) -> Plan:
    """The plan a caller approved, narrowed to what still holds.

    The rule is :func:`~watchtower.planner.recheck`. The registry is asked
    again once per distinct image the plan updates to; each action dropped
    is told as a ``Skipped`` event.
    """
    refs = [
        e.target_reference
        for e in approved.actions
        if e.action is Action.UPDATE and e.new_image is not None and e.new_image.repo_digests
    ]
    # Within the scan's budget, as a scan's own lookups: a registry that hangs
    # does not hold the run.
    scan = Budget.starting(params.registry_scan_timeout.total_seconds(), time.monotonic())
    until = scan_deadline(scan, lambda ref: f"the digest of {ref.familiar}")
    served = fan_out(refs, registry.digest, params.check_concurrency, Exception, until=until)
    for ref, answer in served.items():
        if isinstance(answer, Exception):
            _log.warning("%s could not be checked again; the plan's image is used: %s", ref, answer)
    narrowing = recheck(
        approved,
        listed,
        served,
        held=params.held,
        missing=_missing_images(client, approved),
        use_compose_depends_on=params.use_compose_depends_on,
    )
    for before, after in zip(approved.entries, narrowing.entries, strict=True):
        if after.status is Status.SKIPPED and before.status is not Status.SKIPPED:
            emit(Skipped(at=emit.now(), container=after.name, reason=after.reason))
    return narrowing


def _missing_images(client: ContainerClient, approved: Plan) -> set[str]:
    """The new images of ``approved``'s updates that the engine no longer has.

    One inspection per distinct image; one the engine cannot say about
    counts as there (its replacement's create then fails and is rolled back).
    """
    missing = set()
    wanted = {
        e.new_image.id
        for e in approved.actions
        if e.action is Action.UPDATE and e.new_image is not None
    }
    for image_id in sorted(wanted):
        try:
            if client.inspect_image(image_id) is None:
                missing.add(image_id)
        except Exception as error:
            _log.warning("Image %s could not be inspected: %s", short_id(image_id), error)
    return missing
