"""A container's settings: each label read once, unreadable values reported and ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.events import Event, LabelIgnored
from watchtower.model import Container, ImageRef
from watchtower.report import Outcome
from watchtower.settings import ContainerSettings
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

S = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


def box(
    labels: dict[str, str],
    *,
    stop_signal: str | None = None,
    stop_timeout: timedelta | None = None,
) -> Container:
    ref = ImageRef("docker.io", "library/web", "latest")
    return Container(
        id="c" * 64,
        name="web",
        image=ref,
        image_id="sha256:1",
        labels=labels,
        stop_signal=stop_signal,
        stop_timeout=stop_timeout,
    )


def read(labels: dict[str, str], params: UpdateParams | None = None, **config: object):
    return ContainerSettings.read(box(labels, **config), params or UpdateParams())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("labels", "field", "expected"),
    [
        ({}, "enabled", None),
        ({L.ENABLE: "true"}, "enabled", True),
        ({L.ENABLE: "FALSE"}, "enabled", False),
        ({L.ENABLE: ""}, "enabled", False),  # an empty boolean label means false
        ({L.ENABLE: "  "}, "enabled", False),
        ({L.ENABLE: "ture"}, "enabled", None),  # unreadable: as if absent
        ({L.MONITOR_ONLY: "1"}, "monitor_only", True),
        ({L.MONITOR_ONLY: ""}, "monitor_only", False),
        ({L.MONITOR_ONLY: "maybe"}, "monitor_only", False),
        ({L.NO_PULL: "yes"}, "no_pull", True),
        ({L.SCOPE: "blue"}, "scope", "blue"),
        ({}, "scope", ""),
        ({L.WATCHTOWER: "true"}, "is_watchtower", True),
        ({L.WATCHTOWER: "yes"}, "is_watchtower", False),
        ({}, "stop_signal", "SIGTERM"),
        ({L.STOP_SIGNAL: "SIGQUIT"}, "stop_signal", "SIGQUIT"),
        ({L.STOP_SIGNAL: " "}, "stop_signal", "SIGTERM"),
        ({}, "stop_timeout", 30 * S),
        ({L.STOP_TIMEOUT: "20s"}, "stop_timeout", 20 * S),
        ({L.STOP_TIMEOUT: "45"}, "stop_timeout", 45 * S),  # bare: seconds
        ({L.STOP_TIMEOUT: "1m30s"}, "stop_timeout", 90 * S),
        ({L.STOP_TIMEOUT: "999999999999h"}, "stop_timeout", 30 * S),  # too large: the default
        ({L.STOP_TIMEOUT: "-5s"}, "stop_timeout", 30 * S),
        ({L.STOP_TIMEOUT: "1e9s"}, "stop_timeout", 30 * S),
        ({L.STOP_TIMEOUT: "²s"}, "stop_timeout", 30 * S),  # only ASCII digits count
        ({}, "cooldown", timedelta(0)),
        ({L.COOLDOWN_DELAY: "3d"}, "cooldown", timedelta(days=3)),  # the flag's units
        ({L.COOLDOWN_DELAY: "1w"}, "cooldown", timedelta(weeks=1)),
        ({L.COOLDOWN_DELAY: "1M"}, "cooldown", timedelta(days=30)),
        ({L.COOLDOWN_DELAY: "90"}, "cooldown", 90 * S),
        ({L.COOLDOWN_DELAY: "soon"}, "cooldown", timedelta(0)),
        ({}, "canary", False),
        ({L.CANARY: "true"}, "canary", True),
        ({L.CANARY: "True"}, "canary", True),
        ({L.CANARY: "1"}, "canary", True),
        ({L.CANARY: "false"}, "canary", False),
        ({L.CANARY: ""}, "canary", False),  # an empty boolean label means false
        ({L.CANARY: "canary"}, "canary", False),  # unreadable: no canary, with a problem
    ],
)
def test_labels_table(labels: dict[str, str], field: str, expected: object) -> None:
    assert getattr(read(labels), field) == expected


@pytest.mark.parametrize(
    ("flag", "label", "precedence", "expected"),
    [
        (False, None, False, False),
        (True, None, False, True),
        (False, "true", False, True),
        (True, "false", False, True),  # without precedence either one switches it on
        (True, "false", True, False),  # with precedence the label decides alone
        (False, "true", True, True),
        (True, "", True, False),  # empty means false
        (True, "maybe", True, True),  # unreadable: the flag decides
        (False, "maybe", True, False),
    ],
)
def test_flag_and_label(flag: bool, label: str | None, precedence: bool, expected: bool) -> None:
    labels = {} if label is None else {L.MONITOR_ONLY: label, L.NO_PULL: label}
    params = UpdateParams(monitor_only=flag, no_pull=flag, label_precedence=precedence)
    got = read(labels, params)
    assert (got.monitor_only, got.no_pull) == (expected, expected)


def test_stop_timeout_label_then_config_then_parameter() -> None:
    params = UpdateParams(stop_timeout=20 * S)
    assert read({}, params).stop_timeout == 20 * S
    assert read({}, params, stop_timeout=5 * S).stop_timeout == 5 * S
    assert read({}, params, stop_timeout=timedelta(0)).stop_timeout == timedelta(0)  # 0 is 0
    assert read({L.STOP_TIMEOUT: "1s"}, params, stop_timeout=5 * S).stop_timeout == S
    assert read({L.STOP_TIMEOUT: "x"}, params, stop_timeout=5 * S).stop_timeout == 5 * S


def test_stop_signal_label_then_config_then_sigterm() -> None:
    assert read({}, stop_signal="SIGINT").stop_signal == "SIGINT"
    assert read({L.STOP_SIGNAL: "SIGHUP"}, stop_signal="SIGINT").stop_signal == "SIGHUP"


def test_hooks_and_their_timeouts() -> None:
    got = read(
        {
            L.PRE_CHECK: " echo check ",
            L.PRE_UPDATE: "echo pre",
            L.POST_UPDATE: "",
            L.PRE_UPDATE_TIMEOUT: "2",  # bare: minutes, as Watchtower
            L.POST_UPDATE_TIMEOUT: "90s",
        },
        UpdateParams(hook_timeout=3 * MINUTE),
    )
    assert dict(got.hooks) == {"pre-check": "echo check", "pre-update": "echo pre"}
    assert dict(got.hook_timeouts) == {
        "pre-check": 3 * MINUTE,
        "pre-update": 2 * MINUTE,
        "post-update": 90 * S,
        "post-check": 3 * MINUTE,
    }
    assert read({L.PRE_UPDATE_TIMEOUT: "later"}).hook_timeouts["pre-update"] == MINUTE


def test_each_unreadable_value_is_one_sentence_naming_it() -> None:
    got = read({L.MONITOR_ONLY: "maybe", L.STOP_TIMEOUT: "999999999999h", L.ENABLE: "1"})
    assert got.problems == (
        f"Container 'web' has label {L.MONITOR_ONLY}='maybe', which is not true or false; "
        "the flag's value (false) is used instead.",
        f"Container 'web' has label {L.STOP_TIMEOUT}='999999999999h', which is longer than "
        "any wait; 30s is used instead.",
    )
    assert read({L.COOLDOWN_DELAY: "3x"}).problems == (
        f"Container 'web' has label {L.COOLDOWN_DELAY}='3x', which is not a duration such as "
        "3d or 24h; 0s is used instead.",
    )
    assert read({}).problems == ()


def test_an_unreadable_canary_label_names_the_container_and_the_label() -> None:
    assert read({L.CANARY: "yes please"}).problems == (
        f"Container 'web' has label {L.CANARY}='yes please', which is not true or false; "
        "false (not a canary) is used instead.",
    )


def test_a_huge_value_is_shown_cut_short() -> None:
    (problem,) = read({L.COOLDOWN_DELAY: "x" * 100_000}).problems
    assert len(problem) < 250
    assert "'" + "x" * 40 + "...'" in problem


# In a run ----------------------------------------------------------------------------

WEB = "example.org/web:1"
DB = "example.org/db:1"


def test_an_unreadable_label_is_reported_once_and_the_flag_decides(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.MONITOR_ONLY: "maybe"})
    registry.publish(WEB)
    events: list[Event] = []
    entry = update(engine, registry, observer=events.append).get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED
    warning = f"Container 'web' has label {L.MONITOR_ONLY}='maybe', which is not true or false"
    assert [e.reason[: len(warning)] for e in events if isinstance(e, LabelIgnored)] == [warning]
    assert len(entry.warnings) == 1 and entry.warnings[0].startswith(warning)
    assert entry.to_dict()["warnings"] == list(entry.warnings)


def test_the_plan_shows_the_warning(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.STOP_TIMEOUT: "forever"})
    the_plan = plan(engine, registry)
    assert the_plan.entry("web").warnings
    assert "warning: Container 'web' has label" in the_plan.describe()
    assert the_plan.to_dict()["entries"][0]["warnings"] == list(the_plan.entry("web").warnings)


def test_a_zero_stop_timeout_in_the_config_is_used(engine, registry) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, stop_timeout=timedelta(0))
    registry.publish(WEB)
    update(engine, registry, UpdateParams(stop_timeout=30 * S))
    assert engine.stops == [("web", "SIGTERM", timedelta(0))]


def test_a_cooldown_label_in_days_is_honoured(engine, registry, clock) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.COOLDOWN_DELAY: "3d"})
    registry.publish(WEB)
    entry = update(engine, registry, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.SKIPPED
    assert "younger than the cooldown of 72h" in entry.reason
    clock.advance(timedelta(days=3, seconds=1))
    entry = update(engine, registry, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED


# Property: no label value stops the run for the others ----------------------------

SETTING_LABELS = [
    L.WATCHTOWER,
    L.ENABLE,
    L.MONITOR_ONLY,
    L.NO_PULL,
    L.SCOPE,
    L.STOP_SIGNAL,
    L.STOP_TIMEOUT,
    L.COOLDOWN_DELAY,
    L.PRE_CHECK,
    L.PRE_UPDATE,
    L.POST_UPDATE,
    L.POST_CHECK,
    L.PRE_UPDATE_TIMEOUT,
    L.POST_UPDATE_TIMEOUT,
]
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{0,5})?(ns|us|ms|s|m|h|d|w|M)?", fullmatch=True),
    st.sampled_from(
        ["999999999999h", "1e309s", "nan", "inf", "²s", "", " ", "true", "0", "3d", "x" * 10_000]
    ),
)


def _outcomes(images: list[str], labelled: dict[str, str], hooks: bool) -> dict[str, tuple]:
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    engine = MemoryEngine(registry)
    for image in set(images):
        registry.publish(image)
    for n, image in enumerate(images):
        engine.run(f"c{n}", image, labels=labelled if n == 0 else {})
    registry.publish(images[0])
    report = update(engine, registry, UpdateParams(lifecycle_hooks=hooks), clock=clock)
    return {e.name: (e.outcome, e.reason, e.warnings) for e in report}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([WEB, DB, "example.org/cache:1"]), min_size=1, max_size=5),
    st.sampled_from(SETTING_LABELS),
    HOSTILE,
    st.booleans(),
)
def test_no_label_value_stops_the_run_for_the_others(images, label, value, hooks) -> None:
    with_label = _outcomes(images, {label: value}, hooks)
    without = _outcomes(images, {}, hooks)
    others = {name for name in without if name != "c0"}
    assert {n: with_label[n] for n in others} == {n: without[n] for n in others}
    victim = with_label.get("c0")
    if victim is not None and victim[2]:
        # An unreadable value counts as absent: the same outcome, with a warning.
        assert victim[:2] == without["c0"][:2]
