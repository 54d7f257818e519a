"""The plans ``POST /v1/plan`` made, kept a while for a person to act on once."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

from attrs import frozen

from ...plans import Plan

__all__ = ["PlanStore", "StoredPlan"]


@frozen
class StoredPlan:
    """A plan of the whole fleet, kept for a person to act on (``POST /v1/plan``).

    Attributes:
        id: Its opaque name.
        plans: Each host's plan, by host name (empty: the one engine).
        failures: Why each host that could not be planned was skipped.
        keys: The host and name of each entry, by its key.
        created_at: When it was made.
        expires_at: When it is forgotten.
    """

    id: str
    plans: Mapping[str, Plan]
    failures: Mapping[str, str]
    keys: Mapping[str, tuple[str, str]]
    created_at: datetime
    expires_at: datetime


class PlanStore:
    """The plans made by ``POST /v1/plan``, each acted on at most once, in memory.

    A plan is kept for ``lifetime``, and at most ``room`` of them: the
    oldest is dropped for a new one. One taken to act on is known as used
    until it expires, so a second use is told apart from an unknown plan.
    """

    def __init__(self, lifetime: timedelta = timedelta(minutes=15), room: int = 8) -> None:
        self.lifetime = lifetime
        self.room = room
        self._lock = threading.Lock()
        self._kept: dict[str, StoredPlan] = {}
        self._used: dict[str, datetime] = {}

    def keep(
        self,
        plans: Mapping[str, Plan],
        failures: Mapping[str, str],
        keys: Mapping[str, tuple[str, str]],
        now: datetime,
    ) -> StoredPlan:
        """Keep a new plan made at ``now`` under a fresh random id, and return it."""
        stored = StoredPlan(
            id=secrets.token_urlsafe(16),
            plans=dict(plans),
            failures=dict(failures),
            keys=dict(keys),
            created_at=now,
            expires_at=now + self.lifetime,
        )
        with self._lock:
            self._forget(now)
            self._kept[stored.id] = stored
            while len(self._kept) > self.room:
                del self._kept[next(iter(self._kept))]  # the oldest, by insertion
        return stored

    def get(self, plan_id: str, now: datetime) -> StoredPlan | None:
        """The plan ``plan_id``, unless it is unknown, expired or used."""
        with self._lock:
            self._forget(now)
            return self._kept.get(plan_id)

    def used(self, plan_id: str, now: datetime) -> bool:
        """True when ``plan_id`` was taken to act on and has not expired yet."""
        with self._lock:
            self._forget(now)
            return plan_id in self._used

    def take(self, plan_id: str, now: datetime) -> StoredPlan | None:
        """The plan ``plan_id``, now used: ``None`` when another took it first or it is gone."""
        with self._lock:
            self._forget(now)
            stored = self._kept.pop(plan_id, None)
            if stored is not None:
                self._used[plan_id] = stored.expires_at
            return stored

    def _forget(self, now: datetime) -> None:
        self._kept = {k: v for k, v in self._kept.items() if v.expires_at > now}
        self._used = {k: until for k, until in self._used.items() if until > now}
