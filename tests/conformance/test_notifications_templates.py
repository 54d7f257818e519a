"""The fork's pkg/notifications template tests and documented templates, case by case.

Each case names its source (nicholas-fedor/watchtower, the file and the
test or the document's section). The templates are those sources' own text,
run by our interpreter on data built like the fork's mocks
(internal/actions/mocks: ``CreateMockProgressReport``). A case we decide
differently on purpose asserts our behaviour and cites
:mod:`tests.conformance.deviations`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from watchtower.cli.notifications import settings_from_flags
from watchtower.errors import ConfigurationError
from watchtower.notify import LogEntry, Template
from watchtower.report import ContainerReport, Outcome, Report

from .deviations import Deviation, deviation

SHOUTRRR_TEST = "pkg/notifications/shoutrrr_test.go"
TEMPLATES_DOC = "docs/notifications/templates/index.md"
COMMON = "pkg/notifications/common_templates.go"
T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)

# internal/actions/mocks/progress.go: the id prefix and name of each state's containers.
_MOCK = {
    Outcome.SKIPPED: (41, "skip"),
    Outcome.FRESH: (31, "frsh"),
    Outcome.UPDATED: (11, "updt"),
    Outcome.FAILED: (21, "fail"),
    Outcome.RESTARTED: (51, "rstr"),
}


def mock_report(*states: Outcome) -> Report:
    """CreateMockProgressReport(states...), in the fork's order (by container id)."""
    seen: dict[Outcome, int] = {}
    entries = []
    for state in states:
        index = seen.get(state, 0)
        seen[state] = index + 1
        prefix, name = _MOCK[state]
        digits = str(prefix + index)
        mock_id = digits + "0" * (61 - len(digits))
        changed = state in (Outcome.UPDATED, Outcome.FAILED)
        reason = {Outcome.SKIPPED: "unpossible", Outcome.FAILED: "accidentally the whole container"}
        entries.append(
            ContainerReport(
                id="c79" + mock_id,
                name=f"{name}{index + 1}",
                image=f"mock/{name}{index + 1}:latest",
                old_image_id="01d" + mock_id,
                new_image_id="d0a" + mock_id if changed else None,
                outcome=state,
                reason=reason.get(state, ""),
            )
        )
    entries.sort(key=lambda entry: entry.id)
    return Report(entries=entries, started_at=T0, finished_at=T0)


def entry(message: str, level: str = "info", **fields: object) -> LogEntry:
    return LogEntry(level=level, message=message, time=T0, fields=fields)


LEGACY_MOCK = [entry("foo Bar")]  # shoutrrr_test.go: legacyMockData
MULTIPLE = [  # shoutrrr_test.go: mockDataMultipleEntries
    entry("The situation is under control"),
    entry("All the smoke might be covering up some problems", "warning"),
    entry("Turns out everything is on fire", "error"),
]


def render(
    source: str,
    *,
    legacy: bool,
    report: Report | None = None,
    entries: list[LogEntry] | None = None,
) -> str:
    """getTemplatedResult(tpl, legacy, data) with the fork's mock title and host."""
    return Template(source, legacy=legacy).render(
        title="Watchtower updates on Mock", host="Mock", report=report, entries=entries or []
    )


# --- the fork's built-in templates, as its common_templates.go writes them -----------------

FORK_DEFAULT = """
{{- if .Report -}}
  {{- with .Report -}}
    {{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Restarted}} Restarted, \
{{len .Failed}} Failed, {{len .Fresh}} Fresh, {{len .Skipped}} Skipped
      {{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
      {{- end -}}
      {{- range .Restarted}}
- {{.Name}} ({{.ImageName}}): {{.State}}
      {{- end -}}
      {{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
\t  {{- end -}}
\t  {{- range .Skipped}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
\t  {{- end -}}
\t  {{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
\t  {{- end -}}
  {{- end -}}
{{- else -}}
  {{range .Entries -}}{{.Message}}{{"\\n"}}{{- end -}}
{{- end -}}"""

FORK_PORCELAIN = """
{{- if .Report -}}
  {{- range .Report.All }}
    {{- .Name}} ({{.ImageName}}): {{.State -}}
    {{- with .Error}} Error: {{.}}{{end}}{{ println }}
  {{- else -}}
    no containers matched filter
  {{- end -}}
{{- else -}}
  no containers matched filter
{{- end -}}"""

FORK_LEGACY_HEAD = """
{{- range $i, $e := . -}}
{{- if $i}}{{- println -}}{{- end -}}
{{- $msg := $e.Message -}}
{{- if eq $msg "Found new image" -}}
    Found new image: {{index $e.Data "image"}} \
({{with (index $e.Data "new_id")}}{{.}}{{else}}unknown{{end}})
{{- else if eq $msg "Stopping container" -}}
    Stopped stale container: {{index $e.Data "container"}} \
({{with (index $e.Data "id")}}{{.}}{{else}}unknown{{end}})
{{- else if eq $msg "Started new container" -}}
    Started new container: {{index $e.Data "container"}} \
({{with (index $e.Data "new_id")}}{{.}}{{else}}unknown{{end}})
{{- else if eq $msg "Successfully removed all excess Watchtower containers" -}}
    Successfully removed {{index $e.Data "removed_instances"}} old Watchtower container\
{{if ne (index $e.Data "removed_instances") 1}}s{{end}}
{{- else if eq $msg "Image is within cooldown period - not eligible for update" -}}
    {{with (index $e.Data "image")}}{{.}}{{else}}unknown{{end}} created less than \
{{with (index $e.Data "cooldown")}}{{.}}{{else}}unknown{{end}} ago - eligible in \
{{with (index $e.Data "eligible_in")}}{{.}}{{else}}unknown{{end}} \
({{with (index $e.Data "eligible_at")}}{{RFC1123 .}}{{else}}unknown{{end}})
{{- else if eq $msg "Starting HTTP API server" -}}
    Starting HTTP API server at {{if (index $e.Data "tls")}}https{{else}}http{{end}}://\
{{index $e.Data "host"}}:{{index $e.Data "port"}}
{{- else if $e.Data -}}
    {{$msg}} | {{range $k, $v := $e.Data}}{{$k}}={{$v}} {{end}}
{{- else -}}
    {{$msg}}
{{- end -}}
{{- end -}}"""
"""The fork's default-legacy, with the cases our log never writes left out."""

ALL_STATES = (
    Outcome.UPDATED,
    Outcome.FRESH,
    Outcome.FAILED,
    Outcome.SKIPPED,
    Outcome.UPDATED,
)


@pytest.mark.parametrize(
    ("case", "states", "expected"),
    [
        (
            "using report templates / no custom template is provided / should format the "
            "messages using the default template",
            ALL_STATES,
            "4 Scanned, 2 Updated, 0 Restarted, 1 Failed, 1 Fresh, 1 Skipped\n"
            "- updt1 (mock/updt1:latest): 01d110000000 updated to d0a110000000\n"
            "- updt2 (mock/updt2:latest): 01d120000000 updated to d0a120000000\n"
            "- frsh1 (mock/frsh1:latest): Fresh\n"
            "- skip1 (mock/skip1:latest): Skipped: unpossible\n"
            "- fail1 (mock/fail1:latest): Failed: accidentally the whole container",
        ),
        (
            "using report templates / the default template / all containers are fresh / "
            "should return the summary",
            (Outcome.FRESH,),
            "1 Scanned, 0 Updated, 0 Restarted, 0 Failed, 1 Fresh, 0 Skipped\n"
            "- frsh1 (mock/frsh1:latest): Fresh",
        ),
        (
            "the default template / at least one container was updated / should send a report",
            (Outcome.UPDATED,),
            "1 Scanned, 1 Updated, 0 Restarted, 0 Failed, 0 Fresh, 0 Skipped\n"
            "- updt1 (mock/updt1:latest): 01d110000000 updated to d0a110000000",
        ),
        (
            "the default template / at least one container failed to update / should send a report",
            (Outcome.FAILED,),
            "1 Scanned, 0 Updated, 0 Restarted, 1 Failed, 0 Fresh, 0 Skipped\n"
            "- fail1 (mock/fail1:latest): Failed: accidentally the whole container",
        ),
        (
            "the default template / containers are restarted due to dependencies / should "
            "send a report with restarted containers",
            (Outcome.UPDATED, Outcome.RESTARTED),
            "2 Scanned, 1 Updated, 1 Restarted, 0 Failed, 0 Fresh, 0 Skipped\n"
            "- updt1 (mock/updt1:latest): 01d110000000 updated to d0a110000000\n"
            "- rstr1 (mock/rstr1:latest): Restarted",
        ),
        (
            "the default template / mixing updated and restarted containers / should show "
            "different states for updated vs restarted",
            (Outcome.UPDATED, Outcome.RESTARTED, Outcome.UPDATED),
            "3 Scanned, 2 Updated, 1 Restarted, 0 Failed, 0 Fresh, 0 Skipped\n"
            "- updt1 (mock/updt1:latest): 01d110000000 updated to d0a110000000\n"
            "- updt2 (mock/updt2:latest): 01d120000000 updated to d0a120000000\n"
            "- rstr1 (mock/rstr1:latest): Restarted",
        ),
    ],
)
def test_the_forks_default_report_template(
    case: str, states: tuple[Outcome, ...], expected: str
) -> None:
    """shoutrrr_test.go, "using report templates": the fork's default, run by us."""
    report = mock_report(*states)
    assert render(FORK_DEFAULT, legacy=False, report=report, entries=LEGACY_MOCK) == expected
    if "all containers are fresh" in case:
        # Our built-in default stays quiet when nothing happened.
        differs(case)
        assert render("default", legacy=False, report=report) == ""
    else:
        assert render("default", legacy=False, report=report) == expected


def test_should_use_image_ids_for_container_update_reporting() -> None:
    """shoutrrr_test.go: using report templates / should use image IDs ..."""
    text = render(FORK_DEFAULT, legacy=False, report=mock_report(Outcome.UPDATED))
    assert "01d110000000" in text and "d0a110000000" in text
    assert "c79110000000" not in text


@pytest.mark.parametrize("source", [FORK_DEFAULT, "default"], ids=["fork's source", "ours"])
def test_the_report_is_nil_so_the_entries_are_listed(source: str) -> None:
    """shoutrrr_test.go: the default template / the report is nil / should return the entries."""
    assert render(source, legacy=False, entries=MULTIPLE) == (
        "The situation is under control\n"
        "All the smoke might be covering up some problems\n"
        "Turns out everything is on fire\n"
    )


def test_no_report_and_no_entries_is_nothing() -> None:
    """Nothing to list: the fork's default and ours both render nothing, so nothing is sent."""
    assert render(FORK_DEFAULT, legacy=False) == render("default", legacy=False) == ""


@pytest.mark.parametrize(
    ("source", "expected"),
    [("{{ .Title }}", "Watchtower updates on Mock"), ("{{ .Host }}", "Mock")],
)
def test_title_and_host(source: str, expected: str) -> None:
    """shoutrrr_test.go: using a template referencing Title / Host."""
    assert render(source, legacy=False, report=mock_report(Outcome.UPDATED)) == expected


def test_to_json_includes_restarted_containers() -> None:
    """shoutrrr_test.go: testing JSON output format / should include restarted containers."""
    report = mock_report(Outcome.UPDATED, Outcome.RESTARTED)
    document = json.loads(render("{{ . | ToJSON }}", legacy=False, report=report))
    assert len(document["report"]["updated"]) == 1
    assert [c["state"] for c in document["report"]["restarted"]] == ["Restarted"]
    assert (document["title"], document["host"]) == ("Watchtower updates on Mock", "Mock")


def test_a_common_template_name() -> None:
    """shoutrrr_test.go: passing a common template name / should format using that template."""
    report = mock_report(Outcome.UPDATED)
    expected = "updt1 (mock/updt1:latest): Updated\n"
    assert render(FORK_PORCELAIN, legacy=False, report=report) == expected
    assert render("porcelain.v1.summary-no-log", legacy=False, report=report) == expected


def test_porcelain_json() -> None:
    """shoutrrr_test.go: rendering porcelain JSON / should produce valid JSON ..."""
    report = mock_report(Outcome.UPDATED, Outcome.FRESH, Outcome.FAILED)
    expected = [
        {
            "name": "updt1",
            "image": "mock/updt1:latest",
            "image_id": "01d110000000",
            "latest_image_id": "d0a110000000",
            "state": "Updated",
            "update_available": True,
        },
        {
            "name": "fail1",
            "image": "mock/fail1:latest",
            "image_id": "01d210000000",
            "latest_image_id": "d0a210000000",
            "state": "Failed",
            "update_available": True,
            "error": "accidentally the whole container",
        },
        {
            "name": "frsh1",
            "image": "mock/frsh1:latest",
            "image_id": "01d310000000",
            "latest_image_id": "01d310000000",
            "state": "Fresh",
            "update_available": False,
        },
    ]
    # The mock report is in the fork's order; ours would follow the run.
    assert differs("rendering porcelain JSON / should produce valid JSON with container details")
    for source in ("porcelain.json", "{{ .Report | ToPorcelainJSON }}"):
        document = json.loads(render(source, legacy=False, report=report))
        assert document == {"containers": expected}


def differs(case: str) -> Deviation:
    """The recorded deviation for a case of the fork's notification tests."""
    for source in ("pkg/notifications/shoutrrr_test.go", "pkg/notifications/common_templates.go"):
        for test in ("Ginkgo spec", "default-legacy"):
            found = deviation(f"nicholas-fedor/watchtower {source}", test, case)
            if found is not None:
                return found
    raise LookupError(f"no deviation is recorded for {case!r}")


# --- legacy templates: the template sees the entries alone ---------------------------------


@pytest.mark.parametrize(
    ("source", "entries", "expected"),
    [
        # no custom template is provided / should format the messages using the default template
        ("default-legacy", [entry("foo bar")], "foo bar"),
        # given a valid custom template / should format the messages using the custom template
        (
            "{{range .}}{{.Level}}: {{.Message}}{{println}}{{end}}",
            [entry("foo bar")],
            "info: foo bar\n",
        ),
        # the default template / all containers are fresh / should return an empty string
        ("default-legacy", [], ""),
        # given a template that is using ToUpper / ToLower / Title function
        ("{{range .}}{{ .Message | ToUpper }}{{end}}", LEGACY_MOCK, "FOO BAR"),
        ("{{range .}}{{ .Message | ToLower }}{{end}}", LEGACY_MOCK, "foo bar"),
        ("{{range .}}{{ .Message | Title }}{{end}}", LEGACY_MOCK, "Foo Bar"),
    ],
)
def test_legacy_templates(source: str, entries: list[LogEntry], expected: str) -> None:
    """shoutrrr_test.go: "using legacy templates"."""
    assert render(source, legacy=True, entries=entries) == expected


def test_an_invalid_custom_template_is_refused() -> None:
    """shoutrrr_test.go: given an invalid custom template (a deliberate difference)."""
    differs(
        "using legacy templates / given an invalid custom template / "
        "should format the messages using the default template"
    )
    with pytest.raises(ConfigurationError, match="--notification-template is not a valid"):
        settings_from_flags(
            {"notification_template": "{{ intentionalSyntaxError"}, hostname_default="x"
        )


def test_warning_level_is_named_warning() -> None:
    """shoutrrr_test.go: TestLevelToString_WarnMapsToWarning."""
    source = '{{ range .Entries }}{{ if eq .Level "warning" }}hit{{ end }}{{ end }}'
    assert render(source, legacy=False, entries=[entry("caution", "warning")]) == "hit"


def test_large_integers_render_exactly() -> None:
    """shoutrrr_test.go: TestRun_EventFieldMapPreservesLargeIntegers."""
    source = '{{ range .Entries }}{{ index .Data "removed_orchestrators" }}{{ end }}'
    entries = [entry("cleanup summary", removed_orchestrators=9007199254740993)]
    assert render(source, legacy=False, entries=entries) == "9007199254740993"


LEGACY_ENTRIES = [
    entry("Found new image", container="web", image="nginx:latest", new_id="bbbbbbbbbbbb"),
    entry("Stopping container", container="web", id="cccccccccccc", signal="SIGTERM"),
    entry("Started new container", container="web", new_id="dddddddddddd"),
    entry("Found new image", container="x", image="redis:7"),
    entry("Successfully removed all excess Watchtower containers", removed_instances=1),
    entry("Successfully removed all excess Watchtower containers", removed_instances=3),
    entry(
        "Image is within cooldown period - not eligible for update",
        image="nginx:1",
        cooldown="24h0m0s",
        eligible_in="3h0m0s",
        eligible_at="2026-01-01T15:00:00Z",
    ),
    entry("Starting HTTP API server", tls=False, host="0.0.0.0", port=8080),
    entry("Could not pull", "error", container="db", dry=True, tries=2, ratio=0.5),
    entry("Checking all containers (except explicitly disabled with label)"),
]


def test_our_default_legacy_writes_what_the_forks_writes() -> None:
    """common_templates.go "default-legacy": the fork's source and our built-in, same data."""
    ours = render("default-legacy", legacy=True, entries=LEGACY_ENTRIES)
    assert ours == render(FORK_LEGACY_HEAD, legacy=True, entries=LEGACY_ENTRIES)
    assert ours.splitlines() == [
        "Found new image: nginx:latest (bbbbbbbbbbbb)",
        "Stopped stale container: web (cccccccccccc)",
        "Started new container: web (dddddddddddd)",
        "Found new image: redis:7 (unknown)",
        "Successfully removed 1 old Watchtower container",
        "Successfully removed 3 old Watchtower containers",
        "nginx:1 created less than 24h0m0s ago - eligible in 3h0m0s "
        "(Thu, 01 Jan 2026 15:00:00 UTC)",
        "Starting HTTP API server at http://0.0.0.0:8080",
        "Could not pull | container=db dry=true ratio=0.5 tries=2 ",
        "Checking all containers (except explicitly disabled with label)",
    ]


@pytest.mark.parametrize(
    ("message", "fields", "expected"),
    [
        (
            "Removing image",
            {"image_name": "nginx:1", "image_id": "abc"},
            "Cleaned up old image: nginx:1 (abc)",
        ),
        (
            "Image creation time unavailable - update check unavailable",
            {"image": "nginx:1", "cooldown": "1h0m0s"},
            "nginx:1 creation time unavailable (cooldown: 1h0m0s) - update check unavailable",
        ),
        (
            "Image age exceeds cooldown - eligible for update",
            {"image": "nginx:1"},
            "nginx:1 created more than unknown ago - eligible for update",
        ),
        (
            "HTTP API server is enabled",
            {"tls": True, "host": "0.0.0.0", "port": 8443},
            "HTTP API server is available at https://0.0.0.0:8443",
        ),
        (
            "Only checking containers in scope",
            {"scope": "prod"},
            "Only checking containers in scope: prod",
        ),
        (
            "Skipping Watchtower self-update in run-once mode",
            {},
            "Run once mode: Watchtower self-update skipped",
        ),
        (
            "Detected multiple Watchtower instances - initiating cleanup",
            {"count": 2},
            "Detected 2 Watchtower instances - initiating cleanup",
        ),
        (
            "Stopping linked container",
            {"container": "db", "id": "x1"},
            "Stopped linked container: db (x1)",
        ),
        ("Started linked container", {"container": "db"}, "Started linked container: db (unknown)"),
    ],
)
def test_default_legacy_knows_every_message_of_the_forks(
    message: str, fields: dict[str, object], expected: str
) -> None:
    """common_templates.go "default-legacy": the messages the fork's template words."""
    assert render("default-legacy", legacy=True, entries=[entry(message, **fields)]) == expected


# --- the templates of the fork's documentation ---------------------------------------------

DOC_SIMPLE = """
{{- range $i, $e := . -}}
{{- if $i}}{{- println -}}{{- end -}}
{{- $msg := $e.Message -}}
{{- if eq $msg "Found new image" -}}
    Found new image: {{$e.Data.image}} ({{with $e.Data.new_id}}{{.}}{{else}}unknown{{end}})
{{- else if eq $msg "Stopping container" -}}
    Stopped stale container: {{$e.Data.container}} ({{with $e.Data.id}}{{.}}{{else}}unknown{{end}})
{{- else if eq $msg "Started new container" -}}
    Started new container: {{$e.Data.container}} \
({{with $e.Data.new_id}}{{.}}{{else}}unknown{{end}})
{{- else if eq $msg "Removing image" -}}
    Removed stale image: {{with $e.Data.image_id}}{{.}}{{else}}unknown{{end}}
{{- else if eq $msg "Detected multiple Watchtower instances - initiating cleanup" -}}
    Detected {{$e.Data.count}} Watchtower instances - initiating cleanup
{{- else if $e.Data -}}
    {{$msg}} | {{range $k, $v := $e.Data -}}{{$k}}={{$v}} {{- end}}
{{- else -}}
    {{$msg}}
{{- end -}}
{{- end -}}"""

DOC_REPORT = """
{{- if .Report -}}
  {{- with .Report -}}
    {{len .Scanned}} Scanned, {{len .Updated}} Updated, {{len .Restarted}} Restarted, \
{{len .Failed}} Failed
    {{- if ( or .Updated .Restarted .Failed ) -}}
      {{- range .Updated}}
- {{.Name}} ({{.ImageName}}): {{.CurrentImageID.ShortID}} updated to {{.LatestImageID.ShortID}}
      {{- end -}}
      {{- range .Fresh}}
- {{.Name}} ({{.ImageName}}): {{.State}}
      {{- end -}}
      {{- range .Restarted}}
- {{.Name}} ({{.ImageName}}): {{.State}}
      {{- end -}}
      {{- range .Skipped}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
      {{- end -}}
      {{- range .Failed}}
- {{.Name}} ({{.ImageName}}): {{.State}}: {{.Error}}
      {{- end -}}
    {{- end -}}
  {{- end -}}
{{- if .Entries -}}

Logs:
{{- end -}}
{{range .Entries -}}{{.Time.Format "2006-01-02T15:04:05Z07:00"}} [{{.Level}}] {{.Message}}\
{{"\\n"}}{{- end -}}
{{- end -}}"""


def test_the_documented_simple_template() -> None:
    """templates/index.md, "Simple Templates": the example output for "Found new image"."""
    entries = [
        entry("Found new image", image="repo/image:latest", new_id="abcdef123456"),
        entry("Removing image", image_id="0123456789ab"),
        entry("Detected multiple Watchtower instances - initiating cleanup", count=2),
        entry("Session note", a=1, b="x"),
    ]
    assert render(DOC_SIMPLE, legacy=True, entries=entries).splitlines() == [
        "Found new image: repo/image:latest (abcdef123456)",
        "Removed stale image: 0123456789ab",
        "Detected 2 Watchtower instances - initiating cleanup",
        "Session note | a=1b=x",
    ]


def test_the_documented_report_template() -> None:
    """templates/index.md, "Report Templates", run as Go runs it.

    ``{{- if .Entries -}}`` trims the blank line and the newline around
    "Logs:", so Go writes the log right after it; the document's example
    output shows line breaks that Go's trimming removes.
    """
    report = mock_report(Outcome.UPDATED, Outcome.RESTARTED)
    pacific = timezone(timedelta(hours=-7))
    error = LogEntry(
        level="error",
        message="Operation failed. Try again later.",
        time=datetime(2025, 8, 20, 6, 0, 13, tzinfo=pacific),
    )
    assert render(DOC_REPORT, legacy=False, report=report, entries=[error]) == (
        "2 Scanned, 1 Updated, 1 Restarted, 0 Failed\n"
        "- updt1 (mock/updt1:latest): 01d110000000 updated to d0a110000000\n"
        "- rstr1 (mock/rstr1:latest): Restarted"
        "Logs:2025-08-20T06:00:13-07:00 [error] Operation failed. Try again later.\n"
    )
    assert render(DOC_REPORT, legacy=False, report=mock_report(Outcome.FRESH)) == (
        "1 Scanned, 0 Updated, 0 Restarted, 0 Failed"
    )
