"""Porcelain output: a run's report on stdout in a stable format (v1 or json)."""

from __future__ import annotations

from ..notify._templates import porcelain_json
from ..report import Report

__all__ = ["porcelain"]


def porcelain(report: Report, version: str) -> str:
    """The report in porcelain ``v1`` (one line per container) or ``json``."""
    if version == "json":
        return porcelain_json(report)
    if not report.entries:
        return "no containers matched filter"
    lines = []
    for entry in report:
        line = f"{entry.name} ({entry.image}): {entry.state}"
        if entry.error:
            line += f" Error: {entry.error}"
        lines.append(line)
    return "\n".join(lines)
