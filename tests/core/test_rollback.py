"""Going back: a rollback to what ran before, the hold that follows it, and its release."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower import UpdateParams, update, update_hosts
from watchtower.errors import ContainerError, RollbackError
from watchtower.events import Event, Updated
from watchtower.history import MemoryHistory, SqliteHistory
from watchtower.report import Outcome, Report
from watchtower.rollback import find_target, rollback
from watchtower.testing import MemoryEngine, MemoryRegistry
from watchtower.versions import VERSION

WEB = "example.org/web:1"


def two_versions(
    engine: MemoryEngine, registry: MemoryRegistry, history: MemoryHistory | SqliteHistory
) -> tuple[str, str]:
    """web updated from 1.25.3 to 1.25.4 with ``history``; the two image ids."""
    registry.publish(WEB, labels={VERSION: "1.25.3"})
    engine.run("web", WEB)
    old = engine.container("web").image_id
    registry.publish(WEB, labels={VERSION: "1.25.4"})
    update(engine, registry, history=history)
    new = engine.container("web").image_id
    assert old != new
    return old, new


def entry_of(report: Report, name: str = "web") -> tuple[Outcome, str]:
    entry = report.get(name)
    assert entry is not None
    return entry.outcome, entry.reason


def test_a_rollback_puts_the_container_back_on_what_it_ran_before_and_holds_it(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    old, new = two_versions(engine, registry, history)
    events: list[Event] = []
    report = rollback(engine, "web", history, observer=events.append)
    assert entry_of(report) == (Outcome.UPDATED, "rolled back to 1.25.3")
    assert engine.container("web").image_id == old
    assert report.trigger == "rollback"
    [change] = history.changes(limit=1)
    assert (change.trigger, change.old_image_id, change.new_image_id) == ("rollback", new, old)
    assert (change.old_version, change.new_version) == ("1.25.4", "1.25.3")
    assert change.notes == ""  # a release-notes link reads forward only
    [hold] = history.holds().values()
    assert (hold.container, hold.image_id, hold.version) == ("web", old, "1.25.3")
    # The same transaction as an update: the old container went only once the new one ran.
    assert [e.new_image_id for e in events if isinstance(e, Updated)] == [old]
    assert engine.names() == {"web"}


def test_a_held_container_is_skipped_and_asks_no_registry_until_released(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    old, new = two_versions(engine, registry, history)
    rollback(engine, "web", history)
    asked = registry.digest_requests
    held = update(engine, registry, history=history)
    assert entry_of(held) == (
        Outcome.SKIPPED,
        "held on 1.25.3 by a rollback; `watchtower release web` lets it update",
    )
    assert engine.container("web").image_id == old
    assert registry.digest_requests == asked
    assert history.release("web")
    again = update(engine, registry, history=history)
    assert entry_of(again)[0] is Outcome.UPDATED
    assert engine.container("web").image_id == new


def test_a_rollback_to_a_version_or_an_image_id_named(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    first, _second = two_versions(engine, registry, history)
    registry.publish(WEB, labels={VERSION: "1.25.5"})
    update(engine, registry, history=history)
    # previous() would give 1.25.4; --to goes further back.
    report = rollback(engine, "web", history, to="1.25.3")
    assert entry_of(report) == (Outcome.UPDATED, "rolled back to 1.25.3")
    assert engine.container("web").image_id == first
    history.release("web")
    third = find_target(history, "web", to="1.25.5").image_id
    report = rollback(engine, "web", history, to=third[:19])  # sha256: and 12 hex digits
    assert engine.container("web").image_id == third


@pytest.mark.parametrize(
    ("to", "words"),
    [
        (None, "The history has no image that db ran before"),
        ("9.9.9", "No image that db ran is version or digest '9.9.9' in the history"),
    ],
)
def test_nothing_to_go_back_to_is_one_sentence(
    engine: MemoryEngine, registry: MemoryRegistry, to: str | None, words: str
) -> None:
    registry.publish("example.org/db:1")
    engine.run("db", "example.org/db:1")
    before = engine.container("db")
    with pytest.raises(RollbackError, match=words) as caught:
        rollback(engine, "db", MemoryHistory(), to=to)
    assert str(caught.value).count(". ") == 0 and str(caught.value).endswith(".")
    assert engine.container("db") == before


def test_an_image_gone_from_the_engine_is_one_sentence_and_changes_nothing(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    old, new = two_versions(engine, registry, history)
    engine.remove_image(old)
    with pytest.raises(RollbackError, match=r"no longer on the engine.*--keep-previous"):
        rollback(engine, "web", history)
    assert engine.container("web").image_id == new and dict(history.holds()) == {}


def test_no_such_container_and_already_there_are_one_sentence_each(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    two_versions(engine, registry, history)
    with pytest.raises(ContainerError, match=r"There is no container named nope to roll back\."):
        rollback(engine, "nope", history)
    rollback(engine, "web", history, to="1.25.3")
    with pytest.raises(RollbackError, match=r"web already runs 1\.25\.3"):
        rollback(engine, "web", history, to="1.25.3")


def test_a_replacement_that_fails_is_undone_and_nothing_is_held(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    _old, new = two_versions(engine, registry, history)
    engine.fail("start", "web")
    report = rollback(engine, "web", history)
    outcome, _ = entry_of(report)
    assert outcome is Outcome.FAILED and report.get("web").rolled_back  # type: ignore[union-attr]
    assert engine.container("web").image_id == new
    assert dict(history.holds()) == {}


def test_what_depends_on_it_is_recreated_after_it(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    history = MemoryHistory()
    registry.publish("example.org/side:1")
    old, _new = two_versions(engine, registry, history)
    engine.run("side", "example.org/side:1", network_mode="container:web")
    report = rollback(engine, "web", history)
    assert entry_of(report, "side") == (Outcome.RESTARTED, "it depends on web, which rolls back")
    assert engine.container("web").image_id == old


def test_holds_written_by_another_process_stop_the_next_run(
    engine: MemoryEngine, registry: MemoryRegistry, tmp_path: Path
) -> None:
    """The daemon's history and the command's are two handles on one file."""
    daemon = SqliteHistory(tmp_path / "history.db")
    old, _new = two_versions(engine, registry, daemon)
    with SqliteHistory(tmp_path / "history.db") as command:
        rollback(engine, "web", command)
    registry.publish(WEB, labels={VERSION: "1.25.5"})
    assert entry_of(update(engine, registry, history=daemon))[0] is Outcome.SKIPPED
    assert engine.container("web").image_id == old
    with SqliteHistory(tmp_path / "history.db") as command:
        assert command.release("web")
    assert entry_of(update(engine, registry, history=daemon))[0] is Outcome.UPDATED
    daemon.close()


def test_a_hold_applies_on_its_own_host_only(registry: MemoryRegistry) -> None:
    engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
    registry.publish(WEB)
    for engine in engines.values():
        engine.run("web", WEB)
    registry.publish(WEB)
    history = MemoryHistory()
    history.hold("web", "a", engines["a"].container("web").image_id)
    result = update_hosts(engines, registry, history=history)
    assert entry_of(result.reports["a"])[0] is Outcome.SKIPPED
    assert entry_of(result.reports["b"])[0] is Outcome.UPDATED


def test_the_events_of_a_rollback_on_a_named_host_name_it(registry: MemoryRegistry) -> None:
    engine = MemoryEngine(registry)
    registry.publish(WEB, labels={VERSION: "1.25.3"})
    engine.run("web", WEB)
    registry.publish(WEB, labels={VERSION: "1.25.4"})
    history = MemoryHistory()
    update_hosts({"b": engine}, registry, history=history)
    events: list[Event] = []
    rollback(engine, "web", history, host="b", observer=events.append)
    assert events and {e.host for e in events} == {"b"}
    assert any(isinstance(e, Updated) for e in events)


# Keeping what ran before --------------------------------------------------------


@pytest.mark.parametrize(
    ("keep", "with_history", "left"),
    [
        (1, True, {"v2"}),  # the newest one it ran before stays; older ones go
        (2, True, {"v1", "v2"}),
        (0, True, set()),
        (1, False, set()),  # no history: nothing to roll back with, so nothing is kept
    ],
)
def test_cleanup_keeps_the_newest_images_each_container_ran_before(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    keep: int,
    with_history: bool,
    left: set[str],
) -> None:
    history = MemoryHistory() if with_history else None
    params = UpdateParams(cleanup=True, keep_previous=keep)
    registry.publish(WEB, labels={VERSION: "1"})
    engine.run("web", WEB)
    ids = {"v1": engine.container("web").image_id}
    removed: list[str] = []
    for version in ("2", "3"):
        registry.publish(WEB, labels={VERSION: version})
        report = update(engine, registry, params, history=history)
        ids[f"v{version}"] = engine.container("web").image_id
        removed += report.removed_images
    on_engine = {name for name, image in ids.items() if engine.inspect_image(image) is not None}
    assert on_engine == left | {"v3"}
    assert set(removed) == {ids[name] for name in ("v1", "v2")} - {ids[name] for name in left}
    assert len(removed) == len(set(removed))  # each removed once, and said so once
