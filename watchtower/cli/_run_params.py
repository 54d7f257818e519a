"""The parameters of each run, from the flags: :func:`run_params`, every value checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta, tzinfo

from .._text import LONG_UNITS, parse_duration
from ..errors import ConfigurationError
from ..params import Policy, UpdateParams
from ..windows import parse_windows
from ._checks import a_span, an_id, choice, positive
from .values import FlagValues

__all__ = ["POLICIES", "parse_cooldown", "run_params"]

#: The values of ``--update-policy``.
POLICIES = tuple(p.value for p in Policy)


def parse_cooldown(text: str, *, option: str = "--cooldown-delay") -> timedelta:
    """A cooldown: Go durations plus ``d`` (days), ``w`` (weeks) and ``M`` (30 days).

    A bare number is seconds; an empty text is no cooldown.

    Raises:
        ConfigurationError: Not such a duration, or negative.
    """
    raw = text.strip()
    if not raw:
        return timedelta(0)
    if raw.startswith("-"):
        raise ConfigurationError(f"{option} must not be negative, got {text!r}.")
    try:
        return parse_duration(raw, units=LONG_UNITS)
    except ValueError as error:
        raise ConfigurationError(f"{option} {error}.") from None


def _a_share(option: str, value: str) -> float | None:
    """``0.5`` or ``50%``: a fraction more than 0 and at most 1; empty is off."""
    text = value.strip()
    if not text:
        return None
    percent = text.endswith("%")
    try:
        share = float(text.removesuffix("%").strip()) / (100 if percent else 1)
    except ValueError:
        share = float("nan")
    if not 0 < share <= 1:  # nan too
        raise ConfigurationError(
            f"{option} must be a fraction more than 0 and at most 1, or a percentage "
            f"(0.5 or 50%), not {value.strip()[:40]!r}."
        )
    return share


def run_params(values: FlagValues, names: Sequence[str], zone: tzinfo) -> UpdateParams:
    """The parameters of each run, for the containers ``names`` (all when empty).

    Raises:
        ConfigurationError: A value is bad, or a name or pattern cannot be used.
    """
    window = values["window"].strip().strip("\"'")
    params = UpdateParams(
        names=tuple(n.strip().lstrip("/") for n in names if n.strip()),
        disable_names=values["disable_containers"],
        label_enable=values["label_enable"],
        enable_labels=values["enable_containers_by_label"],
        disable_labels=values["disable_containers_by_label"],
        monitor_image_names=values["monitor_image_names"],
        skip_image_names=values["skip_image_names"],
        scope=values["scope"].strip(),
        include_stopped=values["include_stopped"],
        include_restarting=values["include_restarting"],
        revive_stopped=values["revive_stopped"],
        monitor_only=values["monitor_only"],
        policy=Policy(choice("--update-policy", values["update_policy"], POLICIES)),
        approval_expiry=parse_cooldown(values["approval_expiry"], option="--approval-expiry")
        or None,
        no_pull=values["no_pull"],
        no_restart=values["no_restart"],
        label_precedence=values["label_take_precedence"],
        rolling_restart=values["rolling_restart"],
        max_failures=an_id("--max-failures", values["max_failures"]),
        use_compose_depends_on=values["use_compose_depends_on"],
        lifecycle_hooks=values["enable_lifecycle_hooks"],
        lifecycle_uid=an_id("--lifecycle-uid", values["lifecycle_uid"]),
        lifecycle_gid=an_id("--lifecycle-gid", values["lifecycle_gid"]),
        cleanup=values["cleanup"],
        keep_previous=an_id("--keep-previous", values["keep_previous"]),
        remove_volumes=values["remove_volumes"],
        stop_timeout=values["stop_timeout"],
        health_timeout=values["health_timeout"],
        soak=values["soak"],
        canary_soak=values["canary_soak"],
        canary_promote_at_once=values["canary_promote_at_once"],
        snapshot_keep=positive("--snapshot-keep", values["snapshot_keep"]),
        stacks=values["stacks"],
        hook_timeout=values["hook_timeout"],
        cooldown=parse_cooldown(values["cooldown_delay"]),
        warn_on_head_failure=choice(
            "--warn-on-head-failure",
            values["warn_on_head_failure"] or "auto",
            ("always", "auto", "never"),
        ),
        check_concurrency=positive("--check-concurrency", values["check_concurrency"]),
        update_concurrency=positive("--update-concurrency", values["update_concurrency"]),
        registry_scan_timeout=a_span("--registry-scan-timeout", values["registry_scan_timeout"]),
        registry_quota_share=_a_share("--registry-quota-share", values["registry_quota_share"]),
        windows=parse_windows(window, zone=zone) if window else (),
        zone=zone,
    )
    return _checked_selection(params)


# A registry's address (``host:5000``) can never be a container's name, which has no colon.
_REGISTRY_ADDRESS = re.compile(r"[A-Za-z0-9.-]+:[0-9]+")


def _checked_selection(params: UpdateParams) -> UpdateParams:
    """``params``, once their name and image patterns and label pairs are known to be readable."""
    for name in params.names:
        if _REGISTRY_ADDRESS.fullmatch(name):
            raise ConfigurationError(
                f"{name!r} is a registry's address, not a container name; to trust that "
                f"registry without TLS write --insecure-registry={name}."
            )
    # Checked at start, not at the first run: a pattern that cannot be used stops the command.
    if any(
        (
            params.names,
            params.disable_names,
            params.monitor_image_names,
            params.skip_image_names,
            params.enable_labels,
            params.disable_labels,
        )
    ):
        from ..selection import Selector

        Selector.from_params(params)
    return params
