"""Watchtower's porcelain formats of a report: ``v1`` lines and the ``json`` document.

Scripts parse these, so their shape is Watchtower's and does not change: the
command line prints them with ``--porcelain`` and the ``porcelain.json``
notification template writes the same document.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from .model import short_id
from .report import Report

__all__ = ["Format", "porcelain", "porcelain_json"]

Format = Literal["v1", "json"]
"""The porcelain versions, ``v1`` (one line per container) or ``json``."""


def porcelain(report: Report, version: Format) -> str:
    """The report in porcelain ``v1`` (one line per container) or ``json``."""
    if version == "json":
        return porcelain_json(report)
    if not report.entries:
        return "no containers matched filter"
    lines = []
    for entry in report:
        where = f"{entry.host}/" if entry.host else ""
        line = f"{where}{entry.name} ({entry.image}): {entry.state}"
        if entry.error:
            line += f" Error: {entry.error}"
        lines.append(line)
    return "\n".join(lines)


def porcelain_json(report: Report | None) -> str:
    """The ``json`` document of ``report``: one object per container.

    An entry of a run over several hosts names its ``host``, and the images
    the cleanup could not remove are ``cleanup_failures``, one sentence each,
    when there are any (both ours; otherwise the document is the fork's).
    """
    containers = []
    for entry in report.entries if report is not None else ():
        latest = entry.new_image_id or entry.old_image_id
        container: dict[str, Any] = {
            "name": entry.name,
            "image": entry.image,
            "image_id": short_id(entry.old_image_id),
            "latest_image_id": short_id(latest),
            "state": entry.state,
            "update_available": latest != entry.old_image_id,
        }
        if entry.error:
            container["error"] = entry.error
        if entry.host:
            container["host"] = entry.host
        containers.append(container)
    document: dict[str, Any] = {"containers": containers}
    if report is not None and report.cleanup_failures:
        document["cleanup_failures"] = list(report.cleanup_failures)
    return json.dumps(document, indent=2)
