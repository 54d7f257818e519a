"""Notification templates: Go's template language or Jinja2, with Watchtower's built-ins.

A Go template sees Watchtower's data (see ``_gotemplate.view``). A Jinja2 template
renders one message from this context:

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

from ..errors import ConfigurationError, MissingExtraError
from ..model import short_id
from ..porcelain import porcelain_json
from ..report import ContainerReport, Report
from ._entries import LogEntry
from ._gotemplate import FUNCTIONS, GoExecError, GoSyntaxError, GoTemplate
from ._gotemplate import data as go_data
from ._gotemplate import entries as go_entries
from ._gotemplate.view import version_fields

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "BUILTIN_TEMPLATES",
    "MAX_MESSAGE_CHARS",
    "MAX_RENDER_SECONDS",
    "GoExecError",
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
    if entry.new_image:  # the newer tag a tag rule found
        data["latestImageName"] = entry.new_image
    data.update(version_fields(entry))
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
    ``imageName``, ``state`` and, when there is one, ``error``. Not in
    Watchtower's: ``latestImageName`` for a tag rule's move, and
    ``currentVersion``, ``latestVersion`` and ``releaseNotes`` when a version
    label or a tag names the images; and ``quarantined``, the digests the
    run quarantined (see :mod:`watchtower.quarantine`), when there are any.
    """
    body: dict[str, Any] | None = None
    if report is not None:
        body = {
            category: [_json_container(e) for e in getattr(report, category)]
            for category in _CATEGORIES
        }
        if report.quarantined:
            body["quarantined"] = [q.to_dict() for q in report.quarantined]
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


# Watchtower's default-legacy in Go's language: each log line in Watchtower's words, a
# line it has no words for as "message | key=value ", exactly as Watchtower writes it.
_LEGACY = """\
{{- define "or-unknown"}}{{with .}}{{.}}{{else}}unknown{{end}}{{end -}}
{{- define "api"}}{{if index . "tls"}}https{{else}}http{{end}}://\
{{- index . "host"}}:{{index . "port"}}{{end -}}
{{- range $i, $e := . -}}
{{- if $i}}{{println}}{{end -}}
{{- $m := $e.Message -}}
{{- $d := $e.Data -}}
{{- if eq $m "Found new image" -}}
Found new image: {{index $d "image"}} ({{template "or-unknown" index $d "new_id"}})
{{- with index $d "version"}}, version {{.}}{{end}}
{{- with index $d "notes"}}, notes: {{.}}{{end}}
{{- else if eq $m "Stopping container" -}}
Stopped stale container: {{index $d "container"}} ({{template "or-unknown" index $d "id"}})
{{- else if eq $m "Started new container" -}}
Started new container: {{index $d "container"}} ({{template "or-unknown" index $d "new_id"}})
{{- else if eq $m "Stopping linked container" -}}
Stopped linked container: {{index $d "container"}} ({{template "or-unknown" index $d "id"}})
{{- else if eq $m "Started linked container" -}}
Started linked container: {{index $d "container"}} \
({{template "or-unknown" index $d "new_id"}})
{{- else if eq $m "Removing image" -}}
Cleaned up old image: {{template "or-unknown" index $d "image_name"}} \
({{template "or-unknown" index $d "image_id"}})
{{- else if eq $m "Container updated" -}}
Updated container: {{template "or-unknown" index $d "container"}} \
({{template "or-unknown" index $d "image"}}): {{template "or-unknown" index $d "old_id"}} \
updated to {{template "or-unknown" index $d "new_id"}}
{{- else if eq $m "Skipping Watchtower self-update in run-once mode" -}}
Run once mode: Watchtower self-update skipped
{{- else if eq $m "Detected multiple Watchtower instances - initiating cleanup" -}}
Detected {{index $d "count"}} Watchtower instances - initiating cleanup
{{- else if eq $m "Successfully removed all excess Watchtower containers" -}}
Successfully removed {{index $d "removed_instances"}} old Watchtower container\
{{- if ne (index $d "removed_instances") 1}}s{{end}}
{{- else if eq $m "Image is within cooldown period - not eligible for update" -}}
{{template "or-unknown" index $d "image"}} created less than \
{{- " "}}{{template "or-unknown" index $d "cooldown"}} ago - eligible in \
{{- " "}}{{template "or-unknown" index $d "eligible_in"}} \
({{with index $d "eligible_at"}}{{RFC1123 .}}{{else}}unknown{{end}})
{{- else if eq $m "Image age exceeds cooldown - eligible for update" -}}
{{template "or-unknown" index $d "image"}} created more than \
{{- " "}}{{template "or-unknown" index $d "cooldown"}} ago - eligible for update
{{- else if eq $m "Image creation time unavailable - update check unavailable" -}}
{{template "or-unknown" index $d "image"}} creation time unavailable \
(cooldown: {{template "or-unknown" index $d "cooldown"}}) - update check unavailable
{{- else if eq $m "Starting HTTP API server" -}}
Starting HTTP API server at {{template "api" $d}}
{{- else if eq $m "HTTP API server is enabled" -}}
HTTP API server is available at {{template "api" $d}}
{{- else if eq $m "Only checking containers in scope" -}}
Only checking containers in scope: {{index $d "scope"}}
{{- else if $d -}}
{{$m}} | {{range $k, $v := $d}}{{$k}}={{$v}} {{end}}
{{- else -}}
{{$m}}
{{- end -}}
{{- end -}}
"""

_DEFAULT = """\
{%- macro versions(c) -%}
{%- if c.versioned and c.change %}, {{ c.change }}{% endif -%}
{%- if c.notes %}
  {{ c.notes }}
{%- endif -%}
{%- endmacro -%}
{%- if report is none -%}
{%- for e in entries %}{{ e.message }}
{% endfor -%}
{%- elif report.updated or report.restarted or report.failed or report.stale -%}
{{ report.scanned | length }} Scanned, {{ report.updated | length }} Updated, \
{{ report.restarted | length }} Restarted, {{ report.failed | length }} Failed, \
{{ report.fresh | length }} Fresh, {{ report.skipped | length }} Skipped
{%- for c in report.updated %}
- {{ c.name }} ({{ c.image }}): {{ c.old_image_id | short_id }} updated to \
{{ c.new_image_id | short_id }}{{ versions(c) }}
{%- endfor %}
{%- for c in report.restarted %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}
{%- endfor %}
{%- for c in report.stale %}
- {{ c.name }} ({{ c.image }}): {{ c | state }}{{ versions(c) }}
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
{%- for q in report.quarantined %}
- quarantined {{ q.shown }}… ({{ q.image }}): no other container is moved to it \
until `watchtower release-digest`
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
"""The built-in templates by name: ``default-legacy`` in Go's language, the others Jinja2.

``default-legacy``
    The run's log lines, one per line, in Watchtower's words; a Go
    template that sees the log entries alone, whatever ``legacy`` says.
``default``
    A count line and one line per container, only when something was
    updated, restarted, failed or is stale (an updated or stale one with
    its versions, ``, 1.25.3 -> 1.25.4``, when labels or tags name them,
    and the release notes' link on a line of its own), and a line for each
    digest the run quarantined; otherwise nothing (and nothing is sent).
    Without a report, each log entry's message on a line of its own, as
    Watchtower's ``default``.
``porcelain.v1.summary-no-log``
    ``<name> (<image>): <State>[ Error: <reason>]`` per container, or ``no
    containers matched filter``.
``json.v1``
    Title, host, entries and report as JSON (see :func:`json_v1`).
``porcelain.json``
    ``{"containers": [...]}`` (see :func:`porcelain_json`).
"""


def _jinja_tags(source: str) -> bool:
    return "{%" in source or "{#" in source


def _go(source: str, name: str) -> tuple[GoTemplate | None, str]:
    try:
        return GoTemplate(source, FUNCTIONS), ""
    except GoSyntaxError as exc:
        return None, f"{name} is not a valid template: {exc}."


_GO_BUILTINS = frozenset({"default-legacy"})


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
    """A compiled notification template, in Go's template language or Jinja2.

    Watchtower's templates (``{{range .}}{{.Message}}{{println}}{{end}}``)
    run as Go runs them, on Watchtower's data (see :doc:`/guides/notifications`);
    Jinja2 templates run on the context this module describes. A source is
    read as Go's when it parses as a Go template and has no Jinja2 statement
    or comment (``{%``, ``{#``); a Jinja2 template that names anything
    (``{{ report.updated }}``, ``| length``) never parses as Go, because Go
    knows no such function.

    Args:
        source: A built-in template's name, or a template's source.
        name: What to call it in error messages.
        legacy: A Go template sees the log entries alone (Watchtower without
            ``--notification-report``) rather than title, host, entries and
            report.

    Raises:
        ConfigurationError: The source is neither a Go template nor Jinja2.
    """

    def __init__(
        self, source: str, *, name: str = "notification-template", legacy: bool = False
    ) -> None:
        self.name = source if source in BUILTIN_TEMPLATES else name
        self.source = BUILTIN_TEMPLATES.get(source, source)
        self.legacy = legacy
        self._go: GoTemplate | None = None
        self._template: jinja2.Template | None = None
        go_error = ""
        if source in _GO_BUILTINS:
            self.legacy = True
            self._go = GoTemplate(self.source, FUNCTIONS)
            return
        if source not in BUILTIN_TEMPLATES:
            self._go, go_error = _go(self.source, self.name)
            if self._go is not None and not _jinja_tags(self.source):
                return
        try:
            self._template = self._jinja()
        except ConfigurationError:
            if go_error and _looks_like_go(self.source):
                raise ConfigurationError(go_error) from None
            raise
        self._go = None

    @property
    def dialect(self) -> str:
        """``go`` or ``jinja2``: the language the source was read in."""
        return "go" if self._go is not None else "jinja2"

    def _jinja(self) -> jinja2.Template:
        try:
            import jinja2  # first, so that a missing one is named as such
            import jinja2.sandbox
        except ImportError as missing:
            raise MissingExtraError.for_extra(
                f"The Jinja2 template {self.name}", "cli", missing
            ) from None

        # Sandboxed: a template comes from a flag or a file, and should not
        # reach into Python beyond the context it is given.
        env = jinja2.sandbox.SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
        env.filters["short_id"] = short_id
        env.filters["state"] = state
        env.filters["to_json"] = _to_json
        env.filters["porcelain_json"] = porcelain_json
        self._safe_range = cast("Callable[..., range]", env.globals["range"])
        try:
            return env.from_string(self.source)
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
            jinja2.TemplateError: A Jinja2 template failed while rendering, or
                its text grew past ``MAX_MESSAGE_CHARS`` (1 Mi), or rendering
                took longer than ``MAX_RENDER_SECONDS`` (5 s).
            GoExecError: A Go template failed while rendering (the message is
                Go's), or passed one of those bounds.
        """
        entries = list(entries)
        deadline = time.monotonic() + MAX_RENDER_SECONDS
        if self._go is not None:
            data = (
                go_entries(entries)
                if self.legacy
                else go_data(title=title, host=host, entries=entries, report=report)
            )
            return self._go.render(data, max_chars=MAX_MESSAGE_CHARS, deadline=deadline)
        assert self._template is not None
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


_GO_MARKS = ("{{.", "{{ .", "{{- ", "{{$", "{{ $", "{{end", "{{ end", "{{range", "{{ range")


def _looks_like_go(source: str) -> bool:
    return any(mark in source for mark in _GO_MARKS)
