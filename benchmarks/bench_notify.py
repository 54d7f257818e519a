"""How long rendering a run's report takes, per built-in template.

Renders a report of 1,000 containers (900 fresh, 50 updated, 30 stale, 20
failed) with 200 log lines through each built-in template, and prints the
best of five in milliseconds per report, with the size of the text. The
compile time of a template (once per process) is printed separately.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from watchtower.notify import BUILTIN_TEMPLATES, LogEntry, Template
from watchtower.report import ContainerReport, Outcome, Report

CONTAINERS = 1_000
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def report() -> Report:
    """A report of CONTAINERS containers in the usual mix of outcomes."""
    entries = []
    for i in range(CONTAINERS):
        outcome = (
            Outcome.UPDATED
            if i < 50
            else Outcome.STALE
            if i < 80
            else Outcome.FAILED
            if i < 100
            else Outcome.FRESH
        )
        entries.append(
            ContainerReport(
                id=f"{i:064x}",
                name=f"app{i}",
                image=f"registry.example/team/app{i}:latest",
                old_image_id=f"sha256:{i:064x}",
                new_image_id=f"sha256:{i + 1:064x}" if i < 80 else None,
                outcome=outcome,
                reason="pull failed" if outcome is Outcome.FAILED else "",
            )
        )
    return Report(entries=entries, started_at=T0, finished_at=T0)


def log_lines() -> list[LogEntry]:
    """200 lines of the kind a run with 50 updates writes."""
    messages = ["Found new image", "Stopping container", "Started new container", "Other"]
    return [
        LogEntry(
            level="info",
            message=messages[i % 4],
            time=T0,
            fields={"container": f"app{i // 4}", "image": "x:latest", "new_id": "b" * 12},
        )
        for i in range(200)
    ]


def main() -> None:
    run, lines = report(), log_lines()
    print(f"bench_notify: a report of {CONTAINERS} containers and {len(lines)} log lines")
    for name in BUILTIN_TEMPLATES:
        start = time.perf_counter()
        template = Template(name)
        compiled = time.perf_counter() - start
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            text = template.render(title="t", host="h", report=run, entries=lines)
            best = min(best, time.perf_counter() - start)
        print(
            f"  {name:30} {best * 1000:7.2f} ms/report  {len(text):7d} chars  "
            f"(compile {compiled * 1000:5.2f} ms)"
        )


if __name__ == "__main__":
    main()
