"""What a Go notification template sees: Watchtower's data model and template functions.

Watchtower runs a template on ``Data`` (``.Title``, ``.Host``, ``.Entries``,
``.Report``) when ``--notification-report`` is set, and on the entries
alone otherwise. A report has ``.Scanned``, ``.Updated``, ``.Restarted``,
``.Failed``, ``.Skipped``, ``.Stale``, ``.Fresh`` and ``.All``; a
container ``.ID``, ``.Name``, ``.ImageName``, ``.CurrentImageID``,
``.LatestImageID``, ``.NewContainerID``, ``.State`` and ``.Error`` (and,
not in Watchtower's, ``.LatestImageName``, ``.OldVersion``, ``.NewVersion``
and ``.Notes``: the versions as shown and the release notes' link); the ids
have ``.ShortID``; an entry ``.Message``, ``.Data``, ``.Time`` and
``.Level``. The functions are Watchtower's: ``ToUpper``, ``ToLower``,
``Title``, ``ToJSON``, ``ToPorcelainJSON`` and ``RFC1123``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ...model import short_id
from ...porcelain import porcelain_json
from ...report import ContainerReport, Report
from .._entries import LogEntry
from .exec import GoExecError

__all__ = ["FUNCTIONS", "GoId", "data", "entries", "version_fields"]


class GoId(str):
    """A container or image id: a string with ``.ShortID``."""

    go_name = "types.ImageID"

    def go_field(self, name: str) -> object:
        """``ShortID``: 12 characters without ``sha256:``."""
        if name == "ShortID":
            return short_id(str(self))
        raise KeyError(name)


class _Struct:
    """A Go struct: named fields read through :meth:`go_field`."""

    go_name = "struct"

    def fields(self) -> Mapping[str, Callable[[], object]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def go_field(self, name: str) -> object:
        return self.fields()[name]()

    def to_json(self) -> object:  # pragma: no cover - abstract
        raise NotImplementedError


class _Container(_Struct):
    go_name = "*session.ContainerStatus"

    def __init__(self, entry: ContainerReport) -> None:
        self.entry = entry

    def fields(self) -> Mapping[str, Callable[[], object]]:
        e = self.entry
        return {
            "ID": lambda: GoId(e.id),
            "Name": lambda: e.name,
            "ImageName": lambda: e.image,
            "CurrentImageID": lambda: GoId(e.old_image_id),
            "LatestImageID": lambda: GoId(e.new_image_id or e.old_image_id),
            # Not in the fork: the newer tag a tag rule found, else the image's own.
            "LatestImageName": lambda: e.new_image or e.image,
            "NewContainerID": lambda: GoId(e.new_id or ""),
            "State": lambda: e.state,
            "Error": lambda: e.error,
            # Not in the fork: the versions as shown, and the release notes' link.
            "OldVersion": lambda: e.versions[0],
            "NewVersion": lambda: e.versions[1],
            "Notes": lambda: e.notes,
        }

    def to_json(self) -> object:
        e = self.entry
        document = {
            "id": short_id(e.id),
            "name": e.name,
            "currentImageId": short_id(e.old_image_id),
            "latestImageId": short_id(e.new_image_id or e.old_image_id),
            "imageName": e.image,
            "state": e.state,
        }
        if e.new_image:
            document["latestImageName"] = e.new_image
        document.update(version_fields(e))
        if e.error:
            document["error"] = e.error
        return document


def version_fields(entry: ContainerReport) -> dict[str, str]:
    """``currentVersion``, ``latestVersion`` and ``releaseNotes``, for a JSON document.

    Only when a version label or a tag names the images and there is a new
    one: a document of unlabelled images stays Watchtower's.
    """
    if not (entry.versioned and entry.new_version is not None):
        return {}
    old, new = entry.versions
    fields = {"currentVersion": old, "latestVersion": new}
    if entry.notes:
        fields["releaseNotes"] = entry.notes
    return fields


def _containers(entries: Sequence[ContainerReport]) -> list[_Container]:
    return [_Container(entry) for entry in entries]


def _category(report: Report, name: str) -> list[_Container]:
    return _containers(getattr(report, name.lower()))


_CATEGORIES = ("Scanned", "Updated", "Restarted", "Failed", "Skipped", "Stale", "Fresh")


class _Report(_Struct):
    go_name = "*session.report"

    def __init__(self, report: Report) -> None:
        self.report = report

    def fields(self) -> Mapping[str, Callable[[], object]]:
        r = self.report
        views: dict[str, Callable[[], object]] = {
            name: functools.partial(_category, r, name) for name in _CATEGORIES
        }
        views["All"] = lambda: _containers(r.entries)
        return views

    def to_json(self) -> object:
        return {
            name.lower(): [c.to_json() for c in _containers(getattr(self.report, name.lower()))]
            for name in _CATEGORIES
        }


class _Entry(_Struct):
    go_name = "*notifications.notificationEntry"

    def __init__(self, entry: LogEntry) -> None:
        self.entry = entry

    def fields(self) -> Mapping[str, Callable[[], object]]:
        e = self.entry
        return {
            "Message": lambda: e.message,
            "Data": lambda: dict(e.fields),
            "Time": lambda: e.time,
            "Level": lambda: e.level,
        }

    def to_json(self) -> object:
        e = self.entry
        return {"level": e.level, "message": e.message, "data": dict(e.fields), "time": e.time}


class _Data(_Struct):
    go_name = "notifications.Data"

    def __init__(
        self, title: str, host: str, entries: Sequence[LogEntry], report: Report | None
    ) -> None:
        self.title, self.host, self.report = title, host, report
        self.entries = [_Entry(entry) for entry in entries]

    def fields(self) -> Mapping[str, Callable[[], object]]:
        return {
            "Title": lambda: self.title,
            "Host": lambda: self.host,
            "Entries": lambda: self.entries,
            "Report": lambda: _Report(self.report) if self.report is not None else None,
        }

    def to_json(self) -> object:
        return {
            "title": self.title,
            "host": self.host,
            "entries": [entry.to_json() for entry in self.entries],
            "report": _Report(self.report).to_json() if self.report is not None else None,
        }


def data(*, title: str, host: str, entries: Sequence[LogEntry], report: Report | None) -> object:
    """Watchtower's ``Data``: what a template sees with ``--notification-report``."""
    return _Data(title, host, entries, report)


def entries(items: Sequence[LogEntry]) -> object:
    """The entries alone: what a template sees without ``--notification-report``."""
    return [_Entry(entry) for entry in items]


def _plain(value: object) -> object:
    if isinstance(value, _Struct):
        return _plain(value.to_json())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _to_json(value: object) -> str:
    # Go's encoding/json sorts map keys and escapes <, > and & for HTML.
    text = json.dumps(_plain(value), indent=2, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _porcelain(value: object) -> str:
    return porcelain_json(value.report if isinstance(value, _Report) else None)


def _rfc1123(value: object) -> str:
    text = str(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    zone = "UTC" if minutes == 0 else f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}"
    zone += f"{abs(minutes) % 60:02d}" if minutes else ""
    return moment.strftime("%a, %d %b %Y %H:%M:%S ") + zone


_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def _title_case(text: str) -> str:
    # Go's cases.Title: each word's first letter upper case, the rest lower case.
    return _WORD.sub(lambda m: m.group()[:1].upper() + m.group()[1:].lower(), text)


def _string(name: str, change: Callable[[str], str]) -> Callable[[Any], str]:
    def apply(value: Any) -> str:
        if not isinstance(value, str):
            raise GoExecError(f"error calling {name}: wrong type for value; expected string")
        return change(value)

    return apply


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "ToUpper": _string("ToUpper", str.upper),
    "ToLower": _string("ToLower", str.lower),
    "Title": _string("Title", _title_case),
    "ToJSON": _to_json,
    "ToPorcelainJSON": _porcelain,
    "RFC1123": _rfc1123,
}
"""Watchtower's template functions, by name."""
