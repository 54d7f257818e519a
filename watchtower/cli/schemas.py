"""The JSON schemas of the HTTP API's answers: the OpenAPI document's ``components``.

Each schema is named once here and referred to with :func:`ref` from the
operations that answer it, so one shape (a container, an error) is
described once. The :data:`COMPONENTS` are what every answer shares; an
endpoint group with shapes of its own brings them with its operations
(:attr:`watchtower.cli.openapi.Operation.components`). The event schema is
made from the event classes themselves (:func:`event_schema`), so a new
event is described as soon as it exists.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Union

import attrs

from .. import events
from .._words import Word

__all__ = ["CHECK_STATUSES", "COMPONENTS", "STAGE", "TIMING", "event_schema", "ref"]

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to the component schema ``name`` (``#/components/schemas/name``)."""
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: tuple[str, ...], **properties: Schema) -> Schema:
    # Open objects: a field added later is no break of the schema.
    return {"type": "object", "required": list(required), "properties": properties}


_STRING: Schema = {"type": "string"}
_INTEGER: Schema = {"type": "integer"}
_BOOLEAN: Schema = {"type": "boolean"}
_TIME: Schema = {"type": "string", "format": "date-time"}
_NULLABLE_TIME: Schema = {"type": "string", "format": "date-time", "nullable": True}
_STRINGS: Schema = {"type": "array", "items": _STRING}
_DEFERRED: Schema = {
    "type": "integer",
    "description": "Of the skipped, those the registry quota deferred to the next run.",
}
_IS_DEFERRED: Schema = {
    "type": "boolean",
    "description": "Skipped because its registry's quota share was spent: checked next run.",
}
STAGE: Schema = {
    "type": "string",
    "enum": ["canary", "promoted"],
    "description": "Where its new image is in a canary rollout, when a canary gate"
    " applies: canary (it waits for the canary hosts or containers) or promoted.",
}
"""A plan entry's, check result's or container's ``stage`` (:mod:`watchtower.canary`)."""

CHECK_STATUSES = ("stale", "fresh", "skipped", "failed")
"""The words for what a check found. ``failed`` could not be checked (its
registry did not answer, its pull failed); ``skipped`` was left out on purpose."""

_CHECKED: Schema = {
    "type": "string",
    "enum": list(CHECK_STATUSES),
    "description": "What the check found (failed: it could not be checked; skipped: on purpose).",
}

ERROR = _object(
    ("error",),
    error={"type": "string", "description": "What went wrong, in one sentence."},
    api_version=_STRING,
    timestamp=_TIME,
)

SUMMARY = _object(
    ("scanned", "updated", "failed", "restarted", "skipped"),
    scanned=_INTEGER,
    updated=_INTEGER,
    failed=_INTEGER,
    restarted=_INTEGER,
    skipped=_INTEGER,
    deferred=_DEFERRED,
)

#: The fields the timing of a container adds (``next_due`` and ``waits``).
TIMING: Mapping[str, Schema] = {
    "next_due": {
        **_NULLABLE_TIME,
        "description": "When it is next due: its maintenance window's opening, or its own"
        " schedule's next time; null when any time will do.",
    },
    "waits": {
        "type": "string",
        "description": "Why it may not be replaced now (waits for the window that opens"
        " Sat 2026-01-03 02:00 UTC); empty when it may.",
    },
}

CONTAINER = _object(
    ("name", "image", "image_id", "digest"),
    host={"type": "string", "description": "The host of the hosts file it runs on."},
    name=_STRING,
    image=_STRING,
    image_id=_STRING,
    digest=_STRING,
    kind={"type": "string", "enum": ["service"], "description": "Only for a swarm service."},
    replicas={"type": "integer", "nullable": True},
    # /v1/containers/details only, from here on.
    latest_digest=_STRING,
    latest_image=_STRING,
    version=_STRING,
    latest_version=_STRING,
    notes=_STRING,
    running=_BOOLEAN,
    state=_STRING,
    watchtower=_BOOLEAN,
    monitor_only=_BOOLEAN,
    no_pull=_BOOLEAN,
    enabled=_BOOLEAN,
    stale={"type": "boolean", "description": "The latest digest known is not the one it runs."},
    checked_at={**_TIME, "description": "When a check, plan or run last covered it."},
    check_status=_CHECKED,
    status={
        "type": "string",
        "enum": ["fresh", "stale", "skipped", "updated", "failed", "unknown"],
    },
    reason=_STRING,
    stage=STAGE,
    deferred=_IS_DEFERRED,
    scope=_STRING,
    project={"type": "string", "description": "Its compose project; empty for none."},
    depends_on=_STRINGS,
    previous={"type": "string", "description": "What a rollback would go back to."},
    held={"type": "string", "description": "What a rollback holds it on; empty if none."},
    windows={**_STRINGS, "description": "Its maintenance windows as written (Sat 02:00/4h)."},
    schedule={"type": "string", "description": "Its own schedule; empty for none."},
    **TIMING,
)

CHECK_RESULT = _object(
    (
        "name",
        "image",
        "image_id",
        "digest",
        "update_available",
        "latest_image_id",
        "latest_digest",
        "timestamp",
    ),
    name=_STRING,
    image=_STRING,
    image_id=_STRING,
    digest=_STRING,
    update_available=_BOOLEAN,
    latest_image_id=_STRING,
    latest_digest=_STRING,
    timestamp=_TIME,
    error={"type": "string", "description": "Why it was skipped, or its host not checked."},
    latest_image={"type": "string", "description": "The newer tag a tag rule found."},
    host=_STRING,
    kind={"type": "string", "enum": ["service"]},
    version=_STRING,
    latest_version=_STRING,
    notes=_STRING,
    status=_CHECKED,
    stage=STAGE,
    deferred=_IS_DEFERRED,
    **TIMING,
)

HISTORY_RUN = _object(
    ("timestamp", "scanned", "updated", "failed", "restarted", "skipped"),
    id={"type": "integer", "description": "With --data-dir: its number in the history."},
    timestamp={**_TIME, "description": "When it ended."},
    started_at=_TIME,
    trigger=_STRING,
    scanned=_INTEGER,
    updated=_INTEGER,
    failed=_INTEGER,
    restarted=_INTEGER,
    skipped=_INTEGER,
    deferred=_DEFERRED,
    dry_run=_BOOLEAN,
)

HISTORY_CHANGE = _object(
    ("id", "run", "at", "host", "container", "kind", "image", "outcome"),
    id=_INTEGER,
    run=_INTEGER,
    at=_TIME,
    host=_STRING,
    container=_STRING,
    kind={"type": "string", "enum": ["container", "service", "host"]},
    image=_STRING,
    new_image=_STRING,
    old_image_id=_STRING,
    new_image_id=_STRING,
    old_version=_STRING,
    new_version=_STRING,
    notes=_STRING,
    outcome=_STRING,
    reason=_STRING,
    rolled_back=_BOOLEAN,
    trigger=_STRING,
)

HISTORY_SNAPSHOT = _object(
    ("id", "run", "host", "container", "volume", "name", "at", "available"),
    id=_INTEGER,
    run=_INTEGER,
    change={"type": "integer", "nullable": True},
    host=_STRING,
    container=_STRING,
    container_id=_STRING,
    volume=_STRING,
    name=_STRING,
    at=_TIME,
    available=_BOOLEAN,
    removed_at=_NULLABLE_TIME,
)

APPROVAL = _object(
    ("host", "container", "digest", "state", "asked_at", "decided_at"),
    host=_STRING,
    container=_STRING,
    image=_STRING,
    digest=_STRING,
    old_version=_STRING,
    new_version=_STRING,
    shown=_STRING,
    notes=_STRING,
    summary=_STRING,
    state={"type": "string", "enum": ["pending", "approved", "rejected"]},
    asked_at=_TIME,
    decided_at=_NULLABLE_TIME,
)

HOLD = _object(
    ("host", "container", "image_id", "shown", "at"),
    host=_STRING,
    container=_STRING,
    image_id=_STRING,
    version=_STRING,
    shown=_STRING,
    at=_TIME,
)

QUARANTINE = _object(
    ("digest", "image", "reason", "at", "active"),
    digest=_STRING,
    image=_STRING,
    reason=_STRING,
    container=_STRING,
    host=_STRING,
    at=_TIME,
    active=_BOOLEAN,
    released_at=_NULLABLE_TIME,
    released_by=_STRING,
)

IMAGE = _object(
    ("name", "image_id", "digest", "containers"),
    host=_STRING,
    name=_STRING,
    image_id=_STRING,
    digest=_STRING,
    containers=_INTEGER,
)

_VERSION = {"type": "object", "nullable": True}

ENTRY = _object(
    ("name", "image", "outcome"),
    id=_STRING,
    name=_STRING,
    image=_STRING,
    old_image_id=_STRING,
    new_image_id={"type": "string", "nullable": True},
    new_image={"type": "string", "nullable": True},
    outcome=_STRING,
    reason=_STRING,
    new_id={"type": "string", "nullable": True},
    rolled_back=_BOOLEAN,
    warnings=_STRINGS,
    kind=_STRING,
    replicas={"type": "integer", "nullable": True},
    host=_STRING,
    old_version=_VERSION,
    new_version=_VERSION,
    notes=_STRING,
    next_due=_NULLABLE_TIME,
)


def _field_schema(kind: Any) -> Schema:
    """The JSON schema of a value of the type ``kind``, as ``Event.to_dict`` writes it."""
    if typing.get_origin(kind) in (Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        inner = _field_schema(options[0]) if len(options) == 1 else {}
        return {**inner, "nullable": True}
    if isinstance(kind, type):
        if issubclass(kind, Word):
            return {"type": "string", "enum": [member.value for member in kind]}
        if issubclass(kind, bool):
            return dict(_BOOLEAN)
        if issubclass(kind, str):
            return dict(_STRING)
        if issubclass(kind, int):
            return dict(_INTEGER)
        if issubclass(kind, timedelta):
            return {"type": "number", "description": "Seconds."}
        if issubclass(kind, datetime):
            return {"type": "string", "format": "date-time"}
    return {}


def _event_classes() -> Iterator[type[events.Event]]:
    """Every event class, the subclasses of subclasses too, each once."""
    seen: set[str] = set()
    waiting = list(events.Event.__subclasses__())
    while waiting:
        # attrs replaces a slotted class by a new one: the module's name is the real one.
        found = waiting.pop(0)
        cls = getattr(sys.modules[found.__module__], found.__qualname__, found)
        waiting.extend(cls.__subclasses__())
        if cls.__qualname__ not in seen:
            seen.add(cls.__qualname__)
            yield cls


def _kind(cls: type[events.Event]) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in cls.__name__).lstrip("_")


def event_schema() -> Schema:
    """The schema of one message of ``/v1/events``: ``type``, ``timestamp`` and ``data``.

    ``data`` is the event's ``to_dict()``: one of the event classes'
    schemas, each made from the class's fields and told apart by ``kind``.
    """
    variants: list[Schema] = []
    kinds: list[str] = []
    for cls in _event_classes():
        hints = typing.get_type_hints(cls)
        kind = _kind(cls)
        kinds.append(kind)
        fields = {f.name: _field_schema(hints.get(f.name)) for f in attrs.fields(cls)}
        variants.append(
            {
                "title": cls.__name__,
                "description": (cls.__doc__ or "").strip().splitlines()[0],
                **_object(
                    ("kind", *fields),
                    **fields,
                    kind={"type": "string", "enum": [kind]},
                ),
            }
        )
    return {
        **_object(
            ("type", "timestamp", "data"),
            type={"type": "string", "enum": kinds, "description": "The event's kind."},
            timestamp=_TIME,
            data={"oneOf": variants},
        ),
        "description": "One message of the event stream: its data line's JSON.",
    }


#: The schemas every group's answers share, by name.
COMPONENTS: Mapping[str, Schema] = types.MappingProxyType(
    {
        "Error": ERROR,
        "Summary": SUMMARY,
        "Container": CONTAINER,
        "CheckResult": CHECK_RESULT,
        "HistoryRun": HISTORY_RUN,
        "HistoryChange": HISTORY_CHANGE,
        "HistorySnapshot": HISTORY_SNAPSHOT,
        "Event": event_schema(),
        "Approval": APPROVAL,
        "Hold": HOLD,
        "Quarantine": QUARANTINE,
        "Image": IMAGE,
        "Entry": ENTRY,
    }
)
