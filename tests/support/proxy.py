"""A loopback proxy that passes requests to a server and injects faults on the way.

``FaultProxy(upstream)`` forwards everything to ``upstream`` (a base URL)
after ``delay`` seconds. ``add(Fault(...))`` makes matching requests answer
otherwise: a status (429 with Retry-After, 500), a redirect, a slow answer, a
rewritten header (a bad challenge) or body (a bad token answer).
``RecordingServer`` is "another host" that records whatever reaches it.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

import attrs

from .httpserver import LoopbackServer

_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
}


@attrs.frozen
class Seen:
    """A request as it arrived."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes = b""


@attrs.define
class Fault:
    """What to do instead of (or on top of) forwarding a matching request.

    Attributes:
        path: A regular expression the request path (with query) must match.
        method: The method it must have, or ``None`` for any.
        times: How many matching requests it applies to (``None``: all).
        status: Answer with this status instead of forwarding.
        headers: Headers of that answer, or headers to overwrite in the
            upstream answer when ``status`` is ``None``.
        body: The body of that answer, or the body that replaces upstream's.
        delay: Seconds to wait before answering.
    """

    path: str = ".*"
    method: str | None = None
    times: int | None = None
    status: int | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: bytes | None = None
    delay: float = 0.0
    used: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        return re.search(self.path, path) is not None


class _Server:
    def __init__(self, host: str, tls: tuple[str, str] | None = None) -> None:
        self._server = LoopbackServer(self.handle, host, tls=tls)
        self.host = host
        self.port = self._server.port
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    @property
    def address(self) -> str:
        return self._server.address

    @property
    def url(self) -> str:
        return self._server.url

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        self._server.stopping.wait(seconds)

    def record(self, handler: BaseHTTPRequestHandler) -> Seen:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        seen = Seen(handler.command, handler.path, dict(handler.headers.items()), body)
        with self.lock:
            self.seen.append(seen)
        return seen

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _answer(
    handler: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        if name.lower() not in _HOP and name.lower() != "content-length":
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and body:
        handler.wfile.write(body)


class FaultProxy(_Server):
    """Forwards to ``upstream`` (``http://127.0.0.1:5000``), applying faults."""

    def __init__(
        self,
        upstream: str,
        *,
        delay: float = 0.0,
        host: str = "127.0.0.1",
        tls: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(host, tls)
        parts = urllib.parse.urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.delay = delay
        self.faults: list[Fault] = []
        self._local = threading.local()

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.used += 1
                    return fault
        return None

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
            self._local.conn = conn
        return conn

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        seen = self.record(handler)
        fault = self._fault_for(seen.method, seen.path)
        wait = self.delay + (fault.delay if fault else 0.0)
        if wait:
            self.wait(wait)
        if fault is not None and fault.status is not None:
            _answer(handler, fault.status, fault.headers, fault.body or b"")
            return
        headers = {k: v for k, v in seen.headers.items() if k.lower() not in _HOP}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(seen.method, seen.path, body=seen.body or None, headers=headers)
                upstream = conn.getresponse()
                body = upstream.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    _answer(handler, 502, {}, b"upstream unreachable")
                    return
        answer_headers = dict(upstream.getheaders())
        if fault is not None:
            # Header names are case-insensitive: replace, never duplicate.
            overridden = {name.lower() for name in fault.headers}
            answer_headers = {
                k: v for k, v in answer_headers.items() if k.lower() not in overridden
            }
            answer_headers.update(fault.headers)
            if fault.body is not None:
                body = fault.body
        if seen.method == "HEAD":
            # Keep upstream's Content-Length for HEAD: there is no body to count.
            handler.send_response(upstream.status)
            for name, value in answer_headers.items():
                if name.lower() not in _HOP:
                    handler.send_header(name, value)
            handler.end_headers()
            return
        _answer(handler, upstream.status, answer_headers, body)


class RecordingServer(_Server):
    """Another host: records every request and answers ``status``/``headers``/``body``."""

    def __init__(
        self,
        host: str = "127.0.0.2",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"{}",
    ) -> None:
        super().__init__(host)
        self.status = status
        self.headers = dict(headers or {})
        self.body = body

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        self.record(handler)
        _answer(handler, self.status, self.headers, self.body)


def main() -> None:
    """Run a delaying proxy in its own process: ``python -m tests.support.proxy UPSTREAM DELAY``.

    Prints the proxy's address on one line, then serves until stdin closes.
    Benchmarks use this so the proxy does not share the measured process's GIL.
    """
    import sys

    upstream, delay = sys.argv[1], float(sys.argv[2])
    proxy = FaultProxy(upstream, delay=delay)
    print(proxy.address, flush=True)
    try:
        sys.stdin.read()
    finally:
        proxy.stop()


if __name__ == "__main__":
    main()
