"""``watchtower release-digest`` on a real history file, and ``--max-failures``."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from watchtower.cli.command import main
from watchtower.cli.config import load
from watchtower.cli.quarantine import release_digest_command
from watchtower.errors import ConfigurationError
from watchtower.history import FILE_NAME, Quarantine, SqliteHistory

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
DIGEST = "sha256:" + "ab" * 32


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = release_digest_command(argv, env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with SqliteHistory(tmp_path / FILE_NAME) as history:
        history.quarantine(
            Quarantine(digest=DIGEST, image="example.org/web:1", reason="exit 1", at=T0)
        )
    return tmp_path


def test_release_by_prefix_says_so_and_keeps_who(data_dir: Path) -> None:
    code, out, err = run(
        ["sha256:abababababab", "--by", "fixed the volume", "--data-dir", str(data_dir)]
    )
    assert (code, err) == (0, "")
    assert out == (
        f"{DIGEST} (example.org/web:1) is released: the next run moves containers to it again.\n"
    )
    with SqliteHistory(data_dir / FILE_NAME) as history:
        released = history.quarantined()[DIGEST]
    assert not released.active and released.released_by == "fixed the volume"


def test_the_data_directory_comes_from_the_environment(data_dir: Path) -> None:
    code, _, _ = run(["abababababab"], {"WATCHTOWER_DATA_DIR": str(data_dir)})
    assert code == 0


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (
            ["sha256:cdcdcdcdcdcd"],
            1,
            "watchtower: No quarantined digest starts with sha256:cdcdcdcdcdcd.\n",
        ),
        (["ab12"], 1, "watchtower: 'ab12' is no digest: give sha256: and 12 to 64 hex digits.\n"),
        ([], 2, "watchtower: watchtower release-digest needs a digest; usage:"),
        (
            ["abababababab", "--to", "x"],
            2,
            "watchtower: watchtower release-digest has no option '--to'",
        ),
    ],
)
def test_what_cannot_be_released_is_one_sentence(
    data_dir: Path, argv: list[str], code: int, words: str
) -> None:
    got, out, err = run([*argv, "--data-dir", str(data_dir)])
    assert (got, out) == (code, "")
    assert err.startswith(words)
    with SqliteHistory(data_dir / FILE_NAME) as history:
        assert history.quarantined()[DIGEST].active


def test_without_a_history_it_says_where_to_find_one(tmp_path: Path) -> None:
    code, _, err = run(["abababababab"])
    assert code == 2 and "needs --data-dir or WATCHTOWER_DATA_DIR" in err
    code, _, err = run(["abababababab", "--data-dir", str(tmp_path)])
    assert code == 2 and f"There is no history at {tmp_path / FILE_NAME}" in err


def test_main_dispatches_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release-digest", "--help"], {}) == 0
    assert capsys.readouterr().out == (
        "usage: watchtower release-digest DIGEST [--by REASON] [--data-dir DIR]\n"
    )


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], {}, 0),
        (["--max-failures", "3"], {}, 3),
        ([], {"WATCHTOWER_MAX_FAILURES": "2"}, 2),
    ],
)
def test_max_failures_is_read_from_the_flag_or_the_environment(
    argv: list[str], env: dict[str, str], expected: int
) -> None:
    assert load(argv, env).params.max_failures == expected


def test_a_negative_max_failures_is_one_sentence() -> None:
    with pytest.raises(ConfigurationError, match="--max-failures must be from 0 to"):
        load(["--max-failures=-1"], {})
