"""The HTTP API's front door: a request reaches a worker thread only once its headers are in.

cheroot hands a connection to one of its few worker threads as soon as a
byte arrives, and the worker then waits for the rest of the headers: a
handful of clients that drip a header line every few seconds hold every
worker, and ``/livez`` with them. :class:`GuardedServer` keeps each new
plain-HTTP connection at the door, looking at what has arrived without
reading it (``MSG_PEEK``), until its header block is complete. Headers
that grow past :data:`MAX_HEADER_BYTES` get ``431``; headers not complete
within :data:`HEADER_TIMEOUT` seconds get ``408``; past
:data:`MAX_WAITING` connections at the door, the oldest is closed. Bodies
over :data:`MAX_BODY_BYTES` get cheroot's own ``413``.

A TLS connection goes straight through: its bytes cannot be looked at
before they are decrypted, so it is bounded by cheroot's timeouts only.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any, Literal

from cheroot import wsgi

if TYPE_CHECKING:
    from cheroot.server import HTTPConnection

__all__ = [
    "HEADER_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_WAITING",
    "GuardedServer",
]

MAX_HEADER_BYTES = 16 * 1024
"""The largest request line and headers accepted, in bytes."""

MAX_BODY_BYTES = 64 * 1024
"""The largest request body accepted, in bytes (the API's requests have none)."""

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send its whole request line and headers."""

MAX_WAITING = 512
"""Connections kept at the door at once; past it the oldest is closed."""

_POLL = 0.02  # seconds between two looks at the waiting connections


def _answer(status: str, text: str) -> bytes:
    body = text.encode() + b"\n"
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_TOO_LARGE = _answer("431 Request Header Fields Too Large", "request headers too large")
_TOO_SLOW = _answer("408 Request Timeout", "request headers not received in time")


class GuardedServer(wsgi.Server):
    """A cheroot WSGI server whose workers only see requests whose headers are complete.

    Takes :class:`cheroot.wsgi.Server`'s arguments.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # cheroot's own header bound answers 413; the door answers 431 first.
        self.max_request_header_size = MAX_HEADER_BYTES * 2
        self.max_request_body_size = MAX_BODY_BYTES
        # cheroot's backlog of 5 drops connections as soon as a few clients linger.
        self.request_queue_size = max(self.request_queue_size, 128)
        self._waiting: dict[HTTPConnection, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._door = threading.Thread(target=self._keep_door, name="watchtower-api-door")
        self._door.daemon = True

    def prepare(self) -> None:
        """Bind the socket and open the door."""
        super().prepare()
        self._door.start()

    def stop(self) -> None:
        """Stop serving; connections still at the door are closed."""
        self._stopping.set()
        if self._door.is_alive():
            self._door.join(timeout=5)
        with self._lock:
            waiting, self._waiting = list(self._waiting), {}
        for conn in waiting:
            _close(conn)
        super().stop()

    def process_conn(self, conn: HTTPConnection) -> None:
        """Hand ``conn`` to a worker once its headers are in (cheroot calls this)."""
        if isinstance(conn.socket, ssl.SSLSocket) or conn.rfile.has_data():
            super().process_conn(conn)
            return
        # Looked at without blocking while at the door; cheroot's timeout again after.
        conn.socket.setblocking(False)
        with self._lock:
            self._waiting[conn] = time.monotonic() + HEADER_TIMEOUT
            if len(self._waiting) > MAX_WAITING:
                oldest = next(iter(self._waiting))
                del self._waiting[oldest]
            else:
                oldest = None
        if oldest is not None:
            _close(oldest)

    def _keep_door(self) -> None:
        while not self._stopping.wait(_POLL):
            now = time.monotonic()
            with self._lock:
                waiting = list(self._waiting.items())
            for conn, deadline in waiting:
                verdict = _look(conn, now > deadline)
                if verdict is None:
                    continue
                with self._lock:
                    if self._waiting.pop(conn, None) is None:
                        continue
                if verdict is True:
                    conn.socket.settimeout(self.timeout)
                    super().process_conn(conn)
                else:
                    _refuse(conn, verdict)


def _look(conn: HTTPConnection, late: bool) -> Literal[True] | bytes | None:
    """True when ``conn``'s headers are in; an answer to refuse it with; None to wait."""
    try:
        seen = conn.socket.recv(MAX_HEADER_BYTES + 1, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError):
        seen = None
    except OSError:
        return b""
    if seen == b"":
        return b""  # the client left
    if seen is not None:
        if b"\r\n\r\n" in seen or b"\n\n" in seen:
            return True
        if len(seen) > MAX_HEADER_BYTES:
            return _TOO_LARGE
    return _TOO_SLOW if late else None


def _refuse(conn: HTTPConnection, answer: bytes) -> None:
    if answer:
        with contextlib.suppress(OSError):
            conn.socket.settimeout(1.0)
            conn.socket.sendall(answer)
            # Closing with unread bytes would reset the connection, and the
            # client could lose the answer: read what came, then close.
            conn.socket.setblocking(False)
            for _ in range(64):
                if not conn.socket.recv(65536):
                    break
    _close(conn)


def _close(conn: HTTPConnection) -> None:
    with contextlib.suppress(OSError):
        conn.socket.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()
