"""Whether the watched containers' images changed, pulling nothing: ``POST /v1/check``.

A check waits for a run in progress and holds the runs' lock while it asks
the registries (:meth:`Runner.between_runs
<watchtower.cli.runner.Runner.between_runs>`): it spends the same share of
the registry quota as a run (``--registry-quota-share``), one at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from flask import Response
from typing_extensions import NotRequired, TypedDict

from ...errors import ConfigurationError, RegistryError, WatchtowerError
from ...hosts import plan_hosts
from ...model import ImageRef
from ...params import UpdateParams
from ...plans import PlanEntry, Status
from ...protocols import Registry, TagLister
from ...release_notes import notes_url
from ...report import is_deferred
from ...service_plans import ServiceEntry
from ...versions import Version, named_pair
from ..openapi import Operation, Param
from ..runner import Runner
from ..schemas import ref
from . import _base
from ._base import answer, context, digest_of, error
from ._book import check_status

__all__ = ["OPERATIONS", "CheckResult", "check", "checks"]

_NO_MATCH = (
    "A malformed or unknown parameter, or a filter that names no watched container on any host"
)
_FILTERS = (
    Param("container", "Container names; narrows the configured selection.", repeated=True),
    Param("image", "Image names; narrows the configured selection.", repeated=True),
)

OPERATIONS = (
    Operation(
        "post",
        "/v1/check",
        "check",
        "Which containers' images changed, pulling nothing, and when each may be replaced",
        params=(*_FILTERS, Param("timeout", "Longest wait, such as 30s; capped by the flag.")),
        responses={
            400: _NO_MATCH,
            500: "The check failed",
            504: "Too slow (it goes on), or a run in progress outlasted the timeout"
            " (nothing was checked)",
        },
        schema={
            "type": "object",
            "required": ["containers", "count", "timestamp"],
            "properties": {
                "containers": {"type": "array", "items": ref("CheckResult")},
                "count": {"type": "integer"},
                "deferred": {
                    "type": "integer",
                    "description": "Of the containers, those the registry quota deferred"
                    " to the next run.",
                },
                "timestamp": {"type": "string", "format": "date-time"},
            },
        },
    ),
)


class CheckResult(TypedDict):
    """One container's answer of ``/v1/check``, as the fork writes it."""

    name: str
    image: str
    image_id: str
    digest: str
    update_available: bool
    latest_image_id: str
    latest_digest: str
    timestamp: str
    status: str
    error: NotRequired[str]
    latest_image: NotRequired[str]
    host: NotRequired[str]
    kind: NotRequired[str]
    version: NotRequired[str]
    latest_version: NotRequired[str]
    notes: NotRequired[str]
    next_due: NotRequired[str]
    waits: NotRequired[str]
    stage: NotRequired[str]
    deferred: NotRequired[bool]


class _Recording:
    """A registry that remembers the digest it answered for each reference."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._lock = threading.Lock()
        self.digests: dict[ImageRef, str] = {}

    def digest(self, ref: ImageRef) -> str:
        answer = self._registry.digest(ref)
        with self._lock:
            self.digests[ref] = answer
        return answer

    def created(self, ref: ImageRef, digest: str) -> datetime | None:
        return self._registry.created(ref, digest)

    def tags(self, ref: ImageRef) -> Sequence[str]:
        # Tag rules ask through here too; a registry that cannot list tags says so.
        if not isinstance(self._registry, TagLister):
            raise RegistryError("its registry cannot list tags")
        return self._registry.tags(ref)


def check(runner: Runner, params: UpdateParams) -> list[CheckResult]:
    """Whether each selected container's image changed, pulling nothing, on every host.

    This is :func:`watchtower.hosts.plan_hosts` with ``pull=False``: one
    registry digest request per distinct image for the whole fleet, the
    same selection, labels and cooldown as a run. ``latest_digest`` is the
    digest the registry serves. Containers the check skipped carry the
    reason as ``error``, and ``status`` says whether they were skipped on
    purpose or could not be checked (``failed``, see
    :attr:`PlanEntry.error <watchtower.plans.PlanEntry.error>`); a swarm
    service's result says ``"kind": "service"``; one the registry quota
    deferred (a check spends the same share of it as a run,
    ``params.registry_quota_share``) says ``"deferred": true``, one a canary gate applies to its
    ``stage``;
    on a fleet of named hosts each result names its ``host``, and a host
    that could not be checked is one result with its name and ``error``.
    """
    registry = _Recording(runner.registry)
    plans, failures = plan_hosts(
        runner.fleet, registry, params, clock=runner.clock, pull=False, quota=runner.quota
    )
    now = _base.timestamp(runner.clock())
    results = []
    for host, the_plan in plans.items():
        for entry in the_plan:
            container = entry.container
            result = CheckResult(
                name=container.name,
                image=container.image.familiar,
                image_id=container.image_id,
                digest=digest_of(container),
                update_available=entry.status is Status.STALE,
                latest_image_id=entry.new_image.id if entry.new_image else "",
                latest_digest=registry.digests.get(entry.new_reference or container.image, ""),
                timestamp=now,
                status=check_status(entry.status, entry.error),
            )
            if host:
                result["host"] = host
            if entry.status in (Status.SKIPPED, Status.FAILED):
                result["error"] = entry.reason
            if entry.stage:
                result["stage"] = entry.stage
            if is_deferred(entry.status.value, entry.reason):
                result["deferred"] = True
            if entry.new_reference is not None:  # a tag rule found a newer tag
                result["latest_image"] = entry.new_reference.familiar
            _add_versions(result, entry)
            _add_timing(result, entry, runner.clock())
            results.append(result)
        results.extend(_service_result(host, entry, now) for entry in the_plan.services)
    for host, reason in failures.items():
        results.append(_unchecked(host, reason, now))
    return results


def _add_versions(result: CheckResult, entry: PlanEntry) -> None:
    """``version``, ``latest_version`` and ``notes``; nothing pulled, so the new labels are unknown.

    The versions only when a label or a tag names one (the digests say the
    rest). The latest is the tag a rule moves to, else the digest the
    registry serves; the link comes from the label, or the old image's source.
    """
    old = entry.old_version
    if old is None:
        return
    new = None
    if entry.status is Status.STALE:
        tag = (entry.new_reference.tag or "") if entry.new_reference else ""
        new = entry.new_version or Version(
            source=old.source, tag=tag, digest=result["latest_digest"]
        )
    version, latest_version = named_pair(old, new)
    if version:  # else the digests say as much, and the answer stays the fork's
        result["version"] = version
    if latest_version:
        result["latest_version"] = latest_version
    if new is None:
        return
    notes = entry.notes or notes_url(old, new, entry.settings.release_notes)
    if notes:
        result["notes"] = notes


def _add_timing(result: CheckResult, entry: PlanEntry, now: datetime) -> None:
    """``next_due`` and ``waits`` (see ``_base.timing``), for windows or a schedule."""
    found = _base.timing(entry.settings, now)
    if found["next_due"]:
        result["next_due"] = found["next_due"]
    if found["waits"]:
        result["waits"] = found["waits"]


def _service_result(host: str, entry: ServiceEntry, now: str) -> CheckResult:
    """A swarm service's result: its digest is its spec's, the latest the registry's."""
    service = entry.service
    result = CheckResult(
        name=service.name,
        image=service.followed.familiar,
        image_id=service.image.digest or "",
        digest=service.image.digest or "",
        update_available=entry.status is Status.STALE,
        latest_image_id="",
        latest_digest=entry.new_digest or "",
        timestamp=now,
        status=check_status(entry.status, entry.error),
        kind="service",
    )
    if host:
        result["host"] = host
    if entry.status is Status.SKIPPED:
        result["error"] = entry.reason
    return result


def _unchecked(host: str, reason: str, now: str) -> CheckResult:
    """The result of a host that could not be checked."""
    return CheckResult(
        name="",
        image="",
        image_id="",
        digest="",
        update_available=False,
        latest_image_id="",
        latest_digest="",
        timestamp=now,
        status="failed",
        host=host,
        error=reason,
    )


checks = _base.guarded("check")


@checks.post("/v1/check")
def _check_view() -> Response:
    state = context()
    limit = _base.bound(state.settings.check_timeout)
    if isinstance(limit, Response):
        return limit

    try:
        params, _, anything = _base.narrowed(state.runner)
    except ConfigurationError as bad:
        return error(400, str(bad))
    except WatchtowerError as listing:
        state.runner.logger.error("The check failed: %s", listing)
        return error(500, "failed to check for updates")
    # After a run in progress, never beside one: the quota's share is one run's at a time.
    waited = _base.after_run(
        lambda: check(state.runner, params) if anything else [], limit, "check"
    )
    if isinstance(waited, Response):
        return waited
    done, results, raised = waited
    if not done:
        return _base.too_slow("check", limit)
    if raised is not None or results is None:
        state.runner.logger.error("The check failed: %s", raised)
        return error(500, "failed to check for updates")
    checked_at = state.runner.clock()
    for result in results:
        name, host = result["name"], result.get("host", "")
        state.book.note(name, result["status"], result.get("error", ""), host=host)
        state.book.note_check(name, result["status"], checked_at, host=host)
        if "stage" in result:  # a check pulls nothing: it rarely knows the new image's stage
            state.book.note_stage(name, result["stage"], host=host)
        state.book.note_digest(name, result["latest_digest"], host=host)
        state.book.note_image(name, result.get("latest_image", ""), host=host)
        state.book.note_version(
            name, result.get("latest_version", ""), result.get("notes", ""), host=host
        )
    deferred = sum(1 for result in results if result.get("deferred"))
    return answer(containers=results, count=len(results), deferred=deferred, timestamp=state.now())
