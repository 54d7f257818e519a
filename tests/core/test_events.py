"""The events' closed sets of words: their values, how they read, and what a bad word gets."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import watchtower
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower._words import Word
from watchtower.errors import ConfigurationError
from watchtower.events import (
    Checked,
    Event,
    Failed,
    Hook,
    HookRan,
    RunFinished,
    RunStarted,
    Status,
    Step,
    Stopped,
)
from watchtower.testing import MemoryEngine, MemoryRegistry

AT = datetime(2026, 1, 1, 12, 0, 1, tzinfo=timezone.utc)
WEB = "example.org/web:1"

# The words each field took when it was a plain string; they must not change,
# as logs, templates, the HTTP API and users' code read them.
WORDS: list[tuple[type[Word], list[str]]] = [
    (Status, ["fresh", "stale", "skipped", "failed"]),
    (Hook, ["pre-check", "pre-update", "post-update", "post-check"]),
    (
        Step,
        [
            "check",
            "pull",
            "rename",
            "stop",
            "create",
            "start",
            "health",
            "verify",
            "remove",
            "hook",
            "update",
            "cleanup",
            "notify",
            "repair",
            "engine",
            "history",
            "stack",
            "snapshot",
        ],
    ),
]
MEMBERS = [member for kind, _ in WORDS for member in kind]


@pytest.mark.parametrize(("kind", "words"), WORDS, ids=[kind.__name__ for kind, _ in WORDS])
def test_each_enum_holds_exactly_the_words_of_before(kind: type[Word], words: list[str]) -> None:
    assert [member.value for member in kind] == words


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_a_member_reads_as_its_word_everywhere(member: Word) -> None:
    word = member.value
    assert (str(member), f"{member}", "%s" % member, format(member)) == (word,) * 4  # noqa: UP031
    assert f"[{member:>12}]" == f"[{word:>12}]"
    assert json.dumps({member: member}) == json.dumps({word: word})
    assert member == word and hash(member) == hash(word)


@pytest.mark.parametrize("kind", [Status, Hook, Step])
def test_each_enum_is_public_with_docstrings(kind: type[Word]) -> None:
    assert getattr(watchtower, kind.__name__) is kind
    assert kind.__name__ in watchtower.__all__
    assert (kind.__doc__ or "").strip()


def test_the_old_homes_of_status_and_hook_give_the_same_enums() -> None:
    from watchtower.lifecycle import Hook as LifecycleHook
    from watchtower.plans import Status as PlansStatus

    assert (PlansStatus, LifecycleHook) == (Status, Hook)


# What each event gave before these fields were enums, byte for byte (Checked's stage
# came later).
BEFORE: list[tuple[Event, str, str]] = [
    (
        Checked(at=AT, container="web", image="nginx:1", status=Status.STALE, reason="newer"),
        '{"at": "2026-01-01T12:00:01+00:00", "container": "web", "host": "", "image": "nginx:1", '
        '"status": "stale", "reason": "newer", "stage": "", "kind": "checked"}',
        "12:00:01 web checked (image=nginx:1, status=stale, reason=newer)",
    ),
    (
        HookRan(
            at=AT, container="web", hook=Hook.PRE_UPDATE, command="backup", exit_code=0, output="ok"
        ),
        '{"at": "2026-01-01T12:00:01+00:00", "container": "web", "host": "", '
        '"hook": "pre-update", "command": "backup", "exit_code": 0, "output": "ok", '
        '"kind": "hook_ran"}',
        "12:00:01 web hook ran (hook=pre-update, command=backup, exit_code=0, output=ok)",
    ),
    (
        Failed(at=AT, container="web", step=Step.STOP, reason="boom"),
        '{"at": "2026-01-01T12:00:01+00:00", "container": "web", "host": "", "step": "stop", '
        '"reason": "boom", "kind": "failed"}',
        "12:00:01 web failed (step=stop, reason=boom)",
    ),
]


@pytest.mark.parametrize(("event", "as_json", "line"), BEFORE, ids=lambda v: getattr(v, "kind", ""))
def test_an_event_gives_the_json_and_line_of_before(event: Event, as_json: str, line: str) -> None:
    data = event.to_dict()
    assert json.dumps(data) == as_json
    assert event.describe() == line
    # Plain strings, not members: any serialiser (YAML, msgpack) sees a str.
    assert {type(data[f]) for f in ("status", "hook", "step") if f in data} == {str}


@pytest.mark.parametrize(
    ("make", "field", "member"),
    [
        (lambda v: Checked(at=AT, image="nginx:1", status=v), "status", Status.SKIPPED),
        (lambda v: HookRan(at=AT, hook=v, command="c", exit_code=None), "hook", Hook.POST_CHECK),
        (lambda v: Failed(at=AT, step=v, reason="r"), "step", Step.NOTIFY),
    ],
)
def test_a_plain_string_becomes_the_member(make: Any, field: str, member: Word) -> None:
    from_string, from_member = make(member.value), make(member)
    assert getattr(from_string, field) is member
    assert from_string == from_member


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: Checked(at=AT, image="nginx:1", status="stael"),
            "Checked.status cannot be 'stael': it is one of fresh, stale, skipped or failed.",
        ),
        (
            lambda: HookRan(at=AT, hook="pre_update", command="c", exit_code=0),
            "HookRan.hook cannot be 'pre_update': it is one of pre-check, pre-update, "
            "post-update or post-check.",
        ),
        (
            lambda: Failed(at=AT, step="Stop", reason="r"),
            "Failed.step cannot be 'Stop': it is one of check, pull, rename, stop, create, start, "
            "health, verify, remove, hook, update, cleanup, notify, repair, engine, history, "
            "stack or snapshot.",
        ),
        (
            lambda: Failed(at=AT, step=None, reason="r"),
            "Failed.step cannot be None: it is one of check, pull, rename, stop, create, start, "
            "health, verify, remove, hook, update, cleanup, notify, repair, engine, history, "
            "stack or snapshot.",
        ),
    ],
)
def test_a_word_of_no_member_is_one_sentence_naming_it(make: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        make()
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_huge_bad_word_is_shortened_in_the_sentence() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Checked(at=AT, image="nginx:1", status="x" * 100_000)
    assert len(str(raised.value)) < 700
    assert "(100000 characters)" in str(raised.value)


# A run's events carry the members --------------------------------------------


def test_a_run_emits_members_that_serialise_as_before(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish(WEB)
    engine.run(
        "web",
        WEB,
        labels={
            L.PRE_CHECK: "a",
            L.PRE_UPDATE: "b",
            L.POST_UPDATE: "c",
            L.POST_CHECK: "d",
        },
    )
    registry.publish(WEB)
    engine.fail("remove", "web")
    events: list[Event] = []

    update(engine, registry, UpdateParams(lifecycle_hooks=True), observer=events.append)

    [checked] = [e for e in events if isinstance(e, Checked)]
    assert checked.status is Status.STALE
    assert [e.hook for e in events if isinstance(e, HookRan)] == list(Hook)
    [failed] = [e for e in events if isinstance(e, Failed)]
    assert failed.step is Step.REMOVE
    streamed = json.loads(json.dumps([e.to_dict() for e in events]))
    assert [e["status"] for e in streamed if e["kind"] == "checked"] == ["stale"]
    assert [e["hook"] for e in streamed if e["kind"] == "hook_ran"] == [
        "pre-check", "pre-update", "post-update", "post-check",
    ]  # fmt: skip
    assert [e["step"] for e in streamed if e["kind"] == "failed"] == ["remove"]


# How the run's own events read: no empty name, no "run run" ----------------------------

READS: list[tuple[Event, str, str]] = [
    (RunStarted(at=AT), "", "12:00:01 run started"),
    (RunStarted(at=AT, host="edge"), "", "12:00:01 run started (host=edge)"),
    (
        RunFinished(at=AT, duration=timedelta(seconds=2), scanned=3, updated=1, failed=0),
        "",
        "12:00:01 run finished (duration=2.0, scanned=3, updated=1, failed=0)",
    ),
    (
        Failed(at=AT, step=Step.NOTIFY, reason="no route"),
        "run",
        "12:00:01 run failed (step=notify, reason=no route)",
    ),
    (
        Stopped(at=AT, container="web", container_id="abc"),
        "web",
        "12:00:01 web stopped (container_id=abc)",
    ),
]


@pytest.mark.parametrize(
    ("event", "subject", "line"), READS, ids=lambda v: getattr(v, "kind", None)
)
def test_each_event_reads_with_no_empty_name(event: Event, subject: str, line: str) -> None:
    assert event.subject == subject
    assert event.describe() == line
    assert "  " not in line and " run run " not in line
