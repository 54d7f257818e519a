"""A replacement's own checks on a Docker engine: probes, a soak, a fail pattern.

:func:`check_replacement` runs what :class:`~watchtower.probes.Checks` asks
for, in order: each probe until it passes or the probes' budget ends, then
the soak until its end, reading the container's state every ``poll``
seconds. Its log is followed meanwhile, in a thread of its own, so that a
matching line fails it at once and each line is read once; one last read
of the whole log, at the end, matches what the follow had not reached yet.
HTTP and TCP probes connect only to the addresses the engine's inspect
answer gives the container (on each of its networks; the host's loopback
for a container on the host's network), or to a port it publishes on the
host's loopback; the label reader has already refused any other host.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import docker

from .._patterns import LinearPattern
from ..errors import ContainerError
from ..model import HookResult
from ..probes import Checks, Probe, ProbeKind, exited, log_matched, restarted
from ._errors import ENGINE_FAILURES, engine_errors, shown

__all__ = ["check_replacement"]

#: The longest one try of a probe may take, in seconds: a probe that hangs is
#: tried again within its budget, not waited for to its end.
ATTEMPT = 5.0
#: The loopback addresses a port published there is reached through.
_LOOPBACK_BINDINGS = frozenset({"", "0.0.0.0", "127.0.0.1", "::", "::1"})
#: The longest log line matched whole, in bytes; a longer one is matched in parts.
_LONGEST_LINE = 1 << 20
_FRACTION = re.compile(r"(\.\d{6})\d+")
_HookRunner = Callable[[str, str, timedelta], HookResult]


def check_replacement(
    api: docker.APIClient,
    container_id: str,
    checks: Checks,
    *,
    run_command: _HookRunner,
    poll: float,
    engine: str,
) -> str:
    """Run ``checks`` on the started container: empty when it passed, else why not.

    Args:
        api: The engine's docker-py client.
        container_id: The replacement, by id.
        checks: What it must pass.
        run_command: Runs a command in the container (the client's hook runner).
        poll: Seconds between two tries of a probe, and two looks during the soak.
        engine: The engine's address, as errors name it.

    Raises:
        ContainerError: Its state or log could not be read.
    """
    watch = _Watch(api, container_id, checks, engine)
    try:
        first = watch.inspect()
        deadline = time.monotonic() + checks.timeout.total_seconds()
        for probe in checks.probes:
            why = _probe_until(watch, probe, first, deadline, run_command, poll)
            if why:
                return why
        soak_end = time.monotonic() + (checks.soak - watch.age()).total_seconds()
        while True:
            why = watch.problem()
            if why:
                return why
            if time.monotonic() >= soak_end:
                return watch.whole_log_problem()
            time.sleep(min(poll, max(0.0, soak_end - time.monotonic())))
    finally:
        watch.close()


class _Watch:
    """The replacement's state and log, looked at again and again."""

    def __init__(
        self, api: docker.APIClient, container_id: str, checks: Checks, engine: str
    ) -> None:
        self.api = api
        self.id = container_id
        self.checks = checks
        self.engine = engine
        self.started: datetime | None = None
        self._follow = (
            _Follow(api, container_id, checks.fail_pattern) if checks.fail_pattern else None
        )

    def close(self) -> None:
        if self._follow is not None:
            self._follow.close()

    def inspect(self) -> Mapping[str, Any]:
        with engine_errors(
            f"inspect container {shown(self.id)!r}", ContainerError, engine=self.engine
        ):
            answer: Mapping[str, Any] = self.api.inspect_container(self.id)
        if self.started is None:
            self.started = _time((answer.get("State") or {}).get("StartedAt"))
        return answer

    def age(self) -> timedelta:
        """How long ago it started."""
        if self.started is None:
            return timedelta(0)
        return max(timedelta(0), datetime.now(timezone.utc) - self.started)

    def problem(self, answer: Mapping[str, Any] | None = None) -> str:
        """Why it fails now: it stopped, restarted, or logged a matching line; else empty."""
        answer = answer if answer is not None else self.inspect()
        state = answer.get("State") or {}
        soak = self.checks.soak
        if (
            state.get("Restarting")
            or answer.get("RestartCount")
            or (_time(state.get("StartedAt")) not in (None, self.started))
        ):
            return restarted(self.age(), soak)
        if not state.get("Running"):
            finished = _time(state.get("FinishedAt"))
            after = finished - self.started if finished and self.started else self.age()
            return exited(state.get("ExitCode"), max(after, timedelta(0)), soak)
        if self._follow is not None and self._follow.matched.is_set():
            return log_matched(self._follow.pattern)
        return ""

    def whole_log_problem(self) -> str:
        """A line of its whole log so far that matches the fail pattern; else empty."""
        pattern = self.checks.fail_pattern
        if pattern is None:
            return ""
        if self._follow is not None and self._follow.matched.is_set():
            return log_matched(pattern)
        doing = f"read the log of container {shown(self.id)!r}"
        with engine_errors(doing, ContainerError, engine=self.engine):
            raw = self.api.logs(self.id, stdout=True, stderr=True, stream=False)
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        if any(pattern.search(line) for line in text.splitlines()):
            return log_matched(pattern)
        return ""


class _Follow:
    """The container's log from its start, followed and matched line by line in a thread.

    Best effort: a follow that cannot start or breaks off leaves the last
    read of the whole log (:meth:`_Watch.whole_log_problem`) to find a line.
    """

    def __init__(self, api: docker.APIClient, container_id: str, pattern: LinearPattern) -> None:
        self.pattern = pattern
        self.matched = threading.Event()
        self._stream: Any = None
        with contextlib.suppress(*ENGINE_FAILURES):
            self._stream = api.logs(
                container_id, stdout=True, stderr=True, stream=True, follow=True
            )
        self._thread = threading.Thread(
            target=self._read, name=f"log-{shown(container_id)}", daemon=True
        )
        if self._stream is not None:
            self._thread.start()

    def _read(self) -> None:
        rest = b""
        with contextlib.suppress(Exception):  # closed by close(), or the engine went away
            for chunk in self._stream:
                *lines, rest = (rest + bytes(chunk)).split(b"\n")
                if len(rest) > _LONGEST_LINE:  # a line without an end is matched in parts
                    lines, rest = [*lines, rest], b""
                if any(self.pattern.search(line.decode(errors="replace")) for line in lines):
                    self.matched.set()
                    return
            if rest and self.pattern.search(rest.decode(errors="replace")):
                self.matched.set()

    def close(self) -> None:
        if self._stream is None:
            return
        with contextlib.suppress(Exception):  # an SSH connection cannot cancel a stream
            self._stream.close()
        self._thread.join(timeout=2.0)


def _time(text: object) -> datetime | None:
    """A time of the engine's inspect answer (RFC 3339, nanoseconds); None for its zero."""
    if not isinstance(text, str) or not text or text.startswith("0001-"):
        return None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _probe_until(
    watch: _Watch,
    probe: Probe,
    answer: Mapping[str, Any],
    deadline: float,
    run_command: _HookRunner,
    poll: float,
) -> str:
    """Try ``probe`` until it passes (empty) or the deadline; why it did not pass."""
    why = ""
    while True:
        trouble = watch.problem(answer)
        if trouble:
            return trouble
        left = deadline - time.monotonic()
        if probe.kind is ProbeKind.CMD:
            why = _command(run_command, watch.id, probe, max(left, 1.0))
        else:
            where, why = addresses(answer, probe)
            if not where:
                return f"{probe} {why}"
            why = _connect(probe, where, min(ATTEMPT, max(left, 0.5)))
        if not why:
            return ""
        if time.monotonic() + poll >= deadline:
            return f"{probe} {why}, until its {watch.checks.timeout.total_seconds():g} s timeout"
        time.sleep(poll)
        answer = watch.inspect()


def addresses(answer: Mapping[str, Any], probe: Probe) -> tuple[list[tuple[str, int]], str]:
    """Where ``probe`` may connect, by the container's inspect answer; or why nowhere.

    Its own address on each of its networks (the host's loopback on the
    host's network), or, for a probe on ``127.0.0.1``, the host's loopback
    when the container publishes that port there.
    """
    settings = answer.get("NetworkSettings") or {}
    if probe.loopback:
        for key, bindings in (settings.get("Ports") or {}).items():
            if not str(key).endswith("/tcp"):
                continue
            for binding in bindings or ():
                published = str(binding.get("HostPort") or "")
                if published == str(probe.port) and binding.get("HostIp", "") in _LOOPBACK_BINDINGS:
                    return [("127.0.0.1", probe.port)], ""
        return (
            [],
            f"cannot run: the container publishes no port {probe.port} on the host's loopback",
        )
    mode = str((answer.get("HostConfig") or {}).get("NetworkMode") or "")
    if mode == "host":
        return [("127.0.0.1", probe.port)], ""
    found = [
        (str(address), probe.port)
        for network in (settings.get("Networks") or {}).values()
        for address in ((network or {}).get("IPAddress"), (network or {}).get("GlobalIPv6Address"))
        if address
    ]
    if not found:
        return [], "cannot run: the container has no address of its own on any network"
    return found, ""


def _connect(probe: Probe, where: list[tuple[str, int]], timeout: float) -> str:
    """One try at each address: empty once one passes, else what the last one got."""
    why = ""
    for host, port in where:
        try:
            if probe.kind is ProbeKind.TCP:
                with socket.create_connection((host, port), timeout=timeout):
                    return ""
            status = _get(host, port, probe.path, timeout)
        except (OSError, http.client.HTTPException) as error:
            why = f"got no answer ({_reason(error)})"
            continue
        if probe.accepts(status):
            return ""
        why = f"answered {status}"
    return why


def _get(host: str, port: int, path: str, timeout: float) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read(65536)  # a short read: only the status counts
        return response.status
    finally:
        connection.close()


def _reason(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    return type(error).__name__ if not str(error) else str(error).splitlines()[0][:80]


def _command(run: _HookRunner, container_id: str, probe: Probe, timeout: float) -> str:
    try:
        result = run(container_id, probe.target, timedelta(seconds=min(timeout, 60.0)))
    except ContainerError as error:
        return f"could not run: {error}"
    if result.exit_code == 0:
        return ""
    if result.exit_code is None:
        return "timed out"
    return f"exited with code {result.exit_code}"
