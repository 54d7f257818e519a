"""The schema of a :class:`~watchtower.history.SqliteHistory` file, and its migrations.

The version is the file's ``PRAGMA user_version``. Each version adds tables
(``CREATE ... IF NOT EXISTS``) and never changes one, so a file of any older
version is brought up to date by creating what it lacks, in one transaction.
"""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA_VERSION", "create"]

#: The version of the schema this library writes, kept in ``PRAGMA user_version``.
#: 2 added the holds, 3 the approvals, 4 the quarantined digests, 5 the
#: snapshots of protected volumes; an older file gets what it lacks when
#: opened to write.
SCHEMA_VERSION = 5

# AUTOINCREMENT: an id is never given twice, even after retention deleted the
# newest rows, so that a page's ``before`` keeps meaning the same place.
_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    trigger TEXT NOT NULL,
    scanned INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    restarted INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    dry_run INTEGER NOT NULL
);
CREATE INDEX runs_by_end ON runs (finished_at);
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    container TEXT NOT NULL,
    kind TEXT NOT NULL,
    image TEXT NOT NULL,
    new_image TEXT NOT NULL,
    old_image_id TEXT NOT NULL,
    new_image_id TEXT NOT NULL,
    old_version TEXT NOT NULL,
    new_version TEXT NOT NULL,
    notes TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    rolled_back INTEGER NOT NULL
);
CREATE INDEX changes_by_run ON changes (run);
CREATE INDEX changes_by_container ON changes (container, host, id);
"""

# Version 2: the containers a rollback holds on an image, one row each.
_HOLDS = """
CREATE TABLE IF NOT EXISTS holds (
    host TEXT NOT NULL,
    container TEXT NOT NULL,
    image_id TEXT NOT NULL,
    version TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (host, container)
);
"""

# Version 3: the updates that wait for approval, and what was decided, one row a container.
_APPROVALS = """
CREATE TABLE IF NOT EXISTS approvals (
    host TEXT NOT NULL,
    container TEXT NOT NULL,
    image TEXT NOT NULL,
    digest TEXT NOT NULL,
    old_version TEXT NOT NULL,
    new_version TEXT NOT NULL,
    notes TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    decided_at TEXT,
    PRIMARY KEY (host, container)
);
"""

# Version 4: the digests whose update failed, one row a digest, kept once released.
_QUARANTINES = """
CREATE TABLE IF NOT EXISTS quarantines (
    digest TEXT NOT NULL PRIMARY KEY,
    image TEXT NOT NULL,
    reason TEXT NOT NULL,
    container TEXT NOT NULL,
    host TEXT NOT NULL,
    at TEXT NOT NULL,
    released_at TEXT,
    released_by TEXT NOT NULL
);
"""

# Version 5: the snapshots of protected volumes the runs took, one row each.
# A removed one keeps its row, with the time; it goes with its run.
_SNAPSHOTS = """
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    change INTEGER REFERENCES changes (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    container TEXT NOT NULL,
    container_id TEXT NOT NULL,
    volume TEXT NOT NULL,
    name TEXT NOT NULL,
    at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX IF NOT EXISTS snapshots_by_volume ON snapshots (host, volume, removed_at);
CREATE INDEX IF NOT EXISTS snapshots_by_container ON snapshots (container, host, id);
"""


def create(db: sqlite3.Connection) -> None:
    """The schema, or what a file of an older one lacks, in one transaction.

    Unless another process made it meanwhile.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            for statement in [
                *(_SCHEMA if version == 0 else "").split(";"),
                _HOLDS,
                _APPROVALS,
                _QUARANTINES,
                *_SNAPSHOTS.split(";"),
            ]:
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
