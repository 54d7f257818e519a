"""``watchtower approve`` and ``watchtower reject``: their options, and decisions on a real file."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from watchtower.cli.approval import Decision, decide_command, parse_decision
from watchtower.cli.command import main
from watchtower.errors import ConfigurationError
from watchtower.history import FILE_NAME, Approval, SqliteHistory, State

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("command", "argv", "expected"),
    [
        ("approve", ["web"], Decision("approve", name="web")),
        (
            "approve",
            ["/web", "--digest", "abababababab", "--host=b", "--data-dir", "/d", "--later"],
            Decision(
                "approve", name="web", digest="abababababab", host="b", data_dir="/d", later=True
            ),
        ),
        (
            "approve",
            ["web", "-H", "tcp://127.0.0.1:1", "--stop-timeout", "5s"],
            Decision(
                "approve", name="web", rest=("-H", "tcp://127.0.0.1:1", "--stop-timeout", "5s")
            ),
        ),
        ("reject", ["web", "--digest=x"], Decision("reject", name="web", digest="x")),
        ("reject", ["--help"], Decision("reject", help=True)),
    ],
)
def test_the_options_are_read(command: str, argv: list[str], expected: Decision) -> None:
    assert parse_decision(command, argv, {}) == expected


@pytest.mark.parametrize(
    ("command", "argv", "words"),
    [
        ("approve", [], "watchtower approve needs a container's name"),
        ("approve", ["web", "db"], "watchtower approve takes one name, got 'db' too."),
        ("approve", ["web", "--digest"], "--digest needs a value."),
        ("reject", ["web", "--later"], "watchtower reject has no option '--later'"),
    ],
)
def test_bad_options_are_one_sentence(command: str, argv: list[str], words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_decision(command, argv, {})
    assert str(caught.value).startswith(words)


def run(command: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = decide_command(command, argv, env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def waiting(tmp_path: Path) -> Path:
    """A history in which web waits for 1.1; its directory."""
    with SqliteHistory(tmp_path / FILE_NAME) as history:
        history.ask(Approval(container="web", digest=DIGEST, new_version="1.1", asked_at=T0))
    return tmp_path


def state(directory: Path) -> State:
    with SqliteHistory(directory / FILE_NAME) as history:
        return history.approvals()[("", "web")].state


def test_approve_later_records_the_approval_for_the_next_run(waiting: Path) -> None:
    code, out, err = run(
        "approve", ["web", "--later", "--digest", "ab" * 6], {"WATCHTOWER_DATA_DIR": str(waiting)}
    )
    assert (code, err) == (0, "")
    said = "web: the update to 1.1 (sha256:abababababab) is approved"
    assert out == f"{said}; the next run carries it out.\n"
    assert state(waiting) is State.APPROVED


def test_reject_keeps_the_rejection(waiting: Path) -> None:
    code, out, _ = run("reject", ["web", "--data-dir", str(waiting)])
    assert code == 0
    assert out.endswith("is rejected; that digest is not asked for again.\n")
    assert state(waiting) is State.REJECTED


def test_another_digest_is_refused_and_nothing_is_decided(waiting: Path) -> None:
    code, out, err = run(
        "approve", ["web", "--later", "--digest", "cd" * 6, "--data-dir", str(waiting)]
    )
    assert (code, out) == (1, "")
    assert err.startswith(
        f"watchtower: The update of web is for digest {DIGEST}, not 'cdcdcdcdcdcd'"
    )
    assert state(waiting) is State.PENDING


def test_nothing_waiting_is_one_sentence(waiting: Path) -> None:
    code, _, err = run("reject", ["db", "--data-dir", str(waiting)])
    assert code == 1 and err.startswith("watchtower: No update of db waits for approval")


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_without_a_history_it_says_where_to_find_one(command: str, tmp_path: Path) -> None:
    code, _, err = run(command, ["web"])
    assert code == 2
    assert err == (
        f"watchtower: watchtower {command} needs --data-dir or WATCHTOWER_DATA_DIR: "
        "the directory the daemon keeps its history in.\n"
    )
    code, _, err = run(command, ["web", "--data-dir", str(tmp_path)])
    assert code == 2 and f"There is no history at {tmp_path / FILE_NAME}" in err
    assert not (tmp_path / FILE_NAME).exists()


def test_an_approval_whose_run_cannot_reach_the_engine_stays_approved_and_says_so(
    waiting: Path,
) -> None:
    code, _, err = run(
        "approve",
        ["web", "--data-dir", str(waiting), "-H", f"unix://{waiting}/no-engine.sock"],
    )
    assert code == 1
    assert err.startswith("watchtower: web: the update to 1.1 (sha256:abababababab) is approved, ")
    assert state(waiting) is State.APPROVED


def test_main_dispatches_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["approve", "--help"], {}) == 0
    assert main(["reject", "-h"], {}) == 0
    assert capsys.readouterr().out.splitlines() == [
        "usage: watchtower approve NAME [--digest DIGEST] [--host HOST] [--later] "
        "[--data-dir DIR] [other flags of watchtower]",
        "usage: watchtower reject NAME [--digest DIGEST] [--host HOST] [--data-dir DIR]",
    ]
