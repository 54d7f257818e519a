"""The labels of a replacement's checks, read into values: a table of good and bad values."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower import UpdateParams
from watchtower import labels as L
from watchtower._patterns import compile_pattern
from watchtower.model import Container
from watchtower.probes import Checks, Probe, ProbeKind, exited, log_matched, read_checks, restarted
from watchtower.reference import parse_reference
from watchtower.settings import ContainerSettings

NAME = "api"

GOOD = [
    (
        {L.PROBE_HTTP: "http://:8080/health"},
        Probe(ProbeKind.HTTP, "http://:8080/health", 8080, "/health"),
    ),
    (
        {L.PROBE_HTTP: "http://container:8080/a?b=1"},
        Probe(ProbeKind.HTTP, "http://container:8080/a?b=1", 8080, "/a?b=1"),
    ),
    ({L.PROBE_HTTP: "http://api:9000"}, Probe(ProbeKind.HTTP, "http://api:9000", 9000, "/")),
    ({L.PROBE_HTTP: "HTTP://CONTAINER/"}, Probe(ProbeKind.HTTP, "HTTP://CONTAINER/", 80, "/")),
    (
        {L.PROBE_HTTP: "http://127.0.0.1:18080/up"},
        Probe(ProbeKind.HTTP, "http://127.0.0.1:18080/up", 18080, "/up", loopback=True),
    ),
    (
        {L.PROBE_HTTP: "http://:80/", L.PROBE_HTTP_STATUS: "200, 204-206"},
        Probe(ProbeKind.HTTP, "http://:80/", 80, "/", statuses=((200, 200), (204, 206))),
    ),
    ({L.PROBE_TCP: " 5432 "}, Probe(ProbeKind.TCP, "5432", 5432)),
    ({L.PROBE_CMD: "pg_isready -U postgres"}, Probe(ProbeKind.CMD, "pg_isready -U postgres")),
]


@pytest.mark.parametrize(("labels", "probe"), GOOD)
def test_a_good_probe_label_makes_its_probe(labels: dict[str, str], probe: Probe) -> None:
    checks, problems = read_checks(labels, NAME, timedelta(0))
    assert problems == ()
    assert checks.probes == (probe,)


BAD = [
    (
        L.PROBE_HTTP,
        "http://example.org/health",
        "names the host 'example.org', but a probe connects only to the container itself",
    ),
    (L.PROBE_HTTP, "http://10.0.0.5:8080/", "names the host '10.0.0.5'"),
    (L.PROBE_HTTP, "http://db:5432/", "names the host 'db'"),
    (L.PROBE_HTTP, "https://:8443/", "is no http:// URL"),
    (L.PROBE_HTTP, "ftp://:21/", "is no http:// URL"),
    (L.PROBE_HTTP, "http://user:secret@:8080/", "holds credentials, which a probe never sends"),
    (L.PROBE_HTTP, "http://:99999/", "is not a URL such as http://:8080/health"),
    (L.PROBE_HTTP, "http://127.0.0.1/health", "names the host's loopback without the port"),
    (L.PROBE_HTTP, "http://:0/health", "names port 0, which nothing listens on"),
    (L.PROBE_HTTP, "http://:8080/he alth", "holds spaces or control characters"),
    (L.PROBE_TCP, "0", "is not a port from 1 to 65535"),
    (L.PROBE_TCP, "70000", "is not a port from 1 to 65535"),
    (L.PROBE_TCP, "db:5432", "is not a port from 1 to 65535"),
    (L.PROBE_TIMEOUT, "soon", "is not a duration such as 30s or 5m"),
    (L.SOAK, "-5s", "is not a duration such as 30s or 5m"),
    (L.SOAK, "999999999999999h", "is longer than any wait"),
    (L.FAIL_PATTERN, "(a", "is not a regular expression"),
    (L.FAIL_PATTERN, "(?=x)", "not supported by linear-time matching"),
]


@pytest.mark.parametrize(("label", "value", "why"), BAD)
def test_a_bad_check_label_is_one_sentence_and_ignored(label: str, value: str, why: str) -> None:
    labels = {label: value}
    checks, problems = read_checks(labels, NAME, timedelta(0))
    assert len(problems) == 1
    (problem,) = problems
    assert problem.startswith(f"Container 'api' has label {label}=")
    assert why in problem
    assert problem.endswith("is used instead.") and problem.count(". ") == 0
    assert checks == Checks()  # nothing of the bad label is used


@pytest.mark.parametrize("value", ["2xx", "200-", "99", "600", "300-200", "200;204", ""])
def test_a_bad_status_list_falls_back_to_200_399(value: str) -> None:
    labels = {L.PROBE_HTTP: "http://:8080/", L.PROBE_HTTP_STATUS: value}
    checks, problems = read_checks(labels, NAME, timedelta(0))
    assert checks.probes[0].statuses == ((200, 399),)
    if value:
        assert len(problems) == 1 and "such as 200,204 or 200-299; 200-399 is used" in problems[0]
    else:
        assert problems == ()


def test_a_status_label_without_a_probe_is_reported() -> None:
    _, problems = read_checks({L.PROBE_HTTP_STATUS: "200"}, NAME, timedelta(0))
    assert len(problems) == 1 and "needs a probe.http label" in problems[0]


def test_accepts_reads_the_ranges_inclusively() -> None:
    probe = Probe(ProbeKind.HTTP, "http://:1/", 1, statuses=((200, 200), (301, 302)))
    assert [s for s in (199, 200, 201, 300, 301, 302, 303) if probe.accepts(s)] == [200, 301, 302]
    default = Probe(ProbeKind.HTTP, "http://:1/", 1)
    assert default.accepts(399) and not default.accepts(400) and not default.accepts(503)


def test_the_soak_label_overrides_the_run_and_the_run_gives_the_default() -> None:
    assert read_checks({}, NAME, timedelta(seconds=7))[0].soak == timedelta(seconds=7)
    assert read_checks({L.SOAK: "1m"}, NAME, timedelta(seconds=7))[0].soak == timedelta(minutes=1)
    assert read_checks({L.SOAK: "0"}, NAME, timedelta(seconds=7))[0].soak == timedelta(0)
    assert read_checks({L.PROBE_TIMEOUT: "45"}, NAME, timedelta(0))[0].timeout == timedelta(
        seconds=45
    )


def test_no_labels_no_checks_and_a_soak_alone_is_a_check() -> None:
    assert not read_checks({}, NAME, timedelta(0))[0]
    assert read_checks({}, NAME, timedelta(seconds=1))[0]
    assert read_checks({L.FAIL_PATTERN: "FATAL"}, NAME, timedelta(0))[0]


def test_the_settings_carry_the_checks_and_their_problems() -> None:
    container = Container(
        "1",
        NAME,
        parse_reference("example.org/api:1"),
        "sha256:1",
        labels={L.PROBE_TCP: "5432", L.PROBE_HTTP: "http://example.org/"},
    )
    settings = ContainerSettings.read(container, UpdateParams(soak=timedelta(seconds=3)))
    assert settings.checks.probes == (Probe(ProbeKind.TCP, "5432", 5432),)
    assert settings.checks.soak == timedelta(seconds=3)
    assert len(settings.problems) == 1 and "probe.http" in settings.problems[0]


def test_failures_read_as_one_clause() -> None:
    assert exited(1, timedelta(seconds=5.04), timedelta(seconds=10)) == (
        "exited with code 1 after 5.0 s within the 10 s soak"
    )
    assert exited(None, timedelta(seconds=2), timedelta(0)) == "stopped after 2.0 s"
    assert restarted(timedelta(seconds=3.2), timedelta(seconds=10)) == (
        "restarted after 3.2 s within the 10 s soak"
    )
    assert log_matched(compile_pattern("FATAL")) == "log line matched 'FATAL'"
    assert str(Probe(ProbeKind.HTTP, "http://:8080/health", 8080)) == "probe http://:8080/health"
    assert str(Probe(ProbeKind.TCP, "5432", 5432)) == "probe tcp:5432"
    assert str(Probe(ProbeKind.CMD, "true")) == "probe command 'true'"


def test_a_huge_label_is_shown_shortened() -> None:
    _, problems = read_checks(
        {L.PROBE_HTTP: "http://evil.example/" + "a" * 100_000}, NAME, timedelta(0)
    )
    assert len(problems[0]) < 400


def test_a_long_probe_is_named_by_its_start() -> None:
    url = "http://:8080/" + "a" * 500
    (probe,) = read_checks({L.PROBE_HTTP: url}, NAME, timedelta(0))[0].probes
    assert str(probe) == f"probe {url[:40]}..."
    (command,) = read_checks({L.PROBE_CMD: "x" * 500}, NAME, timedelta(0))[0].probes
    assert len(str(command)) < 100


_HOSTS = st.sampled_from(
    ["", "container", "api", "API", "127.0.0.1", "localhost", "example.org", "10.0.0.1", "[::1]"]
)


@given(
    raw=st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
            st.sampled_from(["http", "HTTP", "https", "ftp", ""]),
            _HOSTS,
            st.sampled_from(["", ":8080", ":0", ":99999", ":x"]),
            st.text(max_size=20),
        ),
    )
)
def test_a_probe_never_names_another_host(raw: str) -> None:
    """Whatever the label says, a probe it makes targets the container or its loopback port."""
    checks, problems = read_checks({L.PROBE_HTTP: raw}, NAME, timedelta(0))
    assert len(problems) <= 1
    for probe in checks.probes:
        host = (urlsplit(probe.target).hostname or "").lower()
        own = host in {"", "container", NAME} and not probe.loopback
        assert own or (probe.loopback and host in {"127.0.0.1", "localhost"})
        assert 0 < probe.port < 65536
        assert str(probe.port) in probe.target or probe.port == 80
