"""A container's watchtower settings, read once from its labels and the run's parameters.

Every rule (selection, staleness, the plan, the hooks, the replacement) reads
a :class:`ContainerSettings` instead of the labels, so a label is parsed in
one place and means the same everywhere. As in Watchtower, a label whose
value cannot be read does not stop anything: it is reported once for its
container (:attr:`ContainerSettings.problems`, which become a
:class:`~watchtower.events.LabelIgnored` event and a line of the report) and
the flag's value or the default is used instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from attrs import field, frozen

from . import labels
from ._patterns import Pattern, compile_pattern
from ._text import GO_UNITS, LONG_UNITS, DurationTooLongError, parse_bool, parse_duration
from .errors import ConfigurationError
from .model import Container
from .params import MAX_ID, Policy, UpdateParams
from .probes import Checks, read_checks
from .release_notes import template_problem
from .schedules import Cron, parse_schedule
from .tags import Bound, TagRule, VersionRule
from .windows import Window, parse_windows

__all__ = ["DEFAULT_STOP_SIGNAL", "ContainerSettings"]

DEFAULT_STOP_SIGNAL = "SIGTERM"

# The hooks whose timeout a label may set, in minutes when bare as in Watchtower.
_HOOK_TIMEOUT_LABELS = {
    "pre-update": labels.PRE_UPDATE_TIMEOUT,
    "post-update": labels.POST_UPDATE_TIMEOUT,
}
_HOOK_LABELS = {
    "pre-check": labels.PRE_CHECK,
    "pre-update": labels.PRE_UPDATE,
    "post-update": labels.POST_UPDATE,
    "post-check": labels.POST_CHECK,
}
_BOUNDS = frozenset(bound.value for bound in Bound)
_BOUNDS_TEXT = ", ".join(bound.value for bound in Bound) + " or none"
# A hostile label may be megabytes long; a report shows its start.
_SHOWN = 40


def _commands(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _timeouts(value: Mapping[str, timedelta]) -> Mapping[str, timedelta]:
    return MappingProxyType(dict(value))


@frozen(kw_only=True)
class ContainerSettings:
    """What the labels of one container ask for, resolved against the run's parameters.

    Build it with :meth:`read`; every field is already decided (label, then
    the container's own configuration, then the parameter), so a rule never
    looks at a label itself.

    Attributes:
        enabled: The enable label: ``True``, ``False``, or ``None`` when it is
            absent or unreadable.
        scope: The scope label, empty when absent.
        is_watchtower: The container is a watchtower instance.
        monitor_only: Report, never update (flag and label combined).
        policy: Whether it is replaced when stale: its ``policy`` label,
            else ``UpdateParams.policy``.
        no_pull: Compare with the local image only (flag and label combined).
        stop_signal: The signal that stops it.
        stop_timeout: The grace time between the stop signal and a kill.
        cooldown: How old a new image must be before it is used.
        hooks: The lifecycle hook commands, by hook name (``pre-check``,
            ``pre-update``, ``post-update``, ``post-check``); absent hooks are
            left out.
        hook_timeouts: The timeout of each hook, by hook name.
        hook_user: Who hooks run as, for ``docker exec --user``: ``uid``,
            ``uid:gid`` or ``:gid`` from the ``lifecycle.uid``/``.gid``
            labels or the parameters; empty for the container's own user.
        tag_rule: Which newer tag it moves to (the ``tag-rule``,
            ``tag-include``, ``tag-exclude`` and ``tag-prerelease`` labels, or
            the parameters); ``None`` to follow its tag's digest only. An
            unreadable tag label leaves it without a rule, never with a wider one.
        release_notes: The URL template of its release-notes label
            (:func:`watchtower.release_notes.notes_url`); empty without one,
            or when it is no http or https URL.
        windows: When it may be replaced (its ``window`` label, else the
            parameters' windows); empty for any time.
        schedule: Its own schedule (the ``schedule`` label, a cron
            expression): it is replaced only at its times
            (:mod:`watchtower.timing`); ``None`` without one.
        checks: What the started replacement must pass before the old
            container is removed: its probes, soak and log pattern (the
            ``probe.*``, ``soak`` and ``fail-pattern`` labels, and
            ``UpdateParams.soak``).
        snapshot_volumes: The named volumes its ``snapshot-volumes`` label
            protects: snapshotted once the old container stops, restored
            byte for byte when the replacement is rolled back
            (:mod:`watchtower.replacement`). A name the container does not
            mount as a named volume is left out, with a problem.
        canary: True when its ``canary`` label says so: a new image of its
            reference goes to it first, and to the other containers on that
            reference once promoted (:mod:`watchtower.canary`); it is itself
            never gated. An unreadable value makes it no canary, with a problem.
        unreadable_timing: ``window`` or ``schedule`` when that label cannot
            be read: it is then not replaced until the label is fixed
            (ignoring the label would let it be replaced at times its owner
            ruled out); empty otherwise.
        problems: One sentence for each label whose value was unreadable and
            ignored.
    """

    enabled: bool | None = None
    scope: str = ""
    is_watchtower: bool = False
    monitor_only: bool = False
    policy: Policy = Policy.AUTO
    no_pull: bool = False
    stop_signal: str = DEFAULT_STOP_SIGNAL
    stop_timeout: timedelta = timedelta(seconds=30)
    cooldown: timedelta = timedelta(0)
    hooks: Mapping[str, str] = field(factory=dict, converter=_commands)
    hook_timeouts: Mapping[str, timedelta] = field(factory=dict, converter=_timeouts)
    hook_user: str = ""
    tag_rule: TagRule | None = None
    release_notes: str = ""
    windows: tuple[Window, ...] = ()
    schedule: Cron | None = None
    checks: Checks = field(factory=Checks)
    snapshot_volumes: tuple[str, ...] = ()
    canary: bool = False
    unreadable_timing: str = ""
    stack: str = ""
    problems: tuple[str, ...] = ()

    @classmethod
    def read(cls, container: Container, params: UpdateParams) -> ContainerSettings:
        """Read ``container``'s labels once, falling back to ``params`` and the defaults.

        Never raises for a label's value, however large or malformed.
        """
        reader, precedence = _Reader(container), params.label_precedence
        # Read in the labels' documented order, so that problems are listed in it.
        enabled = reader.boolean(labels.ENABLE)
        monitor_only = reader.flag(labels.MONITOR_ONLY, params.monitor_only, precedence)
        policy = reader.policy(params.policy)
        no_pull = reader.flag(labels.NO_PULL, params.no_pull, precedence)
        config_timeout = container.stop_timeout
        stop_timeout = reader.duration(
            labels.STOP_TIMEOUT,
            params.stop_timeout if config_timeout is None else config_timeout,
        )
        cooldown = reader.duration(labels.COOLDOWN_DELAY, params.cooldown, units=LONG_UNITS)
        hook_timeouts = {name: params.hook_timeout for name in _HOOK_LABELS}
        for name, label in _HOOK_TIMEOUT_LABELS.items():
            hook_timeouts[name] = reader.duration(label, params.hook_timeout, bare_unit="m")
        uid = reader.identity(labels.LIFECYCLE_UID, params.lifecycle_uid)
        gid = reader.identity(labels.LIFECYCLE_GID, params.lifecycle_gid)
        tag_rule = params.tag_rules.get(container.name)
        if tag_rule is None:  # a rule given by name comes before the labels
            tag_rule = reader.tag_rule(params.tag_rule)
        release_notes = reader.release_notes()
        windows, closed = reader.windows(params)
        schedule, unreadable_schedule = reader.schedule(params)
        checks, check_problems = read_checks(container.labels, container.name, params.soak)
        stack = reader.stack(params.stacks)
        snapshot_volumes = reader.snapshot_volumes()
        canary = bool(reader.boolean(labels.CANARY, "false (not a canary)"))
        return cls(
            enabled=enabled,
            scope=container.labels.get(labels.SCOPE, ""),
            is_watchtower=labels.is_watchtower(container),
            monitor_only=monitor_only,
            policy=policy,
            no_pull=no_pull,
            stop_signal=(
                container.labels.get(labels.STOP_SIGNAL, "").strip()
                or container.stop_signal
                or DEFAULT_STOP_SIGNAL
            ),
            stop_timeout=stop_timeout,
            cooldown=cooldown,
            hooks={
                name: command
                for name, label in _HOOK_LABELS.items()
                if (command := container.labels.get(label, "").strip())
            },
            hook_timeouts=hook_timeouts,
            hook_user=_user(uid, gid),
            tag_rule=tag_rule,
            release_notes=release_notes,
            windows=windows,
            schedule=schedule,
            checks=checks,
            snapshot_volumes=snapshot_volumes,
            canary=canary,
            unreadable_timing="window" if closed else ("schedule" if unreadable_schedule else ""),
            stack=stack,
            problems=(*reader.problems, *check_problems),
        )


def _user(uid: int, gid: int) -> str:
    # As the fork: an id of 0 is "not given", so the container's own user stays.
    if uid and gid:
        return f"{uid}:{gid}"
    return str(uid) if uid else (f":{gid}" if gid else "")


class _Reader:
    """Reads one container's labels, noting each value it had to ignore."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.problems: list[str] = []

    def _ignore(self, label: str, raw: str, why: str, fallback: str) -> None:
        shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "..."
        self.problems.append(
            f"Container {self.container.name!r} has label {label}={shown!r}, which {why}; "
            f"{fallback} is used instead."
        )

    def stack(self, flag: bool) -> str:
        """The stack the container is replaced with as one, or empty (:mod:`watchtower.stacks`).

        A ``group`` label names it; ``stack=true`` (or, without the label,
        ``flag``) makes it the container's compose project.
        """
        group = self.container.labels.get(labels.GROUP, "").strip()
        if group:
            return f"group {group}"
        wanted = self.boolean(labels.STACK, f"the flag's value ({str(flag).lower()})")
        if (flag if wanted is None else wanted) and (
            project := self.container.labels.get(labels.COMPOSE_PROJECT, "").strip()
        ):
            return f"compose project {project}"
        return ""

    def snapshot_volumes(self) -> tuple[str, ...]:
        """The named volumes the ``snapshot-volumes`` label protects, each once."""
        names: list[str] = []
        for name in labels.read_list(self.container, labels.SNAPSHOT_VOLUMES):
            if name in names:
                continue
            if name not in self.container.volumes:
                why = f"names {name[:_SHOWN]!r}, a named volume the container does not mount"
                self._ignore(
                    labels.SNAPSHOT_VOLUMES,
                    self.container.labels[labels.SNAPSHOT_VOLUMES],
                    why,
                    "no snapshot of it",
                )
                continue
            names.append(name)
        return tuple(names)

    def boolean(self, label: str, fallback: str = "its absence") -> bool | None:
        """The label's value; an empty value is false, an unreadable one absent."""
        raw = self.container.labels.get(label)
        if raw is None:
            return None
        if not raw.strip():
            return False
        try:
            return parse_bool(raw)
        except ValueError:
            self._ignore(label, raw, "is not true or false", fallback)
            return None

    def flag(self, label: str, flag: bool, label_precedence: bool) -> bool:
        """A flag combined with its label, as Watchtower does.

        Without the label the flag decides. With it, the label decides alone
        under label precedence; otherwise either of the two can switch it on.
        """
        value = self.boolean(label, f"the flag's value ({str(flag).lower()})")
        if value is None:
            return flag
        return value if label_precedence else (value or flag)

    def policy(self, fallback: Policy) -> Policy:
        """The ``policy`` label, or ``fallback`` when it is absent, empty or unreadable."""
        raw = self.container.labels.get(labels.POLICY)
        if raw is None or not raw.strip():
            return fallback
        try:
            return Policy(raw.strip().lower())
        except ValueError:
            known = ", ".join(p.value for p in Policy)
            self._ignore(labels.POLICY, raw, f"is none of {known}", f"{fallback.value}")
            return fallback

    def identity(self, label: str, fallback: int) -> int:
        """A user or group id label, or ``fallback`` when it is absent, empty or unreadable."""
        raw = self.container.labels.get(label)
        if raw is None or not raw.strip():
            return fallback
        text = raw.strip()
        if text.isascii() and text.isdigit() and int(text) <= MAX_ID:
            return int(text)
        self._ignore(label, raw, f"is not an id from 0 to {MAX_ID}", str(fallback))
        return fallback

    def tag_rule(self, fallback: TagRule | None) -> TagRule | None:
        """The rule the tag labels make, ``fallback`` without a ``tag-rule`` label.

        An unreadable bound or pattern leaves the container without a rule:
        ignoring a pattern would widen the tags it may move to.
        """
        get = self.container.labels.get
        raw_bound = get(labels.TAG_RULE) or ""
        if not raw_bound.strip():
            for label in (labels.TAG_INCLUDE, labels.TAG_EXCLUDE, labels.TAG_PRERELEASE):
                if (get(label) or "").strip():
                    self._ignore(label, get(label) or "", "needs a tag-rule label", "no tag rule")
            return fallback
        bound = raw_bound.strip().lower()
        if bound == "none":
            return None
        if bound not in _BOUNDS:
            self._ignore(labels.TAG_RULE, raw_bound, f"is none of {_BOUNDS_TEXT}", "no tag rule")
            return None
        patterns: dict[str, Pattern | None] = {}
        for label in (labels.TAG_INCLUDE, labels.TAG_EXCLUDE):
            raw = get(label) or ""
            try:
                patterns[label] = compile_pattern(raw.strip()) if raw.strip() else None
            except ValueError as error:
                self._ignore(label, raw, str(error), "no tag rule")
                return None
        return VersionRule(
            bound=Bound(bound),
            include=patterns[labels.TAG_INCLUDE],
            exclude=patterns[labels.TAG_EXCLUDE],
            prerelease=bool(self.boolean(labels.TAG_PRERELEASE, "false")),
        )

    def release_notes(self) -> str:
        """The release-notes URL template, empty when absent or not an http(s) URL."""
        raw = self.container.labels.get(labels.RELEASE_NOTES) or ""
        if not raw.strip():
            return ""
        problem = template_problem(raw)
        if problem:
            self._ignore(labels.RELEASE_NOTES, raw, problem, "the link its image's labels give")
            return ""
        return raw.strip()

    def windows(self, params: UpdateParams) -> tuple[tuple[Window, ...], bool]:
        """The ``window`` label's windows (``always``: none), else the parameters';
        and whether the label is unreadable.

        An unreadable label closes the container's windows until it is fixed:
        ignoring it would let it be replaced at times its owner ruled out.
        """
        raw = self.container.labels.get(labels.WINDOW) or ""
        if not raw.strip():
            return params.windows, False
        if raw.strip().lower() == "always":
            return (), False
        try:
            return parse_windows(raw, what="window", zone=params.zone), False
        except ConfigurationError as error:
            shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "..."
            self.problems.append(
                f"Container {self.container.name!r} has label {labels.WINDOW}={shown!r}, "
                f"which cannot be read ({str(error).rstrip('.')}); it is checked but not "
                "replaced until the label is fixed."
            )
            return params.windows, True

    def schedule(self, params: UpdateParams) -> tuple[Cron | None, bool]:
        """The ``schedule`` label's cron expression, and whether the label is unreadable.

        As for the ``window`` label, an unreadable one keeps the container
        from being replaced until it is fixed.
        """
        raw = self.container.labels.get(labels.SCHEDULE) or ""
        if not raw.strip():
            return None, False
        try:
            schedule = parse_schedule(raw, option="schedule", zone=params.zone)
        except ConfigurationError as error:
            why = str(error).rstrip(".")
        except ImportError:
            why = "a cron expression needs croniter: pip install 'watchtower-updater[cli]'"
        else:
            if isinstance(schedule, Cron):
                return schedule, False
            why = "an interval (@every) has no times of day; write a cron expression"
        shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "..."
        self.problems.append(
            f"Container {self.container.name!r} has label {labels.SCHEDULE}={shown!r}, "
            f"which cannot be read ({why}); it is checked but not replaced until the "
            "label is fixed."
        )
        return None, True

    def duration(
        self,
        label: str,
        fallback: timedelta,
        *,
        units: Mapping[str, float] = GO_UNITS,
        bare_unit: str = "s",
    ) -> timedelta:
        """The label's duration, or ``fallback`` when it is absent, empty or unreadable."""
        raw = self.container.labels.get(label)
        if raw is None or not raw.strip():
            return fallback
        try:
            return parse_duration(raw, units=units, bare_unit=bare_unit)
        except DurationTooLongError:
            why = "is longer than any wait"
        except ValueError:
            example = "3d or 24h" if units is LONG_UNITS else "30s or 5m"
            why = f"is not a duration such as {example}"
        self._ignore(label, raw, why, f"{fallback.total_seconds():g}s")
        return fallback
