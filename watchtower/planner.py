"""Planning a run: :func:`plan` decides what is stale and what will be replaced.

It lists and selects the containers, applies the staleness rule, orders them
by dependency and groups the replacements into independent units; it changes
no container. The result is a :class:`~watchtower.plans.Plan`, data that a
person can read and :func:`~watchtower.orchestrator.execute` can carry out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence

import attrs

from ._emitter import Emitter
from ._gates import SELF_UPDATE_OFF as SELF_UPDATE_OFF
from ._gates import blockers, gates, held_reason, hold, movable, waits_for, why_not
from .budget import Budget
from .canaries import with_canary_containers
from .clock import Clock, system_clock
from .events import Checked, Failed, LabelIgnored, Observer, Skipped, Step, UpdateAvailable
from .following import follow_tags
from .history import History
from .memo import DigestMemo
from .model import Container, ContainerState, ImageRef, short_id
from .params import UpdateParams
from .plans import NOT_RESTARTED, Action, Plan, PlanEntry, Status, restarts_among
from .protocols import ContainerClient, Registry, ServiceClient
from .release_notes import notes_url
from .repair import find_repairs, read_name
from .selection import select
from .services import is_task, plan_services
from .settings import ContainerSettings
from .sorter import components, dependency_graph, dependents, sort_by_dependencies
from .stacks import held_back, merge_units
from .staleness import Verdict, assess
from .versions import Version, named_pair, repo_digest

__all__ = ["MOVED", "held_reason", "plan", "recheck", "versioned", "waits_for"]

# The states :meth:`~watchtower.protocols.ContainerClient.list_containers` lists,
# always and with ``include_stopped``.
_LISTED = {ContainerState.RUNNING, ContainerState.PAUSED}
_STOPPED = {ContainerState.CREATED, ContainerState.EXITED}


def plan(
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
    pull: bool = True,
    services: ServiceClient | None = None,
    past: History | None = None,
    host: str = "",
) -> Plan:
    """Decide what a run would do, changing no container.

    Lists the containers, selects those in scope, checks their images (one
    registry request per distinct image; a pull where the digest differs,
    unless no-pull), orders them by dependency and groups the replacements
    into independent units. With monitor-only every action is dropped.

    With ``pull=False`` the plan is a check only: nothing is pulled, a
    container is stale when the registry serves another digest, and the
    plan has no actions (there is no new image to act with).

    With ``services`` the plan also has one entry per service in scope
    (:attr:`Plan.services <watchtower.plans.Plan.services>`, see
    :mod:`watchtower.services`).

    Its events reach ``observer`` as :func:`~watchtower.update`'s do (see
    :mod:`watchtower.events`), all before it returns, ``Planned`` last.

    The containers labelled as canaries gate the others on their image
    (:mod:`watchtower.canaries`), as ``past``, the history of the engine
    named ``host`` there, tells what they did; without it no new image of
    theirs is promoted yet.

    Raises:
        ConfigurationError: A selection parameter is malformed.
        EngineError: The containers could not be listed.
    """
    params = params or UpdateParams()
    with Emitter(observer, clock or system_clock) as emit:
        # One listing, stopped containers included: it shows the leftovers too.
        listed = client.list_containers(include_stopped=True, include_restarting=True)
        pending = sorted({leftover.name for leftover in find_repairs(listed, params)})
        chosen, settings = in_scope(client, params, listed)
        params = with_canary_containers(params, chosen, settings, past, host, emit)
        if services is not None:
            # Containers and services of the same tag share one digest request.
            registry = registry if isinstance(registry, DigestMemo) else DigestMemo(registry)
        entries = (
            plan_services(services, registry, params, emit, pull=pull)
            if services is not None
            else ()
        )
        the_plan = make_plan(chosen, settings, client, registry, params, emit, pull=pull)
        the_plan = attrs.evolve(the_plan, services=entries, pending_repairs=pending)
        the_plan = the_plan if pull else the_plan.without_actions("check only")
        emit.planned(the_plan)
        return the_plan


MOVED = "the registry serves another image than the approved plan's"
"""How the reason begins when an approved update is not carried out, its tag having moved."""


def recheck(
    approved: Plan,
    listed: Sequence[Container],
    served: Mapping[ImageRef, str | Exception],
    *,
    held: Mapping[str, str] | None = None,
    missing: Collection[str] = (),
    use_compose_depends_on: bool = True,
) -> Plan:
    """``approved`` narrowed to what still holds now: the plan to act on, never more.

    A plan made earlier may be out of date when it is carried out. Its
    actions are checked against the engine's listing now (``listed``, aside
    names and all) and the digests the registry serves now (``served``, by
    reference, an exception where it could not say), and an action whose
    ground has moved is dropped, with the reason, as a skipped entry:

    - the container is gone, another container holds its name, or it runs
      another image (a person or another run changed it; a repair undid it);
    - the registry serves another digest for the reference of an update
      than the plan's new image has (:data:`MOVED`): the image approved is
      no longer the newest, and the newest is not the one approved;
    - a rollback holds it now (``held``: its version by name);
    - the new image of its update is no longer on the engine (``missing``:
      image ids), removed since the plan pulled it;
    - another member of its stack is dropped (:mod:`watchtower.stacks`).

    An update whose registry could not be asked again is carried out with
    the plan's image, as approved. A container whose update is dropped but
    which depends on one still replaced is recreated on its own image (a
    restart), and a restart is kept only while something it depends on is
    still replaced. No action is ever added: every container acted on is
    one the plan names for an update or a restart, with the image it names.
    The units keep the plan's order, with only the containers acted on: a
    name in a unit whose entry has no action is never acted on.
    """
    held = held or {}
    now = {c.name: c for c in listed if read_name(c) is None}
    why: dict[str, str] = {}
    moved: dict[str, str] = {}
    for entry in approved.actions:
        name, then = entry.name, entry.container
        found = now.get(name)
        if found is None:
            why[name] = "it is gone since the plan was made; plan again"
        elif found.id != then.id:
            why[name] = (
                f"another container ({found.short_id}) holds its name since the plan "
                f"was made ({then.short_id}); plan again"
            )
        elif found.image_id != then.image_id:
            why[name] = (
                f"it runs another image ({short_id(found.image_id)}) than when the plan "
                f"was made ({short_id(then.image_id)}); plan again"
            )
        elif name in held:
            why[name] = held_reason(name, held[name])
        elif (
            entry.action is Action.UPDATE
            and entry.new_image is not None
            and entry.new_image.id in missing
        ):
            why[name] = (
                f"its new image ({short_id(entry.new_image.id)}) is no longer on the "
                "engine; plan again"
            )
        elif entry.action is Action.UPDATE and entry.new_image is not None:
            ref = entry.target_reference
            planned = repo_digest(entry.new_image.repo_digests, ref)
            answer = served.get(ref)
            if planned and isinstance(answer, str) and not entry.new_image.has_digest(answer):
                moved[name] = (
                    f"{MOVED} ({short_id(answer)}, not {short_id(planned)}); "
                    "plan again to approve it"
                )
    # A stack is carried out whole or not at all (watchtower.stacks).
    stacks = {e.name: e.settings.stack for e in approved.entries}
    if any(stacks.values()):
        going = {e.name for e in approved.actions if e.action is Action.UPDATE}
        for name, reason in held_back(
            stacks, going - set(why) - set(moved), {**why, **moved}
        ).items():
            moved.setdefault(name, reason)
    acting = {e.name for e in approved.actions if e.name not in why}
    updates = {
        e.name for e in approved.actions if e.action is Action.UPDATE and e.name in acting
    } - set(moved)
    graph = dependency_graph(
        [e.container for e in approved.entries], use_compose_depends_on=use_compose_depends_on
    )
    restarts = restarts_among(graph, acting, updates)
    keeping = updates | restarts
    # Only the entries' actions count: a unit never brings in a name without one
    # (an approver may have taken an action out of the plan, and not its unit).
    kept_units = (tuple(n for n in unit if n in keeping) for unit in approved.units)
    units = tuple(unit for unit in kept_units if unit)
    if not why and not moved and keeping == acting:
        return attrs.evolve(approved, units=units)
    entries = []
    for entry in approved.entries:
        name = entry.name
        if entry.action is Action.NONE or (name in updates and entry.action is Action.UPDATE):
            entries.append(entry)
        elif name in why or name in moved:
            reason = why.get(name) or moved[name]
            dropped = attrs.evolve(entry, status=Status.SKIPPED, reason=reason)
            if name in restarts:
                cause = sorted(d for d in graph[name] if d in updates | restarts)
                reason += f"; recreated on its image: it depends on {', '.join(cause)}"
                dropped = attrs.evolve(dropped, action=Action.RESTART, reason=reason)
            else:
                dropped = attrs.evolve(dropped, action=Action.NONE)
            entries.append(dropped)
        elif name in restarts:
            entries.append(entry)
        else:
            entries.append(attrs.evolve(entry, action=Action.NONE, reason=NOT_RESTARTED))
    return attrs.evolve(approved, entries=entries, units=units)


def in_scope(
    client: ContainerClient,
    params: UpdateParams,
    listed: Sequence[Container] | None = None,
) -> tuple[list[Container], dict[str, ContainerSettings]]:
    """The containers the engine lists that ``params`` selects, and their settings.

    ``listed`` is a listing the caller already has, stopped and restarting
    containers included; the engine is asked only without it. Each
    container's labels are read here, once per run. A container that a
    replacement renamed aside is never selected: it is the repair's, and
    neither is a service's task: its engine replaces it.
    """
    if listed is None:
        listed = client.list_containers(
            include_stopped=params.include_stopped,
            include_restarting=params.include_restarting,
        )
    wanted = _LISTED | (_STOPPED if params.include_stopped else set())
    if params.include_restarting:
        wanted |= {ContainerState.RESTARTING}
    listed = [c for c in listed if c.state in wanted and read_name(c) is None and not is_task(c)]
    settings = {c.name: ContainerSettings.read(c, params) for c in listed}
    chosen, _ = select(listed, params, settings)
    return chosen, {c.name: settings[c.name] for c in chosen}


def make_plan(
    chosen: Sequence[Container],
    settings: Mapping[str, ContainerSettings],
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams,
    emit: Emitter,
    *,
    pull: bool = True,
    monotonic: Callable[[], float] = time.monotonic,
) -> Plan:
    """The plan for containers already selected, announced through ``emit``.

    Its registry lookups (tags, digests, ages) share one budget of
    ``params.registry_scan_timeout`` on the ``monotonic`` clock: an image
    still unanswered at its end is skipped, and the plan is not late.
    """
    now = emit.now()
    scan = Budget.starting(params.registry_scan_timeout.total_seconds(), monotonic())
    for container in chosen:
        for problem in settings[container.name].problems:
            emit(LabelIgnored(at=emit.now(), container=container.name, reason=problem))
    # A held container is not checked at all: no registry request is spent on it.
    free = [c for c in chosen if c.name not in params.held]
    targets, tag_notes = follow_tags(
        free, settings, registry, params.check_concurrency, scan, monotonic
    )
    # A container a tag rule moves is checked (and pulled) at its new tag.
    assessed = [attrs.evolve(c, image=targets[c.name]) if c.name in targets else c for c in free]
    verdicts = assess(
        assessed,
        settings,
        client,
        registry,
        params,
        now,
        pull=pull,
        scan=scan,
        monotonic=monotonic,
        emit=emit,
    )
    hold(chosen, params.held, verdicts)
    stages: dict[str, str] = {}
    by_policy = gates(free, settings, verdicts, targets, params, now, stages)
    graph = dependency_graph(chosen, use_compose_depends_on=params.use_compose_depends_on)
    ordering = sort_by_dependencies(graph)
    by_name = {c.name: c for c in chosen}
    cycle_of = {name: cycle for cycle in ordering.cycles for name in cycle}

    # Who may be recreated at all: not on a cycle, not monitor-only, not
    # watchtower itself when self-update is off, not outside its windows.
    timing, waiting, may = movable(ordering.order, settings, params, now)
    to_update = [n for n in ordering.order if n in may and verdicts[n].status is Status.STALE]
    # Those their update policy keeps as they are (approve, notify) wait, stale.
    to_update = [n for n in to_update if n not in by_policy]
    stacks = {c.name: settings[c.name].stack for c in chosen}
    stack_held: dict[str, str] = {}
    if any(stacks.values()):
        blocked = blockers(
            chosen, verdicts, to_update, by_policy, timing, waiting, settings, params.held
        )
        stack_held = held_back(stacks, to_update, blocked)
        to_update = [n for n in to_update if n not in stack_held]
    movable_graph = {n: graph[n] & may for n in may}
    to_restart = dependents(movable_graph, to_update) - set(to_update)
    restarting = set(to_update) | to_restart

    entries: list[PlanEntry] = []
    for name in (*ordering.order, *sorted(cycle_of)):
        entry = _entry(
            by_name[name], settings[name], verdicts[name], cycle_of, restarting, to_restart, graph
        )
        if name in targets and entry.status is Status.STALE and entry.action is not Action.RESTART:
            entry = _moved(entry, targets[name])
        entry = versioned(entry)
        if name in stages:
            entry = attrs.evolve(entry, stage=stages[name])
        if name in tag_notes:
            entry = attrs.evolve(
                entry, reason="; ".join(filter(None, [entry.reason, tag_notes[name]]))
            )
        why = ""
        if entry.status is Status.STALE and entry.action is Action.NONE:
            waits = timing[name].reason if name in waiting else ""
            policy = by_policy.get(name, "") or stack_held.get(name, "")
            why = why_not(settings[name], "; ".join(filter(None, [policy, waits])))
            if waits and waits in why:
                entry = attrs.evolve(entry, next_due=timing[name].next)
        elif params.no_restart and entry.action is not Action.NONE:
            why = "no-restart: recreated, not started"
        if why:
            entry = attrs.evolve(entry, reason="; ".join(filter(None, [why, entry.reason])))
        if settings[name].schedule is not None and name in timing:
            # Checked again at its schedule's next time, whatever this run found.
            entry = attrs.evolve(entry, next_due=timing[name].next)
        entries.append(entry)
        _announce(emit, entry)

    units = components(graph, restarting) if restarting else ()
    if any(stacks.values()):
        units = merge_units(units, stacks, ordering.order)
    # Watchtower's own container goes last: its successor removes this instance.
    units = tuple(sorted(units, key=lambda unit: any(settings[n].is_watchtower for n in unit)))
    return Plan(entries=entries, units=units, created_at=now)


def versioned(entry: PlanEntry) -> PlanEntry:
    """``entry`` with the versions it runs and would run, and the link to what changed.

    The old version is read from the container's labels, which hold its
    image's (Docker merges them in, and a replacement takes the new image's).
    The new one is read from the new image, when it is another image. The
    tag stands in for a missing version label only for a container with a
    tag rule, where the tag is a version; the short digest otherwise.
    """
    container, ruled = entry.container, entry.settings.tag_rule is not None
    old = Version.read(
        container.labels,
        tag=(container.image.tag or "") if ruled else "",
        digest=repo_digest(container.repo_digests, container.image) or container.image_id,
    )
    image = entry.new_image
    if image is None or image.id == container.image_id:
        return attrs.evolve(entry, old_version=old)
    ref = entry.new_reference or container.image
    new = Version.read(
        image.labels,
        tag=(ref.tag or "") if ruled else "",
        digest=repo_digest(image.repo_digests, ref) or image.id,
    )
    notes = notes_url(old, new, entry.settings.release_notes)
    return attrs.evolve(entry, old_version=old, new_version=new, notes=notes)


def _moved(entry: PlanEntry, target: ImageRef) -> PlanEntry:
    """A stale entry that a tag rule moves to ``target``, saying what a compose file needs."""
    old, new = entry.container.image.familiar, target.familiar
    note = f"a newer version is tagged {new}"
    if entry.action is Action.UPDATE:
        note = (
            f"it moves to {new}; a compose file or script that names {old} still does: "
            f"change it to {new}, or its next deployment goes back to {old}"
        )
    return attrs.evolve(
        entry, new_reference=target, reason="; ".join(filter(None, [entry.reason, note]))
    )


def _entry(
    container: Container,
    settings: ContainerSettings,
    verdict: Verdict,
    cycle_of: dict[str, tuple[str, ...]],
    restarting: Collection[str],
    to_restart: Collection[str],
    graph: dict[str, frozenset[str]],
) -> PlanEntry:
    """The plan for one container, from its verdict and its place in the graph."""
    name = container.name
    if name in cycle_of:
        cycle = ", ".join(cycle_of[name])
        return PlanEntry(
            container=container,
            settings=settings,
            status=Status.SKIPPED,
            reason=f"it is on a dependency cycle: {cycle}",
            new_image=verdict.image,
        )
    if name in to_restart:
        cause = sorted(d for d in graph[name] if d in restarting)
        return PlanEntry(
            container=container,
            settings=settings,
            status=verdict.status,
            action=Action.RESTART,
            reason=f"it depends on {', '.join(cause)}, which restarts",
            new_image=verdict.image,
        )
    action = Action.UPDATE if name in restarting else Action.NONE
    return PlanEntry(
        container=container,
        settings=settings,
        status=verdict.status,
        action=action,
        reason=verdict.reason,
        new_image=verdict.image,
        error=verdict.error or verdict.status is Status.FAILED,
    )


def _announce(emit: Emitter, entry: PlanEntry) -> None:
    container = entry.container
    emit(
        Checked(
            at=emit.now(),
            container=entry.name,
            image=container.image.familiar,
            status=entry.status,
            reason=entry.reason,
            stage=entry.stage,
        )
    )
    if entry.status is Status.STALE and entry.new_image is not None:
        old_version, new_version = named_pair(entry.old_version, entry.new_version)
        emit(
            UpdateAvailable(
                at=emit.now(),
                container=entry.name,
                image=container.image.familiar,
                old_image_id=container.image_id,
                new_image_id=entry.new_image.id,
                new_image=entry.new_reference.familiar if entry.new_reference else None,
                old_version=old_version,
                new_version=new_version,
                notes=entry.notes,
            )
        )
    elif entry.status is Status.SKIPPED:
        emit(Skipped(at=emit.now(), container=entry.name, reason=entry.reason))
    elif entry.status is Status.FAILED:
        emit(Failed(at=emit.now(), container=entry.name, step=Step.PULL, reason=entry.reason))
