"""Notification templates: Jinja2, with built-ins named like Watchtower's.

A template renders one message from this context:

``title``
    The notification title (``[tag] Watchtower updates on host``), empty
    when titles are skipped.
``host``
    The host name the notifications speak for.
``report``
    The :class:`~watchtower.report.Report` of the run (for a split
    notification, a report of one container), with ``entries``, ``scanned``,
    ``updated``, ``restarted``, ``failed``, ``skipped``, ``stale``,
    ``fresh``; each entry a :class:`~watchtower.report.ContainerReport`.
``entries``
    The run's log lines at or above the notification level, a list of
    :class:`~watchtower.notify.LogEntry`.

Filters: ``short_id`` (12 characters of an image or container id, without
``sha256:``), ``state`` (a container's state as Watchtower writes it:
``Updated``, ``Fresh``, ...), ``to_json`` (indented JSON of any context
value), ``porcelain_json`` (the ``porcelain.json`` document of a report).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigurationError
from ..model import short_id
from ..porcelain import porcelain_json
from ..report import ContainerReport, Report
from ._entries import LogEntry

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "BUILTIN_TEMPLATES",
    "MAX_MESSAGE_CHARS",
    "MAX_RENDER_SECONDS",
    "Template",
    "json_v1",
    "state",
]


def state(entry: ContainerReport) -> str:
    """A container's state as Watchtower writes it: ``Updated``, ``Fresh``, ..."""
    return entry.state


def _latest(entry: ContainerReport) -> str:
    return entry.new_image_id or entry.old_image_id


def _json_container(entry: ContainerReport) -> dict[str, Any]:
    data = {
        "id": short_id(entry.id),
        "name": entry.name,
        "currentImageId": short_id(entry.old_image_id),
        "latestImageId": short_id(_latest(entry)),
        "imageName": entry.image,
        "state": state(entry),
    }
    if entry.error:
        data["error"] = entry.error
    return data


_CATEGORIES = ("scanned", "updated", "restarted", "failed", "skipped", "stale", "fresh")


def json_v1(
    *, title: str, host: str, report: Report | None, entries: Sequence[LogEntry]
) -> dict[str, Any]:
    """The document the ``json.v1`` template writes, as a dict.

    Its shape is Watchtower's: ``title``, ``host``, ``entries`` (level,
    message, data, time) and ``report`` with one list per state, each
    container with ``id``, ``name``, ``currentImageId``, ``latestImageId``,
    ``imageName``, ``state`` and, when there is one, ``error``.
    """
    body: dict[str, Any] | None = None
    if report is not None:
        body = {
            category: [_json_container(e) for e in getattr(report, category)]
            for category in _CATEGORIES
        }
    return {
        "title": title,
        "host": host,
        "entries": [entry.to_dict() for entry in entries],
        "report": body,
    }


def _to_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (Report, ContainerReport, LogEntry)):
        return value.to_dict()
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


_LEGACY = """\
{%- for e in entries -%}
{%- if not loop.first %}
{% endif -%}
{%- set f = e.fields -%}
{%- if e.message == "Found new image" -%}
Found new image: {{ f.image or "unknown" }} ({{ f.new_id or "unknown" }})
{%- elif e.message == "Stopping container" -%}
Stopped stale container: {{ f.container or "unknown" }} ({{ f.id or "unknown" }})
{%- elif e.message == "Started new container" -%}
Started new container: {{ f.container or "unknown" }} ({{ f.new_id or "unknown" }})
{%- elif e.message == "Container updated" -%}
Updated container: {{ f.container or "unknown" }} ({{ f.image or "unknown" }}): \
{{ f.old_id or "unknown" }} updated to {{ f.new_id or "unknown" }}
{%- elif e.message == "Removing image" -%}
Cleaned up old image: {{ f.image_name or "unknown" }} ({{ f.image_id or "unknown" }})
{%- elif f -%}
{{ e.message }} | {% for k in f | sort %}{{ k }}={{ f[k] }}{{ " " if not loop.last }}{% endfor %}
{%- else -%}
{{ e.message }}
{%- endif -%}
{%- endfor -%}
"""

_DEFAULT = """\
{%- if report.updated or report.restarted or report.failed or report.stale -%}
{{ report.scanned | length }} Scanned, {{ report.updated | length }} Updated, \
{{ report.restarted | length }} Restarted, {{ report.failed | length }} Failed, \
{{ report.fresh | length }} Fresh, {{ report.skipped | length }} Skipped
{%- for c in report.updated %}
- {{ c.name }} ({{ c.image }}): {{ c.old_image_id | short_id }} updated to \
{{ c.new_image_id | short_id }}
{%- endfor %}
{%- for c in report.restarted %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}
{%- endfor %}
{%- for c in report.stale %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}
{%- endfor %}
{%- for c in report.fresh %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}
{%- endfor %}
{%- for c in report.skipped %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}: {{ c.reason }}
{%- endfor %}
{%- for c in report.failed %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}: {{ c.reason }}
{%- endfor %}
{%- endif -%}
"""

_PORCELAIN_V1 = """\
{%- for c in report.entries -%}
{{ c.name }} ({{ c.image }}): {{ c | state }}\
{%- if c.outcome.value in ("failed", "skipped") and c.reason %} Error: {{ c.reason }}{% endif %}
{% else -%}
no containers matched filter
{%- endfor -%}
"""

BUILTIN_TEMPLATES: Mapping[str, str] = {
    "default-legacy": _LEGACY,
    "default": _DEFAULT,
    "porcelain.v1.summary-no-log": _PORCELAIN_V1,
    "json.v1": "{{ json_v1() | to_json }}",
    "porcelain.json": "{{ report | porcelain_json }}",
}
"""The built-in templates by name, as Jinja2 sources.

``default-legacy``
    The run's log lines, one per line, in Watchtower's words.
``default``
    A count line and one line per container, only when something was
    updated, restarted, failed or is stale; otherwise nothing (and nothing
    is sent).
``porcelain.v1.summary-no-log``
    ``<name> (<image>): <State>[ Error: <reason>]`` per container, or ``no
    containers matched filter``.
``json.v1``
    Title, host, entries and report as JSON (see :func:`json_v1`).
``porcelain.json``
    ``{"containers": [...]}`` (see :func:`porcelain_json`).
"""


MAX_MESSAGE_CHARS = 1 << 20
"""The longest text a template may render, in characters."""

MAX_RENDER_SECONDS = 5.0
"""The longest a template may take to render, checked at each output and loop step."""


def _too_long(name: str, what: str) -> Exception:
    import jinja2

    return jinja2.TemplateRuntimeError(f"{name} {what}")


def _bounded_text(chunks: Iterable[str], deadline: float, name: str) -> str:
    """The chunks a template yields, joined, within the size and time bounds."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_MESSAGE_CHARS:
            raise _too_long(name, f"renders more than {MAX_MESSAGE_CHARS} characters")
        if time.monotonic() > deadline:
            raise _too_long(name, f"takes longer than {MAX_RENDER_SECONDS:g}s to render")
        parts.append(chunk)
    return "".join(parts)


class _Bounded:
    """The sandbox's ``range``, whose loops stop at the render's deadline."""

    def __init__(self, inner: range, deadline: float, name: str) -> None:
        self._inner, self._deadline, self._name = inner, deadline, name

    def __len__(self) -> int:
        return len(self._inner)

    def __iter__(self) -> Iterator[int]:
        for number in self._inner:
            if time.monotonic() > self._deadline:
                raise _too_long(self._name, f"takes longer than {MAX_RENDER_SECONDS:g}s to render")
            yield number


class Template:
    """A compiled notification template.

    Args:
        source: A built-in template's name or Jinja2 source.
        name: What to call it in error messages.

    Raises:
        ConfigurationError: The source is not valid Jinja2.
    """

    def __init__(self, source: str, *, name: str = "notification-template") -> None:
        import jinja2.sandbox

        self.name = source if source in BUILTIN_TEMPLATES else name
        self.source = BUILTIN_TEMPLATES.get(source, source)
        # Sandboxed: a template comes from a flag or a file, and should not
        # reach into Python beyond the context it is given.
        env = jinja2.sandbox.SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
        env.filters["short_id"] = short_id
        env.filters["state"] = state
        env.filters["to_json"] = _to_json
        env.filters["porcelain_json"] = porcelain_json
        self._safe_range = cast("Callable[..., range]", env.globals["range"])
        try:
            self._template: jinja2.Template = env.from_string(self.source)
        except jinja2.TemplateSyntaxError as exc:
            message = f"{self.name} is not a valid template: {exc.message} (line {exc.lineno})."
            raise ConfigurationError(message) from None

    def render(
        self,
        *,
        title: str,
        host: str,
        report: Report | None,
        entries: Sequence[LogEntry] = (),
    ) -> str:
        """The message for this context (see the module's documentation).

        Raises:
            jinja2.TemplateError: The template failed while rendering, or
                its text grew past :data:`MAX_MESSAGE_CHARS`, or rendering
                took longer than :data:`MAX_RENDER_SECONDS`.
        """
        entries = list(entries)
        deadline = time.monotonic() + MAX_RENDER_SECONDS
        chunks = self._template.generate(
            title=title,
            host=host,
            report=report,
            entries=entries,
            # A function, so only json.v1 pays for building the document.
            json_v1=lambda: json_v1(title=title, host=host, report=report, entries=entries),
            range=lambda *args: _Bounded(self._safe_range(*args), deadline, self.name),
        )
        return _bounded_text(chunks, deadline, self.name)
