"""Porcelain output: a run's report on stdout in a stable format (v1 or json)."""

from __future__ import annotations

import json

from ..report import ContainerReport, Outcome, Report

__all__ = ["porcelain", "state"]

_STATES = {
    Outcome.FRESH: "Fresh",
    Outcome.STALE: "Stale",
    Outcome.UPDATED: "Updated",
    Outcome.RESTARTED: "Restarted",
    Outcome.FAILED: "Failed",
    Outcome.SKIPPED: "Skipped",
}


def state(entry: ContainerReport) -> str:
    """The entry's state as Watchtower names it (``Updated``, ``Stale``...)."""
    return _STATES[entry.outcome]


def _short(image_id: str | None) -> str:
    return (image_id or "").removeprefix("sha256:")[:12]


def _error(entry: ContainerReport) -> str:
    if entry.outcome in (Outcome.FAILED, Outcome.SKIPPED):
        return entry.reason
    return ""


def porcelain(report: Report, version: str) -> str:
    """The report in porcelain ``v1`` (one line per container) or ``json``."""
    if version == "json":
        containers = [
            {
                "name": e.name,
                "image": e.image,
                "image_id": _short(e.old_image_id),
                "latest_image_id": _short(e.new_image_id or e.old_image_id),
                "state": state(e),
                "update_available": bool(e.new_image_id and e.new_image_id != e.old_image_id),
                **({"error": _error(e)} if _error(e) else {}),
            }
            for e in report
        ]
        return json.dumps({"containers": containers}, indent=2)
    if not report.entries:
        return "no containers matched filter"
    lines = []
    for entry in report:
        line = f"{entry.name} ({entry.image}): {state(entry)}"
        if _error(entry):
            line += f" Error: {_error(entry)}"
        lines.append(line)
    return "\n".join(lines)
