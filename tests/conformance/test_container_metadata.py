"""The fork's pkg/container/metadata_test.go, run against :class:`ContainerSettings`.

Each case names its Go test and subtest; labels are read once into
:class:`~watchtower.settings.ContainerSettings`, so each case checks the
field the fork's getter stands for.

Not ported, for want of a counterpart: TestContainer_GetContainerChain (the
chain label of the fork's ephemeral self-update; watchtower updates itself by
renaming its container aside) and the TestGetEffectiveScope tests (the fork's
instance takes the scope label of its own container when --scope is empty;
here the scope is --scope alone).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from watchtower import labels as L
from watchtower.model import Container, ImageRef
from watchtower.params import UpdateParams
from watchtower.settings import ContainerSettings

MINUTE = timedelta(minutes=1)


def _settings(
    label_values: dict[str, str], params: UpdateParams | None = None, **container: Any
) -> ContainerSettings:
    subject = Container(
        id="c" * 64,
        name="test-container",
        image=ImageRef("docker.io", "library/nginx", "latest"),
        image_id="sha256:" + "1" * 64,
        labels=label_values,
        **container,
    )
    return ContainerSettings.read(subject, params or UpdateParams())


def _hook_timeout(hook: str) -> Any:
    return lambda s: s.hook_timeouts[hook]


P = UpdateParams
# (test, subtest, labels, params, the field, expected)
CASES: list[tuple[str, str, dict[str, str], UpdateParams, Any, object]] = [
    (
        "TestContainer_PreUpdateTimeout",
        "ValidTimeout",
        {L.PRE_UPDATE_TIMEOUT: "5"},
        P(),
        _hook_timeout("pre-update"),
        5 * MINUTE,
    ),
    (
        "TestContainer_PreUpdateTimeout",
        "InvalidTimeout",
        {L.PRE_UPDATE_TIMEOUT: "invalid"},
        P(),
        _hook_timeout("pre-update"),
        MINUTE,
    ),
    (
        "TestContainer_PreUpdateTimeout",
        "TimeoutNotSet",
        {},
        P(),
        _hook_timeout("pre-update"),
        MINUTE,
    ),
    (
        "TestContainer_PostUpdateTimeout",
        "ValidTimeout",
        {L.POST_UPDATE_TIMEOUT: "10"},
        P(),
        _hook_timeout("post-update"),
        10 * MINUTE,
    ),
    (
        "TestContainer_PostUpdateTimeout",
        "InvalidTimeout",
        {L.POST_UPDATE_TIMEOUT: "invalid"},
        P(),
        _hook_timeout("post-update"),
        MINUTE,
    ),
    (
        "TestContainer_PostUpdateTimeout",
        "TimeoutNotSet",
        {},
        P(),
        _hook_timeout("post-update"),
        MINUTE,
    ),
    ("TestContainer_Enabled", "EnabledTrue", {L.ENABLE: "true"}, P(), lambda s: s.enabled, True),
    ("TestContainer_Enabled", "EnabledFalse", {L.ENABLE: "false"}, P(), lambda s: s.enabled, False),
    ("TestContainer_Enabled", "LabelNotSet", {}, P(), lambda s: s.enabled, None),
    (
        "TestContainer_Enabled",
        "InvalidValue",
        {L.ENABLE: "invalid"},
        P(),
        lambda s: s.enabled,
        None,
    ),
    (
        "TestContainer_IsMonitorOnly",
        "LabelTruePrecedence",
        {L.MONITOR_ONLY: "true"},
        P(monitor_only=False, label_precedence=True),
        lambda s: s.monitor_only,
        True,
    ),
    (
        "TestContainer_IsMonitorOnly",
        "GlobalTrueNoPrecedence",
        {L.MONITOR_ONLY: "false"},
        P(monitor_only=True),
        lambda s: s.monitor_only,
        True,
    ),
    ("TestContainer_IsMonitorOnly", "LabelNotSet", {}, P(), lambda s: s.monitor_only, False),
    (
        "TestContainer_IsNoPull",
        "LabelTruePrecedence",
        {L.NO_PULL: "true"},
        P(no_pull=False, label_precedence=True),
        lambda s: s.no_pull,
        True,
    ),
    (
        "TestContainer_IsNoPull",
        "GlobalTrueNoPrecedence",
        {L.NO_PULL: "false"},
        P(no_pull=True),
        lambda s: s.no_pull,
        True,
    ),
    ("TestContainer_IsNoPull", "LabelNotSet", {}, P(), lambda s: s.no_pull, False),
    (
        "TestContainer_Scope",
        "ScopeSet",
        {L.SCOPE: "test-scope"},
        P(),
        lambda s: s.scope,
        "test-scope",
    ),
    ("TestContainer_Scope", "ScopeNotSet", {}, P(), lambda s: s.scope, ""),
    (
        "TestContainer_IsWatchtower",
        "IsWatchtowerTrue",
        {L.WATCHTOWER: "true"},
        P(),
        lambda s: s.is_watchtower,
        True,
    ),
    (
        "TestContainer_IsWatchtower",
        "IsWatchtowerFalse",
        {L.WATCHTOWER: "false"},
        P(),
        lambda s: s.is_watchtower,
        False,
    ),
    ("TestContainer_IsWatchtower", "LabelNotSet", {}, P(), lambda s: s.is_watchtower, False),
    (
        "TestContainer_StopSignal",
        "SignalSet",
        {L.STOP_SIGNAL: "SIGTERM"},
        P(),
        lambda s: s.stop_signal,
        "SIGTERM",
    ),
    ("TestContainer_StopSignal", "SignalNotSet", {}, P(), lambda s: s.stop_signal, "SIGTERM"),
    (
        "TestContainer_GetLifecycleUID",
        "UIDSet",
        {L.LIFECYCLE_UID: "1000"},
        P(),
        lambda s: s.hook_user,
        "1000",
    ),
    ("TestContainer_GetLifecycleUID", "UIDNotSet", {}, P(), lambda s: s.hook_user, ""),
    (
        "TestContainer_GetLifecycleUID",
        "InvalidUID",
        {L.LIFECYCLE_UID: "invalid"},
        P(),
        lambda s: s.hook_user,
        "",
    ),
    (
        "TestContainer_GetLifecycleUID",
        "NegativeUID",
        {L.LIFECYCLE_UID: "-1"},
        P(),
        lambda s: s.hook_user,
        "",
    ),
    (
        "TestContainer_GetLifecycleUID",
        "TooLargeUID",
        {L.LIFECYCLE_UID: "3000000000"},
        P(),
        lambda s: s.hook_user,
        "",
    ),
    (
        "TestContainer_GetLifecycleGID",
        "GIDSet",
        {L.LIFECYCLE_GID: "1000"},
        P(),
        lambda s: s.hook_user,
        ":1000",
    ),
    (
        "TestContainer_GetLifecycleGID",
        "InvalidGID",
        {L.LIFECYCLE_GID: "invalid"},
        P(),
        lambda s: s.hook_user,
        "",
    ),
    (
        "TestContainer_CooldownDelay",
        "NoLabelUsesGlobal",
        {},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        10 * MINUTE,
    ),
    (
        "TestContainer_CooldownDelay",
        "LabelOverridesGlobal",
        {L.COOLDOWN_DELAY: "24h"},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        timedelta(hours=24),
    ),
    (
        "TestContainer_CooldownDelay",
        "LabelZeroDisables",
        {L.COOLDOWN_DELAY: "0"},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        timedelta(0),
    ),
    (
        "TestContainer_CooldownDelay",
        "ExtendedUnitsDays",
        {L.COOLDOWN_DELAY: "3d"},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        timedelta(hours=72),
    ),
    (
        "TestContainer_CooldownDelay",
        "InvalidLabelFallsBackToGlobal",
        {L.COOLDOWN_DELAY: "invalid"},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        10 * MINUTE,
    ),
    (
        "TestContainer_CooldownDelay",
        "EmptyLabelFallsBackToGlobal",
        {L.COOLDOWN_DELAY: ""},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        10 * MINUTE,
    ),
    (
        "TestContainer_CooldownDelay",
        "NegativeLabelFallsBackToGlobal",
        {L.COOLDOWN_DELAY: "-1h"},
        P(cooldown=10 * MINUTE),
        lambda s: s.cooldown,
        10 * MINUTE,
    ),
]


@pytest.mark.parametrize(
    ("test", "case", "label_values", "params", "field", "expected"),
    CASES,
    ids=[f"{c[0]}/{c[1]}" for c in CASES],
)
def test_metadata(
    test: str,
    case: str,
    label_values: dict[str, str],
    params: UpdateParams,
    field: Any,
    expected: object,
) -> None:
    assert field(_settings(label_values, params)) == expected


# TestContainer_StopTimeout_*: the container's own configured stop timeout.
@pytest.mark.parametrize(
    ("case", "configured", "expected"),
    [
        ("WhenSet", timedelta(seconds=60), timedelta(seconds=60)),
        ("WhenSetToZero", timedelta(0), timedelta(0)),
        ("WhenNotSet", None, timedelta(seconds=30)),  # then --stop-timeout, 30s by default
    ],
)
def test_stop_timeout(case: str, configured: timedelta | None, expected: timedelta) -> None:
    assert _settings({}, stop_timeout=configured).stop_timeout == expected
