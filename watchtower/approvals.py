"""Updates that wait: the ``approve`` and ``notify`` policies.

A container's ``com.centurylinklabs.watchtower.policy`` label (else
``UpdateParams.policy``, ``--update-policy``) says whether a run replaces it
when its registry serves a newer image:

- ``auto``: at once, as Watchtower does;
- ``notify``: never; it is reported as stale, as with monitor-only;
- ``approve``: once that image is approved. The first run that finds it
  reports it as stale, "waits for approval", and the history keeps it as
  pending (:meth:`History.ask <watchtower.history.History.ask>`); later runs
  that find the same digest skip it without a word, so it is notified once.
  :meth:`History.decide <watchtower.history.History.decide>` approves or
  rejects it. An approval names the digest it approves: when the registry
  serves another one, that is a new update, asked for anew. An approval
  not used within ``UpdateParams.approval_expiry`` lapses, and the update
  is asked for again. A rejected digest is never asked for again.

:func:`gate` is the rule, a plain function of the verdict and what was
decided; :func:`ask_for` keeps what a plan asks for. Both are the
planner's and the orchestrator's, so that ``update(..., history=...)``
honours approvals for library users as it does for the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs
from attrs import frozen

from ._emitter import Emitter
from .events import Step
from .history import Approval, History, State, approvals_on
from .history._reading import read_kept
from .model import ImageRef, short_id
from .params import Policy, UpdateParams
from .plans import Action, Plan, PlanEntry, Status
from .staleness import Verdict
from .versions import change, named_pair, repo_digest

__all__ = [
    "Gate",
    "approvals_of",
    "ask_for",
    "digest_of",
    "gate",
    "summary",
    "waiting_reason",
    "with_approvals",
]


def waiting_reason(name: str) -> str:
    """What the plan says of a stale container that waits for approval, and how to give it."""
    return f"waits for approval: `watchtower approve {name}` or POST /v1/approvals/{name}/approve"


#: What the plan says of a stale container of the ``notify`` policy.
NOTIFY_REASON = "policy notify: reported, never replaced"


@frozen
class Gate:
    """What :func:`gate` decided for one stale container.

    Attributes:
        go: True when it may be replaced now.
        verdict: Its verdict: the one given, or skipped when it waits for
            an update that was asked for already (or rejected).
    """

    go: bool
    verdict: Verdict


def digest_of(verdict: Verdict, ref: ImageRef) -> str:
    """The digest of the image ``verdict`` found for ``ref``: the registry's, else its id."""
    image = verdict.image
    if image is None:
        return ""
    return repo_digest(image.repo_digests, ref) or image.id


def gate(
    verdict: Verdict,
    digest: str,
    approval: Approval | None,
    expiry: timedelta | None,
    now: datetime,
) -> Gate:
    """May a stale container of the ``approve`` policy be replaced with the image of ``digest``?

    Yes when ``approval`` approved that digest and has not lapsed. Otherwise
    it waits: reported as stale the first time (``approval`` is for
    another digest, none, or an approval that lapsed), skipped when that
    digest is pending or rejected already, so that it is told once.
    """
    if approval is None or not digest or approval.digest != digest:
        return Gate(False, verdict)
    if approval.state is State.APPROVED:
        if approval.lapsed(expiry, now):
            return Gate(False, verdict)
        return Gate(True, verdict)
    since = approval.asked_at.strftime("%Y-%m-%d %H:%M")
    if approval.state is State.REJECTED:
        why = f"its update to {approval.shown} was rejected; a newer image is asked for anew"
    else:
        why = f"its update to {approval.shown} waits for approval (asked {since})"
    return Gate(False, attrs.evolve(verdict, status=Status.SKIPPED, reason=why))


def summary(entry: PlanEntry) -> str:
    """The plan's line for ``entry``, without its name.

    As :meth:`Plan.describe <watchtower.plans.Plan.describe>` writes it:
    ``example.org/web:1  3f1c0a9d2b7e -> 9a4e55c01d3f  (version 1.0 -> 1.1)
    (waits for approval: ...)``.
    """
    line = entry.container.image.familiar
    if entry.new_reference is not None:
        line += f" -> {entry.new_reference.familiar}"
    if entry.new_image is not None:
        line += f"  {short_id(entry.container.image_id)} -> {short_id(entry.new_image.id)}"
    if entry.new_version is not None and entry.new_version.version:
        line += f"  (version {change(entry.old_version, entry.new_version)})"
    return f"{line}  ({entry.reason})" if entry.reason else line


def asked(entry: PlanEntry, params: UpdateParams, host: str, now: datetime) -> Approval | None:
    """The approval ``entry`` asks for: a stale container of the approve policy that waits.

    None for any other, and for one whose update is approved already but
    left for another reason (self-update off): that approval stands.
    """
    if not (
        entry.settings.policy is Policy.APPROVE
        and not entry.settings.monitor_only
        and entry.status is Status.STALE
        and entry.action is Action.NONE
        and entry.new_image is not None
    ):
        return None
    ref = entry.new_reference or entry.container.image
    digest = repo_digest(entry.new_image.repo_digests, ref) or entry.new_image.id
    verdict = Verdict(entry.status, entry.new_image)
    if gate(verdict, digest, params.approvals.get(entry.name), params.approval_expiry, now).go:
        return None
    old_version, new_version = named_pair(entry.old_version, entry.new_version)
    return Approval(
        host=host,
        container=entry.name,
        image=ref.familiar,
        digest=digest,
        old_version=old_version,
        new_version=new_version,
        notes=entry.notes,
        summary=summary(entry),
        asked_at=now,
    )


def ask_for(
    plan: Plan, params: UpdateParams, history: History | None, host: str, emit: Emitter
) -> tuple[str, ...]:
    """Keep in ``history`` the updates ``plan`` waits to have approved; the names newly asked.

    ``params`` are those the plan was made with (its approvals). A history
    that cannot be written is logged and told (step ``history``), never raised.
    """
    if history is None:
        return ()
    now, new = emit.now(), []
    for entry in plan.entries:
        approval = asked(entry, params, host, now)
        if approval is None:
            continue
        try:
            if history.ask(approval):
                new.append(entry.name)
        except Exception as error:
            reason = f"The update of {entry.name} to approve was not kept: {error}"
            emit.failed(Step.HISTORY, reason, entry.name)
    return tuple(new)


def approvals_of(history: History | None, emit: Emitter) -> Mapping[tuple[str, str], Approval]:
    """The approvals ``history`` keeps now; none when it cannot say (logged and told)."""
    unread = "The approvals could not be read from the history, so none applies"
    return read_kept(history, lambda kept: kept.approvals(), unread, emit)


def with_approvals(
    params: UpdateParams, approvals: Mapping[tuple[str, str], Approval], host: str = ""
) -> UpdateParams:
    """``params`` with the approvals of the containers of ``host`` added to ``params.approvals``."""
    found = approvals_on(approvals, host)
    if not found:
        return params
    return attrs.evolve(params, approvals={**params.approvals, **found})
