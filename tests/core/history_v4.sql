-- A history file of schema 4, as watchtower 0.1 (before snapshots) wrote it: sqlite3's dump.
PRAGMA user_version = 4;
BEGIN TRANSACTION;
CREATE TABLE approvals (
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
INSERT INTO "approvals" VALUES('','api','','sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc','','','','','pending','2026-01-01T12:00:00.000000+00:00',NULL);
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
INSERT INTO "changes" VALUES(1,1,'','web','container','example.org/web:1','','sha256:a','sha256:b','','','','updated','',0);
CREATE TABLE holds (
    host TEXT NOT NULL,
    container TEXT NOT NULL,
    image_id TEXT NOT NULL,
    version TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (host, container)
);
INSERT INTO "holds" VALUES('','db','sha256:h','5','2026-01-01T12:00:00.000000+00:00');
CREATE TABLE quarantines (
    digest TEXT NOT NULL PRIMARY KEY,
    image TEXT NOT NULL,
    reason TEXT NOT NULL,
    container TEXT NOT NULL,
    host TEXT NOT NULL,
    at TEXT NOT NULL,
    released_at TEXT,
    released_by TEXT NOT NULL
);
INSERT INTO "quarantines" VALUES('sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee','example.org/web:2','failed','web','','2026-01-01T12:00:00.000000+00:00',NULL,'');
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
INSERT INTO "runs" VALUES(1,'2026-01-01T12:00:00.000000+00:00','2026-01-01T12:00:00.000000+00:00','',1,1,0,0,0,0);
CREATE INDEX runs_by_end ON runs (finished_at);
CREATE INDEX changes_by_run ON changes (run);
CREATE INDEX changes_by_container ON changes (container, host, id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('runs',1);
INSERT INTO "sqlite_sequence" VALUES('changes',1);
COMMIT;
