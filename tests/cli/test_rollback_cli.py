"""``watchtower rollback`` and ``watchtower release``: their options, and release on a real file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from watchtower.cli.command import main
from watchtower.cli.rollback import ChangeQuery, parse_change, release_command, rollback_command
from watchtower.errors import ConfigurationError
from watchtower.history import FILE_NAME, SqliteHistory


@pytest.mark.parametrize(
    ("command", "argv", "expected"),
    [
        ("rollback", ["web"], ChangeQuery("rollback", name="web")),
        (
            "rollback",
            ["/web", "--to", "1.25.3", "--host=b", "--data-dir", "/d"],
            ChangeQuery("rollback", name="web", to="1.25.3", host="b", data_dir="/d"),
        ),
        (
            "rollback",
            ["web", "-H", "tcp://127.0.0.1:1", "--stop-timeout", "5s", "--to=sha256:ab"],
            ChangeQuery(
                "rollback",
                name="web",
                to="sha256:ab",
                rest=("-H", "tcp://127.0.0.1:1", "--stop-timeout", "5s"),
            ),
        ),
        ("release", ["web", "--host", "a"], ChangeQuery("release", name="web", host="a")),
        ("release", ["--help"], ChangeQuery("release", help=True)),
    ],
)
def test_the_options_are_read(command: str, argv: list[str], expected: ChangeQuery) -> None:
    assert parse_change(command, argv, {}) == expected


@pytest.mark.parametrize(
    ("command", "argv", "words"),
    [
        ("rollback", [], "watchtower rollback needs a container's name"),
        ("rollback", ["web", "db"], "watchtower rollback takes one name, got 'db' too."),
        ("rollback", ["web", "--to"], "--to needs a value."),
        ("release", ["web", "--to", "1"], "watchtower release has no option '--to'"),
    ],
)
def test_bad_options_are_one_sentence(command: str, argv: list[str], words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_change(command, argv, {})
    assert str(caught.value).startswith(words)


def test_the_data_directory_comes_from_the_environment() -> None:
    query = parse_change("release", ["web"], {"WATCHTOWER_DATA_DIR": " /data "})
    assert query.data_dir == "/data"


def run(command: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    act = rollback_command if command == "rollback" else release_command
    code = act(argv, env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_release_lets_a_held_container_go_and_says_so(tmp_path: Path) -> None:
    with SqliteHistory(tmp_path / FILE_NAME) as history:
        history.hold("web", "", "sha256:a", "1.25.3")
    code, out, err = run("release", ["web", "--data-dir", str(tmp_path)])
    assert (code, err) == (0, "")
    assert out == "web is released: the next run updates it when its image is stale.\n"
    with SqliteHistory(tmp_path / FILE_NAME) as history:
        assert dict(history.holds()) == {}
    code, out, _ = run("release", ["web"], {"WATCHTOWER_DATA_DIR": str(tmp_path)})
    assert (code, out) == (0, "web was not held: runs update it as they do.\n")


@pytest.mark.parametrize("command", ["rollback", "release"])
def test_without_a_history_it_says_where_to_find_one(command: str, tmp_path: Path) -> None:
    code, _, err = run(command, ["web"])
    assert code == 2
    assert err == (
        f"watchtower: watchtower {command} needs --data-dir or WATCHTOWER_DATA_DIR: "
        "the directory the daemon keeps its history in.\n"
    )
    code, _, err = run(command, ["web", "--data-dir", str(tmp_path)])
    assert code == 2 and f"There is no history at {tmp_path / FILE_NAME}" in err
    assert not (tmp_path / FILE_NAME).exists()  # nothing made where nothing was


def test_main_dispatches_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rollback", "--help"], {}) == 0
    assert main(["release", "-h"], {}) == 0
    assert capsys.readouterr().out.splitlines() == [
        "usage: watchtower rollback NAME [--to VERSION|DIGEST] [--host HOST] [--data-dir DIR] "
        "[other flags of watchtower]",
        "usage: watchtower release NAME [--host HOST] [--data-dir DIR]",
    ]
