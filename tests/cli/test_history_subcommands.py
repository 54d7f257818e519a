"""Every subcommand on the history, run as ``python -m watchtower``: exit codes, stdout, stderr.

One table pins what ``history``, ``rollback``, ``release``, ``approve``,
``reject`` and ``release-digest`` print, byte for byte, for: no
``--data-dir``, a corrupt history, a directory where the file should be,
a container (or digest) the history does not know, and success, as text
and as JSON. ``{dir}`` is the data directory of the case.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import pytest

from watchtower.history import FILE_NAME, Approval, SqliteHistory
from watchtower.model import VolumeSnapshot
from watchtower.report import ContainerReport, Outcome, Quarantine, Report

REPO_ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
DIGEST = "sha256:" + "ab" * 32

NO_DATA_DIR = (
    "watchtower: watchtower {} needs --data-dir or WATCHTOWER_DATA_DIR: "
    "the directory the daemon keeps its history in.\n"
)
NOT_WAITING = (
    "watchtower: No update of {} waits for approval: a run records one when it finds a newer "
    "image for a container of the approve policy.\n"
)
CORRUPT = (
    "watchtower: The history at {dir}/history.db cannot be read: "
    "it is corrupt (file is not a database).\n"
)
CORRUPT_TO_WRITE = CORRUPT.replace(
    ".\n", ". The daemon sets it aside and starts a new one at its next start.\n"
)
NO_ENGINE = (
    "watchtower: Could not connect to the Docker engine at unix:///nonexistent.sock: "
    "the engine is unreachable (No such file or directory).\n"
)
NOT_THE_DAEMONS = (
    "watchtower: There is no history at {dir}/history.db: is --data-dir the daemon's?\n"
)


def run(n: int, at: datetime) -> dict[str, Any]:
    return {
        "id": n,
        "timestamp": f"{at:%Y-%m-%dT%H:%M:%S}Z",
        "started_at": f"{at:%Y-%m-%dT%H:%M:%S}Z",
        "trigger": "",
        "scanned": 1,
        "updated": 1,
        "failed": 0,
        "restarted": 0,
        "skipped": 0,
        "dry_run": False,
    }


def change(n: int, at: datetime, name: str) -> dict[str, Any]:
    return {
        "id": n,
        "run": n,
        "at": f"{at:%Y-%m-%dT%H:%M:%S}Z",
        "host": "",
        "container": name,
        "kind": "container",
        "image": f"example.org/{name}:1",
        "new_image": "",
        "old_image_id": A,
        "new_image_id": B,
        "old_version": "",
        "new_version": "",
        "notes": "",
        "outcome": "updated",
        "reason": "",
        "rolled_back": False,
        "trigger": "",
    }


T5 = T0 + timedelta(minutes=5)
RUNS = [run(2, T5), run(1, T0)]
SNAPSHOT = {
    "id": 1,
    "run": 2,
    "change": 2,
    "host": "",
    "container": "db",
    "container_id": "",
    "volume": "data",
    "name": "watchtower-snapshot-data-5",
    "at": "2026-01-01T12:05:00Z",
    "available": True,
    "removed_at": None,
}


class Case(NamedTuple):
    """A command on a data directory, and all it answers."""

    history: str  # "kept" (see kept()), "none" (no --data-dir), "corrupt" or "dir"
    argv: list[str]
    code: int
    out: str | dict[str, Any]  # a dict: the JSON document, printed with indent=2
    err: str


CASES = {
    # Success, as text and as JSON.
    "history": Case(
        "kept",
        ["history"],
        0,
        "TIME (UTC)           CONTAINER  IMAGE                         OUTCOME  REASON\n"
        "2026-01-01 12:00:00  web        aaaaaaaaaaaa -> bbbbbbbbbbbb  updated\n"
        "2026-01-01 12:05:00  db         aaaaaaaaaaaa -> bbbbbbbbbbbb  updated\n",
        "",
    ),
    "history --json": Case(
        "kept",
        ["history", "--json"],
        0,
        {"runs": RUNS, "changes": [change(2, T5, "db"), change(1, T0, "web")]},
        "",
    ),
    "history --snapshots": Case(
        "kept",
        ["history", "--snapshots"],
        0,
        "TIME (UTC)           CONTAINER  VOLUME  SNAPSHOT                    STATE\n"
        "2026-01-01 12:05:00  db         data    watchtower-snapshot-data-5  available\n",
        "",
    ),
    "history --snapshots --json": Case(
        "kept", ["history", "--snapshots", "--json"], 0, {"snapshots": [SNAPSHOT]}, ""
    ),
    "release": Case(
        "kept",
        ["release", "web"],
        0,
        "web is released: the next run updates it when its image is stale.\n",
        "",
    ),
    "reject": Case(
        "kept",
        ["reject", "web"],
        0,
        "web: the update to 1.1 (sha256:abababababab) is rejected; "
        "that digest is not asked for again.\n",
        "",
    ),
    "approve --later": Case(
        "kept",
        ["approve", "web", "--later"],
        0,
        "web: the update to 1.1 (sha256:abababababab) is approved; the next run carries it out.\n",
        "",
    ),
    "release-digest": Case(
        "kept",
        ["release-digest", "abababababab", "--by", "fixed"],
        0,
        f"{DIGEST} (example.org/web:1) is released: the next run moves containers to it again.\n",
        "",
    ),
    # A container, or a digest, the history does not know.
    "history, unknown": Case(
        "kept",
        ["history", "nosuch"],
        0,
        "No change of nosuch in the history at {dir}/history.db (2 runs kept).\n",
        "",
    ),
    "history --json, unknown": Case(
        "kept", ["history", "nosuch", "--json"], 0, {"runs": RUNS, "changes": []}, ""
    ),
    "history --snapshots, unknown": Case(
        "kept",
        ["history", "--snapshots", "nosuch"],
        0,
        "No available snapshot of nosuch in the history at {dir}/history.db.\n",
        "",
    ),
    "history --snapshots --json, unknown": Case(
        "kept", ["history", "--snapshots", "--json", "nosuch"], 0, {"snapshots": []}, ""
    ),
    "release, unknown": Case(
        "kept", ["release", "nosuch"], 0, "nosuch was not held: runs update it as they do.\n", ""
    ),
    "reject, unknown": Case("kept", ["reject", "nosuch"], 1, "", NOT_WAITING.format("nosuch")),
    "approve --later, unknown": Case(
        "kept", ["approve", "nosuch", "--later"], 1, "", NOT_WAITING.format("nosuch")
    ),
    "approve, unknown": Case("kept", ["approve", "nosuch"], 1, "", NOT_WAITING.format("nosuch")),
    "release-digest, unknown": Case(
        "kept",
        ["release-digest", "cdcdcdcdcdcd"],
        1,
        "",
        "watchtower: No quarantined digest starts with cdcdcdcdcdcd.\n",
    ),
    "rollback, no engine": Case(
        "kept", ["rollback", "nosuch", "-H", "unix:///nonexistent.sock"], 1, "", NO_ENGINE
    ),
    # No --data-dir.
    **{
        f"{words[0]}, no --data-dir": Case("none", words, 2, "", NO_DATA_DIR.format(words[0]))
        for words in (
            ["history"],
            ["rollback", "web"],
            ["release", "web"],
            ["approve", "web"],
            ["reject", "web"],
            ["release-digest", "abababababab"],
        )
    },
    "history --json, no --data-dir": Case(
        "none", ["history", "--json"], 2, "", NO_DATA_DIR.format("history")
    ),
    # A corrupt file is an error, read or written: never set aside for an empty one here.
    "history, corrupt": Case("corrupt", ["history"], 1, "", CORRUPT),
    "history --json, corrupt": Case("corrupt", ["history", "--json"], 1, "", CORRUPT),
    "history --snapshots, corrupt": Case("corrupt", ["history", "--snapshots"], 1, "", CORRUPT),
    "release, corrupt": Case("corrupt", ["release", "web"], 1, "", CORRUPT_TO_WRITE),
    "reject, corrupt": Case("corrupt", ["reject", "web"], 1, "", CORRUPT_TO_WRITE),
    "approve --later, corrupt": Case(
        "corrupt", ["approve", "web", "--later"], 1, "", CORRUPT_TO_WRITE
    ),
    "release-digest, corrupt": Case(
        "corrupt", ["release-digest", "abababababab"], 1, "", CORRUPT_TO_WRITE
    ),
    "rollback, corrupt": Case(
        "corrupt", ["rollback", "web", "-H", "unix:///nonexistent.sock"], 1, "", CORRUPT_TO_WRITE
    ),
    # A directory where the file should be: unreadable.
    "history, a directory": Case(
        "dir", ["history"], 1, "", "watchtower: There is no history at {dir}/history.db.\n"
    ),
    **{
        f"{words[0]}, a directory": Case("dir", words, 2, "", NOT_THE_DAEMONS)
        for words in (
            ["rollback", "web"],
            ["release", "web"],
            ["approve", "web"],
            ["reject", "web"],
            ["release-digest", "abababababab"],
        )
    },
    # The usage, and nothing else.
    **{
        f"{words[0]} --help": Case("none", words, 0, usage + "\n", "")
        for words, usage in (
            (
                ["history", "--help"],
                "usage: watchtower history [NAME] [--snapshots [--all]] [--json] [--limit N] "
                "[--host HOST] [--data-dir DIR]",
            ),
            (
                ["rollback", "--help"],
                "usage: watchtower rollback NAME [--to VERSION|DIGEST] [--host HOST] "
                "[--data-dir DIR] [other flags of watchtower]",
            ),
            (["release", "-h"], "usage: watchtower release NAME [--host HOST] [--data-dir DIR]"),
            (
                ["approve", "--help"],
                "usage: watchtower approve NAME [--digest DIGEST] [--host HOST] [--later] "
                "[--data-dir DIR] [other flags of watchtower]",
            ),
            (
                ["reject", "-h"],
                "usage: watchtower reject NAME [--digest DIGEST] [--host HOST] [--data-dir DIR]",
            ),
            (
                ["release-digest", "--help"],
                "usage: watchtower release-digest DIGEST [--by REASON] [--data-dir DIR]",
            ),
        )
    },
    # A bad option, and a bad daemon flag: a configuration error, before the history.
    "history, a bad option": Case(
        "kept",
        ["history", "--bogus"],
        2,
        "",
        "watchtower: watchtower history has no option '--bogus'; usage: watchtower history "
        "[NAME] [--snapshots [--all]] [--json] [--limit N] [--host HOST] [--data-dir DIR].\n",
    ),
    "rollback, a bad flag": Case(
        "kept",
        ["rollback", "web", "--stop-timeout", "x"],
        2,
        "",
        "watchtower: --stop-timeout expects a duration such as 30s, 5m or 1h30m, got 'x'.\n",
    ),
    "approve, a bad flag": Case(
        "kept",
        ["approve", "web", "--stop-timeout", "x"],
        1,
        "",
        "watchtower: web: the update to 1.1 (sha256:abababababab) is approved, but the run "
        "failed: --stop-timeout expects a duration such as 30s, 5m or 1h30m, got 'x'.\n",
    ),
}


def kept(directory: Path) -> None:
    """Two runs (web, then db with a snapshot), web held, web waiting, a digest quarantined."""
    with SqliteHistory(directory / FILE_NAME) as history:
        web = ContainerReport(
            id="web",
            name="web",
            image="example.org/web:1",
            old_image_id=A,
            new_image_id=B,
            outcome=Outcome.UPDATED,
        )
        history.record(Report(entries=(web,), started_at=T0, finished_at=T0))
        taken = VolumeSnapshot(volume="data", name="watchtower-snapshot-data-5", at=T5, keep=1)
        db = attrs.evolve(web, id="db", name="db", image="example.org/db:1", snapshots=[taken])
        history.record(Report(entries=(db,), started_at=T5, finished_at=T5))
        history.hold("web", "", A, "1.0")
        history.ask(Approval(container="web", digest=DIGEST, new_version="1.1", asked_at=T0))
        history.quarantine(
            Quarantine(digest=DIGEST, image="example.org/web:1", reason="exit 1", at=T0)
        )


def environment(home: Path) -> dict[str, str]:
    """A clean environment: no docker config of the machine's, no WATCHTOWER_* leftovers."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WATCHTOWER_", "DOCKER_", "REPO_"))
    }
    env.update(HOME=str(home), PYTHONPATH=str(REPO_ROOT), NO_COLOR="1")
    return env


def watchtower(argv: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """Run the command; its exit code, stdout and stderr, with the data directory as ``{dir}``."""
    done = subprocess.run(
        [sys.executable, "-m", "watchtower", *argv],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    def seen(text: str) -> str:
        text = text.replace(str(tmp_path / "data"), "{dir}")
        return re.sub(r"corrupt-\d{8}T\d{6}Z", "corrupt-STAMP", text)

    return done.returncode, seen(done.stdout), seen(done.stderr)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_subcommand_answers_as_pinned(case: Case, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if case.history == "kept":
        kept(data)
    elif case.history == "corrupt":
        (data / FILE_NAME).write_bytes(b"not a database" * 100)
    elif case.history == "dir":
        (data / FILE_NAME).mkdir()
    given = [] if case.history == "none" else ["--data-dir", str(data)]
    # The daemon's flags of rollback and approve come after the name, the data directory too.
    argv = [*case.argv[:2], *given, *case.argv[2:]]
    out = case.out if isinstance(case.out, str) else json.dumps(case.out, indent=2) + "\n"
    assert watchtower(argv, tmp_path) == (case.code, out, case.err)
    if case.history == "corrupt":  # left for the daemon to set aside, never replaced here
        assert sorted(p.name for p in data.iterdir()) == [FILE_NAME]
        assert (data / FILE_NAME).read_bytes() == b"not a database" * 100


ENGINE_CASES = {
    "rollback, unknown": Case(
        "kept",
        ["rollback", "nosuch"],
        1,
        "",
        "watchtower: There is no container named nosuch to roll back.\n",
    ),
    # A configuration error found once the history is open exits 1, not 2.
    "rollback, no such host": Case(
        "kept",
        ["rollback", "web", "--host", "b"],
        1,
        "",
        "watchtower: There is no host 'b' to roll back on (the hosts: none); --host names a "
        "host of the hosts file; -H gives the engine's address.\n",
    ),
    "approve, not on the engine": Case(
        "kept",
        ["approve", "web"],
        1,
        "",
        "watchtower: web: the update to 1.1 (sha256:abababababab) is approved, but not done: "
        "it is not in the run's scope\n",
    ),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", ENGINE_CASES.values(), ids=ENGINE_CASES.keys())
def test_the_subcommands_that_reach_an_engine_answer_as_they_always_have(
    case: Case, dockerd: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    kept(data)
    argv = [*case.argv[:2], "--data-dir", str(data), "-H", dockerd.url, *case.argv[2:]]
    assert watchtower(argv, tmp_path) == (case.code, case.out, case.err)
