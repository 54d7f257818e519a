"""What both histories keep of updates that wait for approval: asked once, decided by digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from watchtower.errors import ApprovalError
from watchtower.history import (
    Approval,
    History,
    MemoryHistory,
    SqliteHistory,
    State,
    approvals_on,
)
from watchtower.testing import FixedClock

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64

Make = Callable[..., History]


@pytest.fixture(params=["memory", "sqlite"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Make:
    """A factory of empty histories of one kind; the SQLite ones each in a file of their own."""
    files = iter(range(1_000_000))

    def made(**kwargs: object) -> History:
        if request.param == "memory":
            return MemoryHistory(**kwargs)  # type: ignore[arg-type]
        return SqliteHistory(tmp_path / f"h{next(files)}.db", **kwargs)  # type: ignore[arg-type]

    return made


def asking(digest: str = D1, name: str = "web", host: str = "") -> Approval:
    return Approval(host=host, container=name, digest=digest, new_version="1.1", asked_at=T0)


def test_an_update_is_asked_once_for_its_digest(make: Make) -> None:
    history = make()
    assert history.ask(asking()) is True
    assert history.ask(asking()) is False
    [approval] = history.approvals().values()
    assert approval.state is State.PENDING and approval.decided_at is None


def test_a_newer_digest_replaces_the_pending_one(make: Make) -> None:
    history = make()
    history.ask(asking(D1))
    assert history.ask(asking(D2)) is True
    assert [a.digest for a in history.approvals().values()] == [D2]


def test_a_rejected_digest_is_not_asked_again_but_a_newer_one_is(make: Make) -> None:
    history = make(clock=FixedClock(T0))
    history.ask(asking(D1))
    rejected = history.decide("web", "", False)
    assert rejected.state is State.REJECTED and rejected.decided_at == T0
    assert history.ask(asking(D1)) is False
    assert history.approvals()[("", "web")].state is State.REJECTED
    assert history.ask(asking(D2)) is True
    assert history.approvals()[("", "web")].state is State.PENDING


def test_an_approved_digest_asked_again_is_pending_again(make: Make) -> None:
    """What a run does when the approval lapsed: it asks again."""
    history = make()
    history.ask(asking(D1))
    history.decide("web", "", True)
    assert history.ask(asking(D1)) is True
    assert history.approvals()[("", "web")].state is State.PENDING


def test_an_approval_names_its_digest_by_a_prefix_or_whole(make: Make) -> None:
    history = make()
    history.ask(asking(D1))
    assert history.decide("web", "", True, "1" * 12).state is State.APPROVED
    assert history.decide("web", "", True, D1).state is State.APPROVED
    assert history.decide("web", "", True, D1.upper().replace("SHA256", "sha256")).digest == D1


@pytest.mark.parametrize("digest", [D2, "2" * 12, "1" * 11, "not-a-digest"])
def test_an_approval_for_another_digest_is_refused_and_changes_nothing(
    make: Make, digest: str
) -> None:
    history = make()
    history.ask(asking(D1))
    with pytest.raises(ApprovalError, match="is for digest sha256:1111"):
        history.decide("web", "", True, digest)
    assert history.approvals()[("", "web")].state is State.PENDING


def test_nothing_to_decide_is_an_error_naming_the_container(make: Make) -> None:
    history = make()
    history.ask(asking(host="b"))
    with pytest.raises(ApprovalError, match="No update of web waits"):
        history.decide("web", "", True)
    with pytest.raises(ApprovalError, match="db on host b"):
        history.decide("db", "b", False)


def test_approvals_are_kept_by_host_and_name(make: Make) -> None:
    history = make()
    history.ask(asking(host="a"))
    history.ask(asking(host="b", digest=D2))
    approvals = history.approvals()
    assert set(approvals) == {("a", "web"), ("b", "web")}
    assert approvals_on(approvals, "b") == {"web": approvals[("b", "web")]}
    assert approvals_on(approvals, "") == {}


def test_an_approval_lapses_after_the_expiry_and_only_when_approved() -> None:
    pending = asking()
    approved = Approval(
        container="web", digest=D1, asked_at=T0, state=State.APPROVED, decided_at=T0
    )
    later = T0 + timedelta(hours=2)
    assert not approved.lapsed(None, later)
    assert not approved.lapsed(timedelta(hours=3), later)
    assert approved.lapsed(timedelta(hours=1), later)
    assert not pending.lapsed(timedelta(hours=1), later)


def test_an_approval_reads_as_json() -> None:
    shown = asking().to_dict()
    assert shown["state"] == "pending" and shown["digest"] == D1
    assert shown["shown"] == "1.1" and shown["asked_at"] == "2026-01-01T00:00:00Z"
    assert shown["decided_at"] is None
    assert Approval(container="x", digest=D2, asked_at=T0).shown == "2" * 12
