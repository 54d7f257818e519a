"""What an update run is asked to do: :class:`UpdateParams`."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import timedelta, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from ._arguments import checked_init
from .canary import Rollout
from .errors import ConfigurationError

if TYPE_CHECKING:
    from .history import Approval
    from .tags import TagRule
    from .windows import Window

__all__ = ["Policy", "UpdateParams"]


def _tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


class Policy(str, enum.Enum):
    """Whether a stale container is replaced: its ``policy`` label, or ``--update-policy``."""

    #: Replaced at once, as Watchtower does.
    AUTO = "auto"
    #: Recorded as pending; replaced only once that image is approved.
    APPROVE = "approve"
    #: Reported, never replaced, as with monitor-only.
    NOTIFY = "notify"


MAX_ID = 2**31 - 1
"""The largest user or group id a lifecycle hook may be given, as in the fork."""


def _windows(value: Any) -> tuple[Window, ...]:
    return tuple(value)


def _rules(value: Mapping[str, TagRule]) -> Mapping[str, TagRule]:
    return MappingProxyType(dict(value))


def _frozen_map(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _approvals(value: Mapping[str, Approval]) -> Mapping[str, Approval]:
    return MappingProxyType(dict(value))


def _bad(attribute: Any, rule: str, value: object) -> ConfigurationError:
    return ConfigurationError(f"UpdateParams.{attribute.name} must {rule}, got {value}.")


def _non_negative(_instance: object, attribute: Any, value: timedelta) -> None:
    if value < timedelta(0):
        raise _bad(attribute, "not be negative", value)


def _an_id(_instance: object, attribute: Any, value: int) -> None:
    if not 0 <= value <= MAX_ID:
        raise _bad(attribute, f"be from 0 to {MAX_ID}", value)


def _positive(_instance: object, attribute: Any, value: int) -> None:
    if value < 1:
        raise _bad(attribute, "be at least 1", value)


def _one_of(*choices: str) -> Any:
    def check(_instance: object, attribute: Any, value: str) -> None:
        if value not in choices:
            raise _bad(attribute, "be one of " + ", ".join(map(repr, choices)), repr(value))

    return check


def _a_span(_instance: object, attribute: Any, value: timedelta) -> None:
    if value <= timedelta(0):
        raise _bad(attribute, "be a positive duration", value)


def _a_share(_instance: object, attribute: Any, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not 0 < value <= 1):
        raise _bad(attribute, "be a fraction more than 0 and at most 1, or None", value)


@checked_init
@frozen(kw_only=True)
class UpdateParams:
    """The parameters of one run, named after Watchtower's flags.

    The first group selects containers, the second says what to do with them.

    Attributes:
        names: Container names, or regular expressions that match a whole
            name. Empty means every container.
        disable_names: Names or expressions of containers never touched.
        label_enable: Only containers labelled
            ``com.centurylinklabs.watchtower.enable=true``.
        enable_labels: ``key=value`` pairs (an empty value matches any); a
            container needs one of them.
        disable_labels: ``key=value`` pairs; a container with one is left out.
        monitor_image_names: Image names or expressions; only matching images.
        skip_image_names: Image names or expressions never checked.
        scope: Only containers whose scope label equals this. Empty (or
            ``none``) means only containers without a scope label.
        include_stopped: Also created and exited containers.
        include_restarting: Also restarting containers.
        revive_stopped: Start the replacement of a stopped container.
        monitor_only: Report stale containers, change nothing.
        policy: The :class:`Policy` of every container without a
            ``policy`` label (``--update-policy``).
        approvals: The updates asked for containers of the ``approve``
            policy, and what was decided, by name
            (:class:`~watchtower.history.Approval`): one approved for the
            digest the registry serves now is carried out, any other waits.
            :func:`watchtower.update` adds those of the history it is given.
        approval_expiry: An approval not used within this long lapses, and
            the update waits again (``--approval-expiry``); ``None`` keeps
            it until it is used.
        no_pull: Never pull; compare with the local image only.
        no_restart: Pull new images but restart nothing.
        label_precedence: The monitor-only and no-pull labels override the
            flags in both directions (otherwise either one enables).
        rolling_restart: Replace one container at a time, waiting for health.
        use_compose_depends_on: Order by Compose's ``depends_on`` label too.
        lifecycle_hooks: Run the lifecycle hook labels.
        lifecycle_uid: The user id hooks run as (0: the container's user),
            unless a container's ``lifecycle.uid`` label says otherwise.
        lifecycle_gid: The group id hooks run as (0: the container's group),
            unless a container's ``lifecycle.gid`` label says otherwise.
        cleanup: Remove the replaced images after the run.
        keep_previous: With cleanup and a history, keep this many images that
            each updated container ran before (the newest), to roll back to;
            older ones are removed. Without a history every replaced image
            is removed at once.
        remove_volumes: Remove anonymous volumes with a removed container.
        stop_timeout: Default grace time between the stop signal and a kill.
        health_timeout: How long a replacement may take to become healthy.
        soak: How long a started replacement must keep running, never
            restarted, before the old container is removed (0: no soak);
            a container's ``soak`` label overrides it (:mod:`watchtower.probes`).
        snapshot_keep: How many snapshots of each protected volume (the
            ``snapshot-volumes`` label) are kept; older ones are removed.
        stacks: Replace the containers of each compose project as one
            (:mod:`watchtower.stacks`); a container's ``stack`` label
            overrides it, and a ``group`` label makes a stack of any containers.
        hook_timeout: Default timeout of a pre-check or post-check hook.
        cooldown: Only update to an image at least this old (0: no cooldown).
        warn_on_head_failure: How loudly a failed digest check is logged before
            the pull that replaces it, as the fork's ``--warn-on-head-failure``:
            ``always`` a warning, ``never`` a debug line, ``auto`` a warning
            for Docker Hub and ghcr.io (which answer HEAD requests without
            counting them), a debug line elsewhere.
        check_concurrency: At most this many registry checks (and pulls) at once.
        registry_scan_timeout: The longest the registry lookups of one scan
            (tag lists, digests, image ages; they run concurrently) may take
            in all. An image still unanswered then is skipped with a
            sentence naming its registry, and the run goes on. Each lookup
            has its own bound too (the registry client's, such as
            :class:`~watchtower.registry.HttpRegistry`'s ``lookup_deadline``).
            Pulls are the engine's and not counted. Default 5 minutes
            (``--registry-scan-timeout``); ours, not Watchtower's.
        registry_quota_share: The fraction of each registry's request
            quota (as its ``ratelimit-remaining`` header last said) that
            one run may spend, from more than 0 to 1; the checks beyond it
            are deferred to the next run (:mod:`watchtower.quota`). Needs
            the :class:`~watchtower.quota.QuotaBook` that the registry
            client records into, given as ``update(..., quota=book)``.
            ``None`` (the default): no limit, as in Watchtower
            (``--registry-quota-share``).
        update_concurrency: At most this many independent units replaced at
            once (dependent containers keep their order; rolling restart
            replaces one at a time). The default, 4, was measured on a
            2-core machine with benchmarks/bench_docker.py: the engine's
            container starts compete for the CPU, so beyond 2 at once a run
            got hardly faster and each container was down longer, while
            containers slow to stop need 4 to replace 8 of them with a 10 s
            stop timeout in 25 s.
        self_update: Replace watchtower's own container (labelled
            ``com.centurylinklabs.watchtower=true``) when its image is stale,
            after every other unit. Off for a one-time run, as in Watchtower:
            nothing would remove the instance it replaced.
        tag_rule: The :class:`~watchtower.tags.TagRule` of every container
            without a ``tag-rule`` label: which newer tag of its repository
            it moves to. ``None`` (the default): containers follow their
            tag's digest only, as in Watchtower.
        tag_rules: Tag rules by container name, before any label.
        held: Containers a rollback holds on their image, by name, with the
            version they are held on: each is skipped, not checked (see
            :func:`watchtower.rollback.rollback`). :func:`watchtower.update`
            adds the holds of the history it is given.
        quarantined: Digests no container is moved to, each with the
            sentence a container that would go to it is skipped with (see
            :mod:`watchtower.quarantine`). :func:`watchtower.update` adds the
            quarantines of the history it is given.
        max_failures: The circuit breaker: once this many replacements
            failed in a run (over all its hosts), the rest are not started
            and are reported skipped. 0 (the default) never stops a run.
        canary_soak: How long a new image runs on the canaries (hosts, or
            containers labelled ``canary``), with no failure, before the
            others get it (:mod:`watchtower.canary`). Default 1 hour
            (``--canary-soak``).
        canary_promote_at_once: In a run over a fleet with canary hosts, or
            on an engine with canary containers, update the others in the
            same run once the canaries were updated with no failure (their
            own checks and ``soak`` passed), instead of the first run after
            ``canary_soak`` (``--canary-promote-at-once``).
        canary: What the canaries did, read by the planner: a container
            moves to a new image of a reference a canary runs only once it
            is promoted. :func:`~watchtower.update_hosts` sets it for the
            hosts that are not canaries, and a run adds its engine's canary
            containers (:mod:`watchtower.canaries`); ``None`` (the default):
            no gate.
    """

    names: tuple[str, ...] = field(default=(), converter=_tuple)
    disable_names: tuple[str, ...] = field(default=(), converter=_tuple)
    label_enable: bool = False
    enable_labels: tuple[str, ...] = field(default=(), converter=_tuple)
    disable_labels: tuple[str, ...] = field(default=(), converter=_tuple)
    monitor_image_names: tuple[str, ...] = field(default=(), converter=_tuple)
    skip_image_names: tuple[str, ...] = field(default=(), converter=_tuple)
    scope: str = ""
    include_stopped: bool = False
    include_restarting: bool = False
    revive_stopped: bool = False

    monitor_only: bool = False
    policy: Policy = field(default=Policy.AUTO, converter=Policy)
    approvals: Mapping[str, Approval] = field(factory=dict, converter=_approvals)
    approval_expiry: timedelta | None = None
    no_pull: bool = False
    no_restart: bool = False
    label_precedence: bool = False
    rolling_restart: bool = False
    use_compose_depends_on: bool = True
    lifecycle_hooks: bool = False
    lifecycle_uid: int = field(default=0, validator=_an_id)
    lifecycle_gid: int = field(default=0, validator=_an_id)
    cleanup: bool = False
    keep_previous: int = field(default=1, validator=_an_id)
    remove_volumes: bool = False
    stop_timeout: timedelta = field(default=timedelta(seconds=30), validator=_non_negative)
    health_timeout: timedelta = field(default=timedelta(minutes=1), validator=_non_negative)
    soak: timedelta = field(default=timedelta(0), validator=_non_negative)
    snapshot_keep: int = field(default=3, validator=_positive)
    stacks: bool = False
    hook_timeout: timedelta = field(default=timedelta(minutes=1), validator=_non_negative)
    cooldown: timedelta = field(default=timedelta(0), validator=_non_negative)
    warn_on_head_failure: str = field(default="auto", validator=_one_of("auto", "always", "never"))
    check_concurrency: int = field(default=8, validator=_positive)
    registry_scan_timeout: timedelta = field(default=timedelta(minutes=5), validator=_a_span)
    registry_quota_share: float | None = field(default=None, validator=_a_share)
    update_concurrency: int = field(default=4, validator=_positive)
    self_update: bool = True
    tag_rule: TagRule | None = None
    tag_rules: Mapping[str, TagRule] = field(factory=dict, converter=_rules)
    held: Mapping[str, str] = field(factory=dict, converter=_frozen_map)
    quarantined: Mapping[str, str] = field(factory=dict, converter=_frozen_map)
    max_failures: int = field(default=0, validator=_an_id)
    canary_soak: timedelta = field(default=timedelta(hours=1), validator=_non_negative)
    canary_promote_at_once: bool = False
    canary: Rollout | None = None
    windows: tuple[Window, ...] = field(default=(), converter=_windows)
    zone: tzinfo | None = None
    ignore_windows: bool = False

    def only(self, names: Iterable[str]) -> UpdateParams:
        """These parameters narrowed to the containers called exactly ``names``.

        ``names`` holds container names, not patterns: each is escaped, so
        that ``web.1`` is not also ``webx1``.
        """
        return attrs.evolve(self, names=tuple(re.escape(n) for n in names))
