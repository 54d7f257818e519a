"""The log output: one handler of ours, the formats, and events as log lines."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from watchtower import UpdateParams, update
from watchtower.cli.logs import configure, log_event
from watchtower.events import (
    Checked,
    Checking,
    Failed,
    Hook,
    HookRan,
    LabelIgnored,
    Observers,
    Planned,
    Pulled,
    Pulling,
    Repaired,
    Step,
    Stopped,
    Stopping,
    Updated,
)
from watchtower.testing import MemoryEngine, MemoryRegistry

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)
UPDATED = Updated(
    at=AT,
    container="web",
    old_id="a" * 64,
    new_id="b" * 64,
    old_image_id="sha256:" + "c" * 64,
    new_image_id="sha256:" + "d" * 64,
)


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    watchtower = logging.getLogger("watchtower")
    saved = (list(watchtower.handlers), watchtower.level, watchtower.propagate)
    yield watchtower
    watchtower.handlers[:] = saved[0]
    watchtower.setLevel(saved[1])
    watchtower.propagate = saved[2]


def test_configuring_again_replaces_only_its_own_handler(logger: logging.Logger) -> None:
    theirs = logging.NullHandler()
    logger.addHandler(theirs)
    first, second = io.StringIO(), io.StringIO()
    configure("info", "logfmt", stream=first)
    configure("info", "logfmt", stream=second)
    logger.info("hello")
    assert first.getvalue() == ""
    assert "msg=hello" in second.getvalue()
    assert theirs in logger.handlers
    assert len(logger.handlers) == 2


def test_an_update_is_logged_with_short_ids_in_logfmt(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("debug", "logfmt", stream=stream)
    log_event(logger, UPDATED)
    line = stream.getvalue()
    assert 'level=debug msg="Container updated" container=web' in line
    assert f"old_id={'c' * 12} new_id={'d' * 12}" in line


def test_json_lines_carry_the_fields(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("debug", "json", stream=stream)
    log_event(logger, UPDATED)
    data = json.loads(stream.getvalue())
    assert (data["level"], data["message"]) == ("debug", "Container updated")
    assert (data["old_id"], data["new_id"]) == ("c" * 12, "d" * 12)


def test_the_level_filters(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("warn", "logfmt", stream=stream)
    logger.info("quiet")
    logger.warning("loud")
    assert "quiet" not in stream.getvalue()
    assert "level=warning msg=loud" in stream.getvalue()


def test_an_ignored_label_is_a_warning(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("warn", "logfmt", stream=stream)
    reason = "Container 'web' has label x='y', which is not true or false; the default is used."
    log_event(logger, LabelIgnored(at=AT, container="web", reason=reason))
    assert stream.getvalue().startswith("time=")
    assert "level=warning" in stream.getvalue() and "container=web" in stream.getvalue()


def test_a_repair_is_a_warning(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("warn", "logfmt", stream=stream)
    reason = "an interrupted update was undone; the old container is back under its name"
    log_event(logger, Repaired(at=AT, container="web", action="undone", reason=reason))
    line = stream.getvalue()
    assert 'level=warning msg="Repaired web: an interrupted update was undone;' in line
    assert "container=web action=undone" in line


def test_the_enum_fields_read_as_their_words_in_the_log(logger: logging.Logger) -> None:
    # The lines they gave while status, hook and step were plain strings.
    stream = io.StringIO()
    configure("debug", "logfmt", stream=stream)
    log_event(logger, Checked(at=AT, container="web", image="nginx:1", status="stale"))
    log_event(
        logger,
        HookRan(at=AT, container="web", hook=Hook.PRE_UPDATE, command="b", exit_code=0),
    )
    log_event(logger, Failed(at=AT, container="web", step=Step.STOP, reason="boom"))
    lines = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        'level=debug msg="00:00:00 web checked (image=nginx:1, status=stale)" container=web',
        'level=debug msg="00:00:00 web hook ran (hook=pre-update, command=b, exit_code=0)" '
        "container=web",
        'level=error msg="web failed at stop: boom" container=web',
    ]


def test_a_failed_step_reads_as_its_word_in_json_lines(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("info", "json", stream=stream)
    log_event(logger, Failed(at=AT, step=Step.NOTIFY, reason="no route"))
    assert json.loads(stream.getvalue())["message"] == "The run failed at notify: no route"


def test_stopping_is_logged_with_its_signal_and_timeout(logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure("debug", "logfmt", stream=stream)
    stopping = Stopping(
        at=AT, container="web", container_id="e" * 64, signal="SIGINT", timeout=timedelta(minutes=2)
    )
    log_event(logger, stopping)
    log_event(logger, Stopped(at=AT, container="web", container_id="e" * 64))
    lines = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        f'level=info msg="Stopping container" container=web id={"e" * 12} signal=SIGINT '
        "timeout=2m0s",
        f'level=debug msg="Container stopped" container=web id={"e" * 12}',
    ]


class _Lines(logging.Handler):
    """Each message with the time it was logged and the stops the engine had finished by then."""

    def __init__(self, engine: MemoryEngine) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[tuple[str, float, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        stops = sum(span.step == "stop" for span in self.engine.spans)
        self.seen.append((record.getMessage(), time.monotonic(), stops))


def test_stopping_is_logged_before_the_stop_and_not_after_it(
    logger: logging.Logger, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish("example.org/web:1")
    engine.run("web", "example.org/web:1", stop_timeout=timedelta(seconds=30))
    registry.publish("example.org/web:1")
    engine.delays["stop"] = 0.3  # a container that takes its time to stop
    configure("debug", "logfmt", stream=io.StringIO())
    lines = _Lines(engine)
    logger.addHandler(lines)

    # The command line's log lines are its prompt lane (the runner's observer).
    logged = Observers(prompt=lambda event: log_event(logger, event))
    update(engine, registry, UpdateParams(), observer=logged)

    said = {message: (at, stops) for message, at, stops in lines.seen}
    (stopping_at, stops_before), (stopped_at, stops_after) = (
        said["Stopping container"],
        said["Container stopped"],
    )
    assert (stops_before, stops_after) == (0, 1)  # the line came while the stop was under way
    assert stopped_at - stopping_at >= 0.3


def test_the_progress_events_are_logged_at_debug_only(logger: logging.Logger) -> None:
    """Checking, Pulling, Pulled and Planned add no line at the default level."""
    progress = [
        Checking(at=AT, container="web", image="nginx:1"),
        Pulling(at=AT, image="nginx:1", containers=("web", "api")),
        Pulled(
            at=AT,
            image="nginx:1",
            image_id="sha256:" + "f" * 64,
            size=1024,
            duration=timedelta(seconds=2),
            containers=("web",),
        ),
        Planned(
            at=AT, containers=2, to_update=1, to_restart=0, fresh=1, stale=1, skipped=0, failed=0
        ),
    ]
    quiet = io.StringIO()
    configure("info", "logfmt", stream=quiet)
    for event in progress:
        log_event(logger, event)
    assert quiet.getvalue() == ""
    said = io.StringIO()
    configure("debug", "logfmt", stream=said)
    for event in progress:
        log_event(logger, event)
    lines = [line.split(" ", 1)[1] for line in said.getvalue().splitlines()]
    assert lines == [
        'level=debug msg="00:00:00 web checking (image=nginx:1)" container=web',
        'level=debug msg="00:00:00 pulling (image=nginx:1, containers=web api)"',
        f'level=debug msg="00:00:00 pulled (image=nginx:1, image_id=sha256:{"f" * 64}, '
        'size=1024, duration=2.0, containers=web)"',
        'level=debug msg="00:00:00 run planned (containers=2, to_update=1, to_restart=0, '
        'fresh=1, stale=1, skipped=0, failed=0, deferred=0)"',
    ]
