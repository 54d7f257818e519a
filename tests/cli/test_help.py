"""``watchtower --help``: wrapped to the terminal's width, every flag with its default."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from watchtower.cli.args import format_help
from watchtower.cli.flags import FLAGS

# width asked for -> the column the flags' texts start at
LAYOUTS = [(50, 16), (60, 20), (80, 26), (120, 34), (200, 34)]


def _overflows(line: str, width: int) -> bool:
    """Longer than ``width``, and not because one word alone is (a variable, a URL)."""
    return len(line) > width and len(line.split()) > 1


def _entries(text: str) -> dict[str, str]:
    """Each flag's entry (its names and text), by option, with the wrapping undone."""
    entries: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        found = re.match(r"  (?:-\w, |    )(--[\w-]+)", line)
        if found:
            current = found.group(1)
        elif not line.startswith(" "):
            current = ""
        if current:
            entries[current] = " ".join([entries.get(current, ""), line.strip()]).strip()
    return entries


@pytest.mark.parametrize(("width", "column"), LAYOUTS)
def test_the_help_fits_the_width_in_two_columns(width: int, column: int) -> None:
    lines = format_help(width).splitlines()
    assert [line for line in lines if _overflows(line, width)] == []
    flag_lines = [line for line in lines if line.startswith("  ")]
    for line in flag_lines:
        names = re.match(r"  (?:-\w, |    )--[\w-]+(?: \w+)?", line)
        if names and names.end() == len(line):
            continue  # a name too long for its column: its text is on the next line
        if names:
            assert line[names.end() : column].strip() == "", line
        else:
            assert line[:column].strip() == "", line  # wrapped text stays in its column
        assert line[column] != " ", line


def test_a_wide_terminal_gets_long_lines() -> None:
    # Wrapped to the width given, not to a fixed 80.
    assert max(map(len, format_help(200).splitlines())) > 120
    assert len(format_help(200).splitlines()) < len(format_help(60).splitlines())


@pytest.mark.parametrize(("columns", "width"), [("60", 60), ("120", 120), (None, 80)])
def test_the_command_wraps_to_columns(columns: str | None, width: int) -> None:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    out = subprocess.run(
        [sys.executable, "-m", "watchtower", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout  # a pipe, no terminal: COLUMNS, else 80
    assert out == format_help(width)
    assert [line for line in out.splitlines() if _overflows(line, width)] == []


def test_a_narrower_width_gets_the_narrowest_layout() -> None:
    assert format_help(20) == format_help(50) != format_help(51)


def test_every_flag_shows_its_default_once() -> None:
    entries = _entries(format_help(80))
    assert sorted(entries) == sorted(flag.option for flag in FLAGS)
    assert [o for o, entry in entries.items() if entry.count("(default: ") != 1] == []


@pytest.mark.parametrize(
    ("option", "default"),
    [
        ("--stop-timeout", "30s"),
        ("--registry-scan-timeout", "5m0s"),
        ("--http-api-update-timeout", "0s"),
        ("--interval", "86400"),
        ("--host", "unix:///var/run/docker.sock"),
        ("--log-level", "info"),
        ("--cleanup", "false"),
        ("--use-compose-depends-on", "true"),
        ("--notification-url", "none"),
        ("--scope", "none"),
    ],
)
@pytest.mark.parametrize("width", [60, 120])
def test_a_flag_shows_its_default(option: str, default: str, width: int) -> None:
    assert f"(default: {default})" in _entries(format_help(width))[option]
