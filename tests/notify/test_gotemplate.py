"""Go's template language as Go runs it: parsing, running, printing, and which dialect a source is.

The expected texts are what Go's ``text/template`` writes for the same
template and data (its exec_test.go and the fmt package's documented
output); Watchtower's own templates are in tests/conformance.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.errors import ConfigurationError
from watchtower.notify import BUILTIN_TEMPLATES, LogEntry, Template
from watchtower.notify._gotemplate import GoExecError, GoSyntaxError, GoTemplate
from watchtower.notify._gotemplate.fmt import sprint, sprintf
from watchtower.report import ContainerReport, Outcome, Report

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)

DATA = {
    "S": "hello",
    "I": 7,
    "F": 1.5,
    "B": True,
    "Z": 0,
    "E": "",
    "EL": [],
    "L": ["a", "b", "c"],
    "M": {"one": 1, "two": 2},
    "N": None,
    "Nested": {"Inner": {"X": "deep"}},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # text, fields and trimming
        ("plain text", "plain text"),
        ("{{.S}}", "hello"),
        ("{{.Nested.Inner.X}}", "deep"),
        ("a  {{- .S -}}  b", "ahellob"),
        ("a {{- /* gone */ -}} b", "ab"),
        ("{{/* a comment */}}x", "x"),
        ("{{.Missing}}", "<no value>"),
        ("{{.N}}", "<no value>"),
        ('{{index .M "three"}}', "<no value>"),
        ("{{3 -}} x", "3x"),
        # printing as fmt does
        ("{{.B}} {{.F}} {{.I}}", "true 1.5 7"),
        ("{{.L}}", "[a b c]"),
        ("{{.M}}", "map[one:1 two:2]"),
        ("{{1e6}} {{123456.0}} {{0.00001}}", "1e+06 123456 1e-05"),
        ('{{"quoted\\n" | printf "%q"}}', '"quoted\\n"'),
        ("{{`raw\\n`}}", "raw\\n"),
        ("{{'a'}}", "97"),
        ("{{0x1F}} {{1_000}}", "31 1000"),
        # control structures
        ("{{if .B}}yes{{end}}", "yes"),
        ("{{if .Z}}yes{{else}}no{{end}}", "no"),
        ("{{if .E}}1{{else if .Z}}2{{else if .I}}3{{else}}4{{end}}", "3"),
        ("{{with .S}}[{{.}}]{{end}}", "[hello]"),
        ("{{with .E}}[{{.}}]{{else}}empty{{end}}", "empty"),
        ("{{with .E}}a{{else with .S}}{{.}}{{end}}", "hello"),
        ("{{range .L}}{{.}},{{end}}", "a,b,c,"),
        ("{{range $i, $e := .L}}{{$i}}={{$e}} {{end}}", "0=a 1=b 2=c "),
        ("{{range $k, $v := .M}}{{$k}}:{{$v}};{{end}}", "one:1;two:2;"),
        ("{{range .EL}}x{{else}}none{{end}}", "none"),
        ("{{range .N}}x{{else}}nil is empty{{end}}", "nil is empty"),
        ('{{range .L}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', "a"),
        ('{{range .L}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', "ac"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        # variables
        ("{{$x := .S}}{{$x}}", "hello"),
        ("{{$x := 1}}{{if .B}}{{$x = 2}}{{end}}{{$x}}", "2"),
        ("{{range .L}}{{$.S}}{{end}}", "hellohellohello"),
        ("{{with $x := .I}}{{$x}}{{end}}", "7"),
        # pipelines and functions
        ('{{.S | printf "%s!"}}', "hello!"),
        ('{{printf "%d-%5.2f-%-4s|%05d" .I .F "ab" 42}}', "7- 1.50-ab  |00042"),
        ('{{printf "%v %T" .L .I}}', "[a b c] int"),
        ('{{printf "%d" .S}}', "%!d(string=hello)"),
        ('{{printf "%s %s" .S}}', "hello %!s(MISSING)"),
        ('{{print 1 2 "a" 3}}', "1 2a3"),
        ("{{println .S .I}}", "hello 7\n"),
        ('{{len .L}} {{len .M}} {{len .S}} {{len "é"}}', "3 2 5 2"),
        ('{{index .L 1}} {{index .M "two"}} {{index .Nested "Inner" "X"}}', "b 2 deep"),
        ("{{slice .S 1 3}} {{slice .L 1}}", "el [b c]"),
        ('{{and 1 0 2}} {{and 1 2}} {{or 0 "" 3}} {{or 0 ""}}', "0 2 3 "),
        ("{{not .B}} {{not .Z}}", "false true"),
        ('{{eq .I 7}} {{eq .S "x" "hello"}} {{ne .I 7}}', "true true false"),
        ('{{lt 1 2}} {{le 2 2}} {{gt 1.5 1}} {{ge "a" "b"}}', "true true true false"),
        ("{{eq .N nil}} {{eq .Missing 1}}", "true false"),
        ("{{(index .L 0) | len}}", "1"),
        ("{{(.Nested).Inner.X}}", "deep"),
        ("{{html \"<a href='x'>&\"}}", "&lt;a href=&#39;x&#39;&gt;&amp;"),
        ('{{urlquery "a b&c"}}', "a+b%26c"),
        ('{{js "it\'s <b>"}}', "it\\'s \\u003Cb\\u003E"),
        # templates
        ('{{define "T"}}<{{.}}>{{end}}{{template "T" .S}}', "<hello>"),
        ('{{block "B" .I}}[{{.}}]{{end}}', "[7]"),
    ],
)
def test_go_renders_as_go_does(source: str, expected: str) -> None:
    assert GoTemplate(source).render(DATA) == expected


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{{ intentionalSyntaxError", "unclosed action"),
        ("{{if .B}}open", "unexpected EOF"),
        ("{{end}}", "unexpected {{end}}"),
        ("{{nosuch .S}}", "function 'nosuch' not defined"),
        ("{{$x}}", "undefined variable '$x'"),
        ("{{range .L}}{{end}}{{break}}", "{{break}} outside {{range}}"),
        ("{{.S | 3}}", "non executable command"),
        ("{{/* open", "unclosed comment"),
        ('{{"\\q"}}', "unknown escape"),
        ("{{(.S}}", "unclosed left paren"),
    ],
)
def test_bad_go_is_refused_with_go_reason(source: str, why: str) -> None:
    with pytest.raises(GoSyntaxError, match=re.escape(why)):
        GoTemplate(source)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{{.S.Nope}}", "can't evaluate field Nope in type string"),
        ("{{.N.X}}", "nil pointer evaluating"),
        ("{{index .L 5}}", "index out of range: 5"),
        ("{{len .I}}", "len of type int"),
        ("{{eq .S 1}}", "incompatible types for comparison"),
        ("{{.S 1}}", "can't give argument to non-function"),
        ('{{template "none"}}', 'no such template "none"'),
        ("{{range .S}}{{end}}", "range can't iterate over hello"),
    ],
)
def test_failures_while_running_say_what_go_says(source: str, why: str) -> None:
    with pytest.raises(GoExecError, match=why):
        GoTemplate(source).render(DATA)


def test_recursion_is_stopped() -> None:
    with pytest.raises(GoExecError, match="maximum template depth"):
        GoTemplate('{{define "T"}}{{template "T" .}}{{end}}{{template "T" .}}').render(1)


def test_a_template_reaches_no_python_attribute() -> None:
    entry = LogEntry(level="info", message="m", time=T0)
    with pytest.raises(GoExecError, match="can't evaluate field __class__"):
        Template("{{range .}}{{.__class__}}{{end}}", legacy=True).render(
            title="", host="", report=None, entries=[entry]
        )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("%s|%6s|%-6s|%.2s", "a", "b", "c", "xyz"), "a|     b|c     |xy"),
        (("%d|%+d|%x|%X|%o|%b", 5, 5, 255, 255, 8, 5), "5|+5|ff|FF|10|101"),
        (("%f|%.1f|%e|%g", 1.5, 2.25, 1000.0, 0.5), "1.500000|2.2|1.000000e+03|0.5"),
        (("%t|%v|%q", True, None, "x"), 'true|<nil>|"x"'),
        (("%%|%c", 65), "%|A"),
        (("%d", 1, 2), "1%!(EXTRA int=2)"),
    ],
)
def test_printf_formats_as_fmt(args: tuple[object, ...], expected: str) -> None:
    assert sprintf(*args) == expected  # type: ignore[arg-type]


def test_print_spaces_only_between_non_strings() -> None:
    assert sprint("a", 1, 2, "b", "c") == "a1 2bc"


# --- Go or Jinja2 ---------------------------------------------------------------------------

REPORT = Report(
    entries=[
        ContainerReport(
            id="c" * 64,
            name="web",
            image="nginx:latest",
            old_image_id="sha256:" + "a" * 64,
            new_image_id="sha256:" + "b" * 64,
            outcome=Outcome.UPDATED,
        )
    ],
    started_at=T0,
    finished_at=T0,
)
ENTRIES = [LogEntry(level="info", message="Found new image", time=T0, fields={"image": "x"})]


@pytest.mark.parametrize(
    ("source", "dialect", "expected"),
    [
        ("{{range .Entries}}{{.Message}}{{end}}", "go", "Found new image"),
        ("{{ len .Report.Updated }} {{ .Title }}", "go", "1 T"),
        ("{{range .Report.All}}{{.LatestImageID.ShortID}}{{end}}", "go", "b" * 12),
        ("{{ report.updated | length }} {{ title }}", "jinja2", "1 T"),
        ("{% for e in entries %}{{ e.message }}{% endfor %}", "jinja2", "Found new image"),
        ("{%- if report.failed %}x{% endif -%}none", "jinja2", "none"),
        ("{{- title -}}", "jinja2", "T"),
        ("no actions at all", "go", "no actions at all"),
    ],
)
def test_the_dialect_is_read_from_the_source(source: str, dialect: str, expected: str) -> None:
    template = Template(source)
    assert template.dialect == dialect
    assert template.render(title="T", host="h", report=REPORT, entries=ENTRIES) == expected


def test_default_legacy_is_go_and_the_report_builtins_jinja2() -> None:
    dialects = {name: Template(name).dialect for name in BUILTIN_TEMPLATES}
    assert dialects.pop("default-legacy") == "go"
    assert set(dialects.values()) == {"jinja2"}


def test_bad_go_names_the_flag_and_go_reason() -> None:
    with pytest.raises(ConfigurationError, match=r"^--t is not a valid template: line 1: unclosed"):
        Template("{{range .}}{{.Message", name="--t")


def test_bad_jinja_names_the_flag() -> None:
    with pytest.raises(ConfigurationError, match=r"^--t is not a valid template: .*line 1"):
        Template("{% for x in %}", name="--t")


_NAMES = st.sampled_from(["title", "host", "report", "entries", "report.updated", "report.entries"])
_FILTERS = st.sampled_from(["", " | length", " | string", " | upper", " | to_json", " | lower"])
_TEXT = st.text(alphabet=st.characters(blacklist_characters="{}%#"), max_size=8)


@st.composite
def _jinja_expression(draw: st.DrawFn) -> str:
    inner = draw(_NAMES) + draw(_FILTERS)
    left, right = (
        draw(st.sampled_from(["{{ ", "{{- ", "{{"])),
        draw(st.sampled_from([" }}", " -}}"])),
    )
    return left + inner + right


@st.composite
def _jinja_template(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "expression", "if", "for"]))
        if kind == "text":
            parts.append(draw(_TEXT))
        elif kind == "expression":
            parts.append(draw(_jinja_expression()))
        elif kind == "if":
            parts.append("{% if " + draw(_NAMES) + " %}" + draw(_TEXT) + "{% endif %}")
        else:
            parts.append("{% for c in report.entries %}{{ c.name }}{% endfor %}")
    if not any("{" in part for part in parts):
        parts.append(draw(_jinja_expression()))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(_jinja_template())
def test_a_jinja2_template_is_never_read_as_go(source: str) -> None:
    template = Template(source)
    assert template.dialect == "jinja2"
    template.render(title="T", host="h", report=REPORT, entries=ENTRIES)


_GO_FIELDS = st.sampled_from([".Message", ".Level", "(len .Data)", '(index .Data "image")'])


@st.composite
def _go_template(draw: st.DrawFn) -> str:
    body = "".join(
        draw(st.sampled_from(["{{", "{{- "]))
        + draw(_GO_FIELDS)
        + draw(st.sampled_from(["}}", " -}}"]))
        + draw(_TEXT)
        for _ in range(draw(st.integers(1, 3)))
    )
    return draw(st.sampled_from(["{{range .}}%s{{end}}", "{{range $i, $e := .}}%s{{end}}"])) % body


@settings(max_examples=200, deadline=None)
@given(_go_template())
def test_a_go_template_is_never_read_as_jinja2(source: str) -> None:
    template = Template(source, legacy=True)
    assert template.dialect == "go"
    template.render(title="T", host="h", report=REPORT, entries=ENTRIES)


_SPACE = st.text(alphabet=" \t\r\n", max_size=4)
_WORDS = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    before=_WORDS,
    left=_SPACE,
    right=_SPACE,
    after=_WORDS,
    value=st.one_of(st.integers(), st.text(max_size=10), st.booleans()),
    trim_left=st.booleans(),
    trim_right=st.booleans(),
)
def test_trim_markers_remove_exactly_the_adjacent_white_space(
    before: str,
    left: str,
    right: str,
    after: str,
    value: object,
    trim_left: bool,
    trim_right: bool,
) -> None:
    source = (
        f"{before}{left}{{{{{'- ' if trim_left else ''}.V{' -' if trim_right else ''}}}}}"
        f"{right}{after}"
    )
    printed = str(value).lower() if isinstance(value, bool) else str(value)
    head = (before + left).rstrip(" \t\r\n") if trim_left else before + left
    tail = (right + after).lstrip(" \t\r\n") if trim_right else right + after
    assert GoTemplate(source).render({"V": value}) == head + printed + tail
