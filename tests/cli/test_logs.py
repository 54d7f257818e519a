"""The log output: one handler of ours, the formats, and events as log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from watchtower.cli.logs import configure, log_event
from watchtower.events import Checked, Failed, Hook, HookRan, LabelIgnored, Repaired, Step, Updated

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
