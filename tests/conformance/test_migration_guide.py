"""The migration guide's flag table is the flag table: every row, default and status.

The status column comes from :data:`watchtower.cli.flags.FLAGS` (``support``,
``note``, ``deprecated``), the fields the command line acts on, so the guide
cannot call a flag "same" that the code treats otherwise. Run this module as
a script to rewrite the guide's table after changing a flag.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from tests.conformance.deviations import DEVIATIONS
from watchtower.cli.flags import FLAGS, Flag, FlagValue, Support, by_name
from watchtower.params import UpdateParams
from watchtower.registry._client import DEFAULT_LOOKUP_DEADLINE

GUIDE = Path(__file__).resolve().parents[2] / "docs/guides/migration.rst"
_DEVIATIONS_START = "\n.. deviations-start\n"
_DEVIATIONS_END = ".. deviations-end\n"
_FIRST_ROW = "   * - Flag\n     - Environment\n     - Default\n     - Status\n"

_STATUS = {
    Support.SAME: "same",
    Support.DIFFERENT: "different",
    Support.IGNORED: "accepted, no effect",
    Support.ADDED: "added here",
}


def _default(value: FlagValue) -> str:
    if isinstance(value, bool):
        return f"``{str(value).lower()}``"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        if seconds and seconds % 60 == 0:
            return f"``{seconds // 60}m``"
        return f"``{seconds}s``" if seconds else "``0``"
    if value in ("", ()):
        return "(empty)"
    return f"``{value}``"


def _status(flag: Flag) -> str:
    status = _STATUS[flag.support]
    if flag.deprecated:
        status += f"; deprecated in Watchtower: {flag.deprecated}"
    if flag.note:
        status += f": {flag.note}"
    return status


def rows() -> str:
    """The table's rows after its header, as the guide must hold them."""
    lines = []
    for flag in FLAGS:
        name = f"``{flag.option}``" + (f" / ``-{flag.short}``" if flag.short else "")
        env = " / ".join(f"``{env}``" for env in flag.env) or "(none)"
        lines += [
            f"   * - {name}",
            f"     - {env}",
            f"     - {_default(flag.default)}",
            f"     - {_status(flag)}",
        ]
    return "\n".join(lines) + "\n"


def _split(text: str) -> tuple[str, str, str]:
    start = text.index(_FIRST_ROW) + len(_FIRST_ROW)
    end = text.index("\n\n", start) + 1  # the table ends at the first blank line
    return text[:start], text[start:end], text[end:]


def test_the_guides_flag_rows_are_the_flag_table() -> None:
    _, table, _ = _split(GUIDE.read_text())
    assert table == rows(), f"run python3 -m {__name__} to rewrite the guide's table"


def test_every_flag_the_guide_calls_same_has_no_note() -> None:
    # A note on a "same" flag would be a difference the status hides.
    assert [flag.name for flag in FLAGS if flag.support is Support.SAME and flag.note] == []


def test_the_librarys_defaults_are_the_command_lines() -> None:
    """A user of :class:`UpdateParams` gets what ``watchtower`` with no flags does."""
    params = UpdateParams()
    assert params.stop_timeout == by_name("stop-timeout").default
    assert params.use_compose_depends_on == by_name("use-compose-depends-on").default
    assert params.check_concurrency == by_name("check-concurrency").default
    assert params.update_concurrency == by_name("update-concurrency").default
    assert params.health_timeout == by_name("health-timeout").default
    assert params.hook_timeout == by_name("hook-timeout").default
    assert params.registry_scan_timeout == by_name("registry-scan-timeout").default
    lookup = by_name("registry-timeout").default
    assert isinstance(lookup, timedelta)
    assert lookup.total_seconds() == DEFAULT_LOOKUP_DEADLINE


def deviation_lines() -> str:
    """The guide's list of deliberate deviations, between its two markers."""
    return "".join(f"\n{deviation.guide_line()}\n" for deviation in DEVIATIONS)


def _deviations(text: str) -> tuple[str, str, str]:
    start = text.index(_DEVIATIONS_START) + len(_DEVIATIONS_START)
    end = text.index(_DEVIATIONS_END, start)
    return text[:start], text[start:end], text[end:]


def test_the_guide_lists_the_deliberate_deviations() -> None:
    _, listed, _ = _deviations(GUIDE.read_text())
    assert listed == deviation_lines() + "\n", f"run python3 -m {__name__} to rewrite the guide"


if __name__ == "__main__":
    head, _, tail = _split(GUIDE.read_text())
    head, _, tail = _deviations(head + rows() + tail)
    GUIDE.write_text(head + deviation_lines() + "\n" + tail)
    sys.exit(0)
