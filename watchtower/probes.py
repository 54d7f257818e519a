"""The checks a started replacement passes before the old container is removed.

Beyond the image's own health check, a container's labels may ask for
probes (an HTTP GET, a TCP connect, a command run inside it), a soak period
it must survive (still running, never restarted) and a log pattern that must
not appear meanwhile. This module holds those checks as values
(:class:`Checks`), reads them from the labels, and words their failures, one
sentence each, the same for every backend
(:class:`~watchtower.protocols.ReplacementChecker`) that runs them.

A probe connects only to the container itself: its own address on one of
its networks, or a port it publishes on the host's loopback. Any other host
is refused when the label is read, so a label cannot turn watchtower into a
client of somewhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from attrs import frozen

from . import labels
from ._patterns import LinearPattern, compile_pattern
from ._text import DurationTooLongError, parse_duration, quoted
from ._words import Word
from .protocols import ReplacementChecker

__all__ = [
    "DEFAULT_PROBE_TIMEOUT",
    "OWN_HOSTS",
    "UNCHECKED",
    "Checks",
    "Probe",
    "ProbeKind",
    "exited",
    "log_matched",
    "read_checks",
    "restarted",
    "verify",
]

UNCHECKED = "the engine's client does not run a replacement's checks (probes, soak, fail pattern)"
"""Why a client that is no :class:`~watchtower.protocols.ReplacementChecker` fails a check."""

DEFAULT_PROBE_TIMEOUT = timedelta(seconds=30)
"""How long the probes of a replacement may take together, without a ``probe.timeout`` label."""

OWN_HOSTS = frozenset({"", "container"})
"""The hosts of a probe URL that mean the container's own address (with its own name)."""

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
_DEFAULT_STATUSES = ((200, 399),)
# What http.client refuses in a request line.
_UNSENDABLE = re.compile("[\x00-\x20\x7f]")
# A hostile label may be megabytes long; a report shows its start.
_SHOWN = 40


class ProbeKind(Word):
    """What a probe does."""

    HTTP = "http"
    """An HTTP GET whose answer's status must be one of the expected ones."""
    TCP = "tcp"
    """A TCP connection that must be accepted."""
    CMD = "cmd"
    """A command run inside the container that must exit with 0."""


@frozen
class Probe:
    """One probe of a replacement, as its label asks for it.

    Attributes:
        kind: HTTP, TCP or a command.
        target: The label's value as written: the URL, the port or the command.
        port: The port connected to (HTTP and TCP); 0 for a command.
        path: The path and query an HTTP probe asks for.
        loopback: The port is one the container publishes on the host's
            loopback (a URL on ``127.0.0.1``), not a port of its own address.
        statuses: The HTTP statuses that pass, as inclusive ranges.
    """

    kind: ProbeKind
    target: str
    port: int = 0
    path: str = "/"
    loopback: bool = False
    statuses: tuple[tuple[int, int], ...] = _DEFAULT_STATUSES

    def accepts(self, status: int) -> bool:
        """True when an HTTP answer with ``status`` passes."""
        return any(low <= status <= high for low, high in self.statuses)

    def __str__(self) -> str:
        if self.kind is ProbeKind.HTTP:
            shown = self.target if len(self.target) <= _SHOWN else self.target[:_SHOWN] + "..."
            return f"probe {shown}"
        if self.kind is ProbeKind.TCP:
            return f"probe tcp:{self.port}"
        return f"probe command {quoted(self.target, _SHOWN)}"


@frozen
class Checks:
    """What a started replacement must pass before the old container is removed.

    Attributes:
        probes: Each must pass once (tried again until it does, or until
            ``timeout``), in order.
        timeout: How long the probes may take together.
        soak: How long after its start the replacement must keep running,
            never restarted; zero for no soak.
        fail_pattern: A log line of the replacement that matches it, printed
            before the soak ends (or, without a soak, before the probes
            passed), fails it; ``None`` for none.
    """

    probes: tuple[Probe, ...] = ()
    timeout: timedelta = DEFAULT_PROBE_TIMEOUT
    soak: timedelta = timedelta(0)
    fail_pattern: LinearPattern | None = None

    def __bool__(self) -> bool:
        return bool(self.probes or self.soak or self.fail_pattern)


def _seconds(value: timedelta) -> str:
    return f"{value.total_seconds():g} s"


def exited(code: int | None, after: timedelta, soak: timedelta) -> str:
    """The sentence for a replacement that stopped ``after`` its start."""
    how = f"exited with code {code}" if code is not None else "stopped"
    within = f" within the {_seconds(soak)} soak" if soak else ""
    return f"{how} after {after.total_seconds():.1f} s{within}"


def restarted(after: timedelta, soak: timedelta) -> str:
    """The sentence for a replacement the engine restarted ``after`` its start."""
    within = f" within the {_seconds(soak)} soak" if soak else ""
    return f"restarted after {after.total_seconds():.1f} s{within}"


def log_matched(pattern: LinearPattern) -> str:
    """The sentence for a log line that matched the fail pattern (the line is not shown)."""
    return f"log line matched {quoted(pattern.pattern, _SHOWN)}"


def verify(client: object, container_id: str, checks: Checks) -> str:
    """Why a started replacement fails ``checks``, in words for a report; empty when it passes.

    A replacement with no checks passes without a call; one whose client
    cannot run them fails (:data:`UNCHECKED`): a check its owner asked for is
    never skipped in silence.
    """
    if not checks:
        return ""
    if not isinstance(client, ReplacementChecker):
        return f"its replacement's checks could not be run: {UNCHECKED}"
    try:
        why = client.check_replacement(container_id, checks)
    except Exception as error:
        return f"its replacement's checks could not be run: {error}"
    return f"its replacement failed a check: {why}" if why else ""


def read_checks(
    container_labels: Mapping[str, str], name: str, soak: timedelta
) -> tuple[Checks, tuple[str, ...]]:
    """The checks ``name``'s labels ask for, and one sentence per label that was ignored.

    ``soak`` is the run's (``UpdateParams.soak``), which the ``soak`` label
    overrides. Never raises for a label's value.
    """
    reader = _Reader(container_labels, name)
    probes = [
        probe for probe in (reader.http(), reader.tcp(), reader.command()) if probe is not None
    ]
    timeout = reader.duration(labels.PROBE_TIMEOUT, DEFAULT_PROBE_TIMEOUT)
    soak = reader.duration(labels.SOAK, soak)
    checks = Checks(tuple(probes), timeout, soak, reader.pattern())
    return checks, tuple(reader.problems)


class _Reader:
    """Reads the check labels of one container, noting each value it had to ignore."""

    def __init__(self, container_labels: Mapping[str, str], name: str) -> None:
        self.labels = container_labels
        self.name = name
        self.problems: list[str] = []

    def _raw(self, label: str) -> str:
        return (self.labels.get(label) or "").strip()

    def _ignore(self, label: str, why: str, fallback: str) -> None:
        raw = self.labels.get(label) or ""
        shown = raw if len(raw) <= _SHOWN else raw[:_SHOWN] + "..."
        self.problems.append(
            f"Container {self.name!r} has label {label}={shown!r}, which {why}; "
            f"{fallback} is used instead."
        )

    def http(self) -> Probe | None:
        raw = self._raw(labels.PROBE_HTTP)
        statuses = self.statuses(bool(raw))
        if not raw:
            return None
        why = ""
        try:
            url = urlsplit(raw)
            port = url.port
            host = (url.hostname or "").lower()
        except ValueError:
            why = "is not a URL such as http://:8080/health"
        else:
            if url.scheme.lower() != "http":
                why = "is no http:// URL (a probe speaks plain HTTP to the container)"
            elif url.username is not None or url.password is not None:
                why = "holds credentials, which a probe never sends"
            elif host not in OWN_HOSTS | _LOOPBACK_HOSTS and host != self.name.lower():
                why = (
                    f"names the host {host!r}, but a probe connects only to the container "
                    "itself (http://:PORT/path, or 127.0.0.1 with a port it publishes)"
                )
            elif host in _LOOPBACK_HOSTS and port is None:
                why = "names the host's loopback without the port the container publishes there"
            elif port == 0:
                why = "names port 0, which nothing listens on"
            elif _UNSENDABLE.search(url.path + url.query):
                why = "holds spaces or control characters, which a request line cannot carry"
        if why:
            self._ignore(labels.PROBE_HTTP, why, "no HTTP probe")
            return None
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        return Probe(
            ProbeKind.HTTP,
            raw,
            port=port or 80,
            path=path,
            loopback=host in _LOOPBACK_HOSTS,
            statuses=statuses,
        )

    def statuses(self, probed: bool) -> tuple[tuple[int, int], ...]:
        raw = self._raw(labels.PROBE_HTTP_STATUS)
        if not raw:
            return _DEFAULT_STATUSES
        if not probed:
            self._ignore(labels.PROBE_HTTP_STATUS, "needs a probe.http label", "nothing")
            return _DEFAULT_STATUSES
        ranges: list[tuple[int, int]] = []
        for part in raw.split(","):
            low, dash, high = part.strip().partition("-")
            bounds = (low.strip(), high.strip() if dash else low.strip())
            if not all(b.isascii() and b.isdigit() and len(b) == 3 for b in bounds):
                break
            first, last = int(bounds[0]), int(bounds[1])
            if not 100 <= first <= last <= 599:
                break
            ranges.append((first, last))
        else:
            return tuple(ranges)
        self._ignore(
            labels.PROBE_HTTP_STATUS,
            "is not a list of HTTP statuses or ranges such as 200,204 or 200-299",
            "200-399",
        )
        return _DEFAULT_STATUSES

    def tcp(self) -> Probe | None:
        raw = self._raw(labels.PROBE_TCP)
        if not raw:
            return None
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 65535:
            return Probe(ProbeKind.TCP, raw, port=int(raw))
        self._ignore(labels.PROBE_TCP, "is not a port from 1 to 65535", "no TCP probe")
        return None

    def command(self) -> Probe | None:
        raw = self._raw(labels.PROBE_CMD)
        return Probe(ProbeKind.CMD, raw) if raw else None

    def duration(self, label: str, fallback: timedelta) -> timedelta:
        raw = self._raw(label)
        if not raw:
            return fallback
        try:
            return parse_duration(raw)
        except DurationTooLongError:
            why = "is longer than any wait"
        except ValueError:
            why = "is not a duration such as 30s or 5m"
        self._ignore(label, why, _seconds(fallback))
        return fallback

    def pattern(self) -> LinearPattern | None:
        raw = self._raw(labels.FAIL_PATTERN)
        if not raw:
            return None
        try:
            return compile_pattern(raw)
        except ValueError as error:
            self._ignore(labels.FAIL_PATTERN, str(error), "no fail pattern")
            return None
