"""The history on the command line: its flags, ``watchtower history``, and ``/v1/history``."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest

from watchtower.cli.api import create_app
from watchtower.cli.api_settings import API_ENDPOINTS, ApiSettings
from watchtower.cli.command import main
from watchtower.cli.config import load
from watchtower.cli.history import format_changes, history_command, parse_query
from watchtower.cli.history_settings import HistorySettings, open_history, parse_retention
from watchtower.errors import ConfigurationError, HistoryError
from watchtower.history import FILE_NAME, MemoryHistory, SqliteHistory
from watchtower.model import VolumeSnapshot
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import WEB, make_runner

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def updated(name: str, *, host: str = "", reason: str = "", outcome: Outcome = Outcome.UPDATED):
    return ContainerReport(
        id=name,
        name=name,
        image=f"example.org/{name}:1",
        old_image_id=A,
        new_image_id=B,
        outcome=outcome,
        reason=reason,
        host=host,
    )


def run_at(minutes: int, *entries: ContainerReport) -> Report:
    at = T0 + timedelta(minutes=minutes)
    return Report(entries=entries, started_at=at, finished_at=at)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose history holds two runs: web updated, then db failed."""
    with SqliteHistory(tmp_path / FILE_NAME) as history:
        history.record(run_at(0, updated("web")))
        history.record(run_at(5, updated("db", reason="start failed", outcome=Outcome.FAILED)))
    return tmp_path


# The flags --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("90d", timedelta(days=90)),
        ("12w", timedelta(weeks=12)),
        ("36h", timedelta(hours=36)),
        ("30", timedelta(days=30)),
        ("1M", timedelta(days=30)),
    ],
)
def test_retention_reads_long_durations(text: str, expected: timedelta | None) -> None:
    assert parse_retention(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0d", "--history-retention must be longer than 0, such as 90d, got '0d'."),
        ("forever", "--history-retention expects a duration such as 24h, 3d, 1w or 1M"),
    ],
)
def test_a_bad_retention_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load(["--history-retention", text], {})


def test_the_flags_and_their_variables_make_the_settings() -> None:
    config = load(["--data-dir", "/data", "--history-retention", "90d"], {})
    assert config.history == HistorySettings("/data", timedelta(days=90))
    assert config.history.path == Path("/data") / FILE_NAME
    env = {"WATCHTOWER_DATA_DIR": "/d", "WATCHTOWER_HISTORY_RETENTION": "1w"}
    assert load([], env).history == HistorySettings("/d", timedelta(weeks=1))
    assert load([], {}).history.path is None


def test_open_history_makes_the_directory_and_none_without_one(tmp_path: Path) -> None:
    assert open_history(HistorySettings()) is None
    history = open_history(HistorySettings(str(tmp_path / "new" / "dir")))
    assert history is not None and (tmp_path / "new" / "dir" / FILE_NAME).is_file()
    history.close()
    (tmp_path / "file").write_text("")
    with pytest.raises(HistoryError, match=f"^The data directory {tmp_path / 'file'} cannot"):
        open_history(HistorySettings(str(tmp_path / "file")))


def test_an_unusable_data_dir_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cli_logger_restored: None
) -> None:
    (tmp_path / "file").write_text("")
    code = main(["--run-once", "--data-dir", str(tmp_path / "file")], {})
    assert code == 1
    assert "The data directory" in capsys.readouterr().err


# watchtower history -------------------------------------------------------------


def run_command(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = history_command(args, env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_table_lists_the_changes_oldest_first(data_dir: Path) -> None:
    code, out, err = run_command(["--data-dir", str(data_dir)])
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "TIME (UTC)           CONTAINER  IMAGE                         OUTCOME  REASON",
        "2026-01-01 12:00:00  web        aaaaaaaaaaaa -> bbbbbbbbbbbb  updated",
        "2026-01-01 12:05:00  db         aaaaaaaaaaaa -> bbbbbbbbbbbb  failed   start failed",
    ]


def test_a_name_the_json_and_the_variable(data_dir: Path) -> None:
    env = {"WATCHTOWER_DATA_DIR": str(data_dir)}
    code, out, _ = run_command(["web", "--json"], env)
    body = json.loads(out)
    assert code == 0
    assert [c["container"] for c in body["changes"]] == ["web"]
    assert body["changes"][0]["old_image_id"] == A and body["changes"][0]["outcome"] == "updated"
    assert [r["timestamp"] for r in body["runs"]] == [
        "2026-01-01T12:05:00Z",
        "2026-01-01T12:00:00Z",
    ]
    code, out, _ = run_command(["/db", "--limit=1", f"--data-dir={data_dir}"])
    assert code == 0 and "db" in out and "web" not in out
    code, out, _ = run_command(["cache"], env)
    assert out == f"No change of cache in the history at {data_dir / FILE_NAME} (2 runs kept).\n"


def test_the_subcommand_is_dispatched_by_main(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--json", "--data-dir", str(data_dir)], {}) == 0
    assert len(json.loads(capsys.readouterr().out)["changes"]) == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "watchtower history needs --data-dir or WATCHTOWER_DATA_DIR"),
        (["--tail"], 2, "watchtower history has no option '--tail'"),
        (["--limit", "ten"], 2, "--limit expects a whole number, 0 for all, got 'ten'."),
        (["--limit"], 2, "--limit needs a value."),
        (["a", "b"], 2, "watchtower history takes one name, got 'b' too."),
    ],
)
def test_bad_options_are_one_sentence(args: list[str], code: int, message: str) -> None:
    got, out, err = run_command(args)
    assert (got, out) == (code, "")
    assert err.startswith(f"watchtower: {message}") and err.count("\n") == 1


def test_a_missing_or_corrupt_history_is_one_sentence_and_left_alone(tmp_path: Path) -> None:
    code, _, err = run_command(["--data-dir", str(tmp_path)])
    assert (code, err) == (1, f"watchtower: There is no history at {tmp_path / FILE_NAME}.\n")
    (tmp_path / FILE_NAME).write_bytes(b"junk" * 1000)
    code, _, err = run_command(["--data-dir", str(tmp_path)])
    assert code == 1 and "cannot be read: it is corrupt" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]


def test_the_table_names_hosts_rolled_back_and_a_tag_move() -> None:
    history = MemoryHistory()
    moved = ContainerReport(
        id="1",
        name="web",
        image="nginx:1.25.3",
        new_image="nginx:1.25.4",
        old_image_id=A,
        new_image_id=B,
        outcome=Outcome.FAILED,
        rolled_back=True,
        reason="health\ncheck failed",
        host="edge",
    )
    history.record(run_at(0, moved))
    lines = format_changes(history.changes()).splitlines()
    assert lines[0].split()[2] == "HOST"
    assert lines[1].split()[2:] == [
        "edge",
        "web",
        "aaaaaaaaaaaa",
        "->",
        "nginx:1.25.4",
        "(bbbbbbbbbbbb)",
        "failed,",
        "rolled",
        "back",
        "health",
        "check",
        "failed",
    ]


def test_parse_query_reads_each_option() -> None:
    query = parse_query(["--host", "edge", "--json", "web", "--limit", "0"], {})
    assert (query.host, query.json, query.name, query.limit) == ("edge", True, "web", 0)


# /v1/history ------------------------------------------------------------------------


def api_with(history: MemoryHistory | SqliteHistory | None):
    registry = MemoryRegistry(FixedClock())
    runner = make_runner(MemoryEngine(registry), registry, FixedClock())
    runner.history = history
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    return create_app(runner, settings).test_client(), runner, registry


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_api_reads_the_history_with_paging_and_filters(kind: str, tmp_path: Path) -> None:
    history = MemoryHistory() if kind == "memory" else SqliteHistory(tmp_path / FILE_NAME)
    for minute in range(5):
        history.record(run_at(minute, updated("web", host="a"), updated("db", host="b")))
    api, _, _ = api_with(history)
    page = api.get("/v1/history?limit=2", headers=AUTH).get_json()
    assert [e["timestamp"] for e in page["entries"]] == [
        "2026-01-01T12:03:00Z",
        "2026-01-01T12:04:00Z",
    ]
    assert page["entries"][-1]["updated"] == 2  # the shape the status page reads
    before = page["entries"][0]["id"]
    older = api.get(f"/v1/history?limit=2&before={before}", headers=AUTH).get_json()
    assert [e["id"] for e in older["entries"]] == [before - 2, before - 1]
    since = api.get("/v1/history?since=2026-01-01T12:02:00Z&limit=2", headers=AUTH).get_json()
    assert [e["timestamp"][11:16] for e in since["entries"]] == ["12:03", "12:04"]
    until = api.get("/v1/history?until=2026-01-01T12:01:00Z", headers=AUTH).get_json()
    assert [e["timestamp"][11:16] for e in until["entries"]] == ["12:00", "12:01"]
    changes = api.get("/v1/history?changes=true&name=web&limit=3", headers=AUTH).get_json()
    assert changes["count"] == 3
    assert {(c["container"], c["host"]) for c in changes["entries"]} == {("web", "a")}
    ids = [c["id"] for c in changes["entries"]]
    assert ids == sorted(ids)
    on_b = api.get("/v1/history?changes=1&host=b&limit=0", headers=AUTH).get_json()
    assert on_b["count"] == 5 and {c["container"] for c in on_b["entries"]} == {"db"}


def test_without_a_data_dir_the_api_keeps_the_runs_in_memory_and_refuses_changes() -> None:
    api, runner, registry = api_with(None)
    registry.publish(WEB)
    runner.run()
    body = api.get("/v1/history", headers=AUTH).get_json()
    assert body["count"] == 1 and "id" not in body["entries"][0]
    for query in ("changes=true", "before=3"):
        response = api.get(f"/v1/history?{query}", headers=AUTH)
        assert response.status_code == 400
        assert response.get_json()["error"] == (
            "changes and 'before' need a history kept with --data-dir"
        )
    bad = api.get("/v1/history?changes=maybe", headers=AUTH)
    assert (bad.status_code, bad.get_json()["error"]) == (
        400,
        "invalid 'changes' parameter: 'maybe' is not true or false",
    )


def test_a_run_asked_through_the_api_is_kept(tmp_path: Path) -> None:
    history = SqliteHistory(tmp_path / FILE_NAME)
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    runner = make_runner(engine, registry, FixedClock())
    runner.history = history
    settings = ApiSettings(endpoints=frozenset(API_ENDPOINTS), token=TOKEN)
    api = create_app(runner, settings).test_client()
    assert api.post("/v1/update", headers=AUTH).status_code == 200
    [change] = history.changes()
    assert (change.container, change.outcome) == ("web", "updated")
    assert change.new_image_id == engine.container("web").image_id
    body = api.get("/v1/history?changes=true", headers=AUTH).get_json()
    assert [c["id"] for c in body["entries"]] == [change.id]


# Snapshots --------------------------------------------------------------------------


def protected(name: str, minutes: int, *, host: str = "", keep: int = 1) -> ContainerReport:
    """``name`` updated, its volume ``data`` snapshotted first."""
    at = T0 + timedelta(minutes=minutes)
    taken = VolumeSnapshot(
        volume="data", name=f"watchtower-snapshot-data-{minutes}", at=at, keep=keep
    )
    return attrs.evolve(updated(name, host=host), snapshots=[taken])


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    """A history whose db took two snapshots of data: the first removed by the second."""
    with SqliteHistory(tmp_path / FILE_NAME) as history:
        history.record(run_at(0, protected("db", 0)))
        history.record(run_at(5, protected("db", 5)))
    return tmp_path


def test_the_snapshots_table_lists_those_available_and_with_all_the_removed(
    snapshot_dir: Path,
) -> None:
    code, out, err = run_command(["--snapshots", "--data-dir", str(snapshot_dir)])
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "TIME (UTC)           CONTAINER  VOLUME  SNAPSHOT                    STATE",
        "2026-01-01 12:05:00  db         data    watchtower-snapshot-data-5  available",
    ]
    code, out, _ = run_command(["db", "--snapshots", "--all", "--data-dir", str(snapshot_dir)])
    assert out.splitlines()[1:] == [
        "2026-01-01 12:00:00  db         data    watchtower-snapshot-data-0  "
        "removed 2026-01-01 12:05:00",
        "2026-01-01 12:05:00  db         data    watchtower-snapshot-data-5  available",
    ]
    code, out, _ = run_command(["web", "--snapshots", "--data-dir", str(snapshot_dir)])
    history = snapshot_dir / FILE_NAME
    assert out == f"No available snapshot of web in the history at {history}.\n"


def test_the_snapshots_as_json(snapshot_dir: Path) -> None:
    env = {"WATCHTOWER_DATA_DIR": str(snapshot_dir)}
    code, out, _ = run_command(["--snapshots", "--all", "--json"], env)
    body = json.loads(out)
    assert code == 0
    assert [(s["name"], s["available"]) for s in body["snapshots"]] == [
        ("watchtower-snapshot-data-5", True),
        ("watchtower-snapshot-data-0", False),
    ]
    assert body["snapshots"][1]["removed_at"] == "2026-01-01T12:05:00Z"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all"], "--all goes with --snapshots: the removed snapshots too."),
        (["--snapshots", "--limit", "x"], "--limit expects a whole number, 0 for all, got 'x'."),
    ],
)
def test_bad_snapshot_options_are_one_sentence(args: list[str], message: str) -> None:
    code, out, err = run_command([*args, "--data-dir", "/nowhere"])
    assert (code, out, err) == (2, "", f"watchtower: {message}\n")


def test_the_snapshots_of_a_missing_history_are_one_sentence(tmp_path: Path) -> None:
    code, _, err = run_command(["--snapshots", "--data-dir", str(tmp_path)])
    assert (code, err) == (1, f"watchtower: There is no history at {tmp_path / FILE_NAME}.\n")


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_api_lists_the_snapshots_with_filters_and_paging(kind: str, tmp_path: Path) -> None:
    history = MemoryHistory() if kind == "memory" else SqliteHistory(tmp_path / FILE_NAME)
    for minute in range(4):
        history.record(run_at(minute, protected("db", minute, host="a", keep=2)))
    history.record(run_at(9, protected("web", 9, host="b")))
    api, _, _ = api_with(history)
    page = api.get("/v1/history/snapshots", headers=AUTH).get_json()
    assert [(s["container"], s["at"][11:16]) for s in page["entries"]] == [
        ("db", "12:02"),
        ("db", "12:03"),
        ("web", "12:09"),
    ]
    everything = api.get("/v1/history/snapshots?removed=true&name=db", headers=AUTH).get_json()
    assert [s["available"] for s in everything["entries"]] == [False, False, True, True]
    before = everything["entries"][2]["id"]
    older = api.get(
        f"/v1/history/snapshots?removed=1&limit=1&before={before}", headers=AUTH
    ).get_json()
    assert [s["id"] for s in older["entries"]] == [before - 1]
    on_b = api.get("/v1/history/snapshots?host=b", headers=AUTH).get_json()
    assert on_b["count"] == 1 and on_b["entries"][0]["host"] == "b"
    bad = api.get("/v1/history/snapshots?limit=many", headers=AUTH)
    assert bad.status_code == 400 and "'limit'" in bad.get_json()["error"]


def test_the_api_has_no_snapshots_without_a_data_dir() -> None:
    api, _, _ = api_with(None)
    answer = api.get("/v1/history/snapshots", headers=AUTH)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "the snapshots need a history kept with --data-dir"
