"""A notification template is sandboxed and bounded, in both its languages, and tried at start."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import jinja2
import jinja2.sandbox
import pytest

from watchtower.cli.command import EXIT_USAGE, main
from watchtower.notify import LogEntry, Template, _templates
from watchtower.notify._gotemplate import GoExecError

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

# Each reaches from the context into Python's object graph, the first step of an escape,
# with what it shows outside the sandbox.
ESCAPES = [
    ("{{ title.__class__.__mro__ }}", "<class 'object'>"),
    ("{{ '{0.__class__.__base__.__subclasses__}'.format(title) }}", "__subclasses__"),
    ("{{ cycler.__init__.__globals__.os }}", "<module 'os'"),
]


@pytest.mark.parametrize(("source", "outside"), ESCAPES)
def test_a_jinja2_template_cannot_reach_into_python(source: str, outside: str) -> None:
    # The same source outside the sandbox does reach in: the test can tell.
    assert outside in jinja2.Environment().from_string(source).render(title="t", report=None)
    with pytest.raises(jinja2.sandbox.SecurityError):
        Template(source).render(title="t", host="h", report=None)


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("{{range .}}{{.Message.upper}}{{end}}", "upper"),
        ("{{range .}}{{.Time.replace}}{{end}}", "replace"),
        ("{{range .}}{{.Time.__class__}}{{end}}", "__class__"),
    ],
)
def test_a_go_template_reaches_only_the_fields_go_gives_it(source: str, name: str) -> None:
    with pytest.raises(GoExecError, match=f"can't evaluate field {name} in type"):
        Template(source, legacy=True).render(title="", host="", report=None, entries=_entries(1))


def _entries(count: int) -> list[LogEntry]:
    return [LogEntry(level="info", message="m", time=T0)] * count


def test_a_go_template_stops_past_a_mebi_character() -> None:
    # 400 x 400 entries of 11 characters: 1.76 million, past the bound.
    source = "{{range .}}{{range $}}{{.Message}}xxxxxxxxxx{{end}}{{end}}"
    assert _templates.MAX_MESSAGE_CHARS == 1 << 20
    with pytest.raises(GoExecError, match="renders more than 1048576 characters"):
        Template(source, legacy=True).render(title="", host="", report=None, entries=_entries(400))
    # Below the bound the same template renders whole.
    text = Template(source, legacy=True).render(title="", host="", report=None, entries=_entries(9))
    assert len(text) == 9 * 9 * 11


def test_a_go_template_that_loops_for_ever_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _templates.MAX_RENDER_SECONDS == 5.0
    monkeypatch.setattr(_templates, "MAX_RENDER_SECONDS", 0.2)
    endless = '{{range .}}{{range $}}{{range $}}{{""}}{{end}}{{end}}{{end}}'
    started = time.monotonic()
    with pytest.raises(GoExecError, match="takes too long to render"):
        Template(endless, legacy=True).render(
            title="", host="", report=None, entries=_entries(1000)
        )
    assert time.monotonic() - started < 2


@pytest.mark.usefixtures("cli_logger_restored")
@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{range .}}{{.Nope}}{{end}}", "can't evaluate field Nope"),
        ("{{ title.__class__.__mro__ }}", "is unsafe"),
    ],
    ids=["go", "jinja2"],
)
def test_the_command_refuses_a_template_that_fails_on_the_sample_report(
    template: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A docker host that does not exist: the refusal must come before any connection.
    argv = ["--notification-template", template, "--host", "unix:///nonexistent/docker.sock"]
    assert main(argv, {}) == EXIT_USAGE
    error = capsys.readouterr().err
    assert error.startswith("watchtower: --notification-template fails on a sample report: ")
    assert reason in error and error.count("\n") == 1
