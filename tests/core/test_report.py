"""What a report's entry is about (``ContainerReport.kind``): its words, its JSON, a bad word."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

import watchtower
from watchtower.errors import ConfigurationError
from watchtower.report import ContainerReport, EntryKind, Outcome, Report

AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


def entry(**fields: Any) -> ContainerReport:
    base: dict[str, Any] = {
        "id": "s1",
        "name": "web",
        "image": "nginx:1",
        "old_image_id": "sha256:a",
        "outcome": Outcome.UPDATED,
    }
    return ContainerReport(**{**base, **fields})


def test_the_kinds_are_exactly_the_words_of_before() -> None:
    assert [kind.value for kind in EntryKind] == ["container", "service", "host"]


def test_entry_kind_is_public_with_docstrings() -> None:
    assert watchtower.EntryKind is EntryKind and "EntryKind" in watchtower.__all__
    assert all((kind.__doc__ or "").strip() for kind in (EntryKind, *EntryKind))


def test_an_entry_is_a_container_unless_told() -> None:
    assert entry().kind is EntryKind.CONTAINER


@pytest.mark.parametrize("kind", list(EntryKind), ids=lambda kind: kind.name)
def test_a_plain_string_becomes_the_member(kind: EntryKind) -> None:
    assert entry(kind=kind.value).kind is kind
    assert entry(kind=kind.value) == entry(kind=kind)


def test_the_json_of_an_entry_is_that_of_before() -> None:
    # As ContainerReport.to_dict() gave it while kind was a plain string (and versions and
    # next_due and deferred came later).
    before = (
        '{"id": "s1", "name": "web", "image": "nginx:1", "old_image_id": "sha256:a", '
        '"new_image_id": null, "new_image": null, "outcome": "updated", "reason": "", '
        '"new_id": null, "rolled_back": false, "warnings": [], "kind": "service", '
        '"replicas": 2, "host": "", "old_version": null, "new_version": null, "notes": "", '
        '"next_due": null, "deferred": false}'
    )
    service = entry(kind=EntryKind.SERVICE, replicas=2)
    assert json.dumps(service.to_dict()) == before
    assert type(service.to_dict()["kind"]) is str


def test_a_report_lists_each_kind_as_its_word() -> None:
    entries = [entry(name=kind.value, kind=kind) for kind in EntryKind]
    report = Report(entries=entries, started_at=AT, finished_at=AT)
    kinds = [e["kind"] for e in json.loads(report.to_json())["entries"]]
    assert kinds == ["container", "service", "host"]


@pytest.mark.parametrize(
    ("value", "named"),
    [("swarm", "'swarm'"), ("", "''"), ("Host", "'Host'"), (None, "None")],
)
def test_a_kind_of_no_member_is_one_sentence_naming_it(value: str, named: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        entry(kind=value)
    assert str(raised.value) == (
        f"ContainerReport.kind cannot be {named}: it is one of container, service or host."
    )
