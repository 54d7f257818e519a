"""The HTTP API's front door: a worker thread only ever gets a request that is all in.

cheroot hands a connection to one of its few worker threads as soon as a
byte arrives, and the worker then waits for the rest of the request: a
handful of clients that drip their headers or their body hold every
worker, and ``/livez`` with them. With TLS it is worse: cheroot shakes
hands on the thread that accepts connections, so a few silent clients
stop the whole server.

:class:`GuardedServer` keeps each connection at the door, one thread
watching every socket at the door with a selector, until its whole
request (line, headers and body, framed as :mod:`watchtower.cli.framing`
reads it) has been read, then puts those bytes back in front of the
connection's reader and hands it to a worker, which reads them from
memory. TLS connections shake hands at the door too, within
:data:`HANDSHAKE_TIMEOUT` seconds. Headers over
:data:`~watchtower.cli.framing.MAX_HEADER_BYTES` get ``431``, bodies over
:data:`~watchtower.cli.framing.MAX_BODY_BYTES` get ``413``, a request not
all in within :data:`REQUEST_TIMEOUT` seconds gets ``408``; past
:data:`MAX_WAITING` connections at the door, the oldest is closed. So the
door's memory is bounded too: at most :data:`MAX_WAITING` requests of
bounded size.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from cheroot import errors as cheroot_errors
from cheroot import wsgi
from cheroot.server import HTTPConnection as _Connection
from cheroot.server import HTTPRequest
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .framing import (
    CONTINUE,
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    BadRequest,
    RequestFrame,
    TooLarge,
)

if TYPE_CHECKING:
    from cheroot.server import HTTPConnection

__all__ = [
    "HANDSHAKE_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_WAITING",
    "REQUEST_TIMEOUT",
    "DeferredTLSAdapter",
    "GuardedServer",
    "redacted",
]

REQUEST_TIMEOUT = 10.0
"""Seconds a client has to send its whole request (line, headers and body)."""

HANDSHAKE_TIMEOUT = 10.0
"""Seconds a TLS client has to finish its handshake."""

MAX_WAITING = 512
"""Connections kept at the door at once; past it the oldest is closed."""

_TICK = 0.25  # longest sleep of the door between two looks at the deadlines

# Secrets that travel in a request's target: Docker Hub's push secret in the
# path, the events token in the query.
_SECRET_IN_TARGET = re.compile(r"(/v1/push/dockerhub/|access_token=)[^\s/?&#\"']+")


# The attribute of a connection that says how many bytes after its request are the next one's.
_SURPLUS = "_watchtower_surplus"

_EXPECT = re.compile(rb"(?im)^expect:[ \t]*100-continue[ \t]*\r?\n")


def redacted(text: str) -> str:
    """``text`` with any push secret or token carried in a request target shown as ``***``."""
    return _SECRET_IN_TARGET.sub(r"\1***", text)


def _answer(status: str, text: str) -> bytes:
    # JSON as every error answer of the API, though it is written before the app sees it.
    body = json.dumps({"error": text}).encode() + b"\n"
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_REFUSALS = {
    400: _answer("400 Bad Request", "malformed request framing"),
    413: _answer("413 Request Entity Too Large", "request body too large"),
    431: _answer("431 Request Header Fields Too Large", "request headers too large"),
}
_TOO_SLOW = _answer("408 Request Timeout", "request not received in time")


class DeferredTLSAdapter(BuiltinSSLAdapter):
    """cheroot's TLS adapter, whose handshake is left to the door instead of the accept loop."""

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, Any]]:
        """Wrap ``sock`` without shaking hands; the WSGI entries come after the handshake."""
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, {}


class _JsonRequest(HTTPRequest):
    """cheroot's request, whose own refusals (a malformed request line...) are JSON too."""

    def simple_response(self, status: int | str, msg: str = "") -> None:
        """Write ``status`` and, for an error, ``{"error": msg}`` as JSON."""
        status = str(status)
        if not (status[:3].isdigit() and int(status[:3]) >= 400):
            super().simple_response(status, msg)
            return
        body = json.dumps({"error": str(msg).strip() or status[4:] or "bad request"}).encode()
        head = [f"{self.server.protocol} {status}", f"Content-Length: {len(body)}"]
        head.append("Content-Type: application/json")
        if status[:3] in ("413", "414"):
            self.close_connection = True
            head.append("Connection: close")
        try:
            self.conn.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        except OSError as ex:
            if ex.args and ex.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise


class _JsonConnection(_Connection):
    """cheroot's connection, with :class:`_JsonRequest` for its requests."""

    RequestHandlerClass = _JsonRequest


class _Visitor:
    """A connection at the door: what it sent so far and when it must be done."""

    def __init__(self, conn: HTTPConnection, frame: RequestFrame) -> None:
        self.conn = conn
        self.frame = frame
        self.shaking = isinstance(conn.socket, ssl.SSLSocket) and not conn.ssl_env
        wait = HANDSHAKE_TIMEOUT if self.shaking else REQUEST_TIMEOUT
        self.deadline = time.monotonic() + wait
        self.continued = False


class GuardedServer(wsgi.Server):
    """A cheroot WSGI server whose workers only get requests that are all in.

    Takes :class:`cheroot.wsgi.Server`'s arguments, and ``logger`` for
    cheroot's own error lines (request targets in them are
    :func:`redacted`).
    """

    ConnectionClass = _JsonConnection

    def __init__(self, *args: Any, logger: logging.Logger | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._logger = logger or logging.getLogger("watchtower.cli.api")
        # The door answers first; cheroot's bounds stay as a second line.
        self.max_request_header_size = MAX_HEADER_BYTES * 2
        self.max_request_body_size = MAX_BODY_BYTES
        # cheroot's backlog of 5 drops connections as soon as a few clients linger.
        self.request_queue_size = max(self.request_queue_size, 128)
        self._arrivals: deque[tuple[HTTPConnection, bytes]] = deque()
        self._waiting: dict[int, _Visitor] = {}  # by file descriptor, oldest first
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = threading.Event()
        self._door = threading.Thread(target=self._keep_door, name="watchtower-api-door")
        self._door.daemon = True

    def prepare(self) -> None:
        """Bind the socket and open the door."""
        super().prepare()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._door.start()

    def stop(self) -> None:
        """Stop serving; connections still at the door are closed."""
        self._stopping.set()
        self._wake()
        if self._door.is_alive():
            self._door.join(timeout=5)
        while self._arrivals:
            _close(self._arrivals.popleft()[0])
        for visitor in list(self._waiting.values()):
            self._leave(visitor)
            _close(visitor.conn)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
        super().stop()

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        """cheroot's error lines, to ``logger``, with secrets in request targets hidden."""
        if traceback:
            import traceback as tb

            msg = f"{msg}\n{tb.format_exc()}".rstrip()
        self._logger.log(level, "%s", redacted(str(msg)))

    def process_conn(self, conn: HTTPConnection) -> None:
        """Keep ``conn`` at the door until its request is all in (cheroot calls this)."""
        early = _next_bytes(conn)
        end = _end(early)
        if end is not None:  # a kept-alive connection's next request, all in already
            self._hand_over(conn, early, end)
            return
        self._arrivals.append((conn, early))
        self._wake()

    def _hand_over(self, conn: HTTPConnection, data: bytes, end: int, continued: int = 0) -> None:
        """Give a worker ``conn`` with its request, ``data[:end]``, in memory.

        ``continued`` is the length of the header block when the door has
        answered its ``Expect: 100-continue``, which the worker must not
        answer again.
        """
        setattr(conn, _SURPLUS, len(data) - end)  # the start of a pipelined next request
        if continued:
            data = _EXPECT.sub(b"", data[:continued]) + data[continued:]
        _prefill(conn, data)
        super().process_conn(conn)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _keep_door(self) -> None:
        next_sweep = 0.0
        while not self._stopping.is_set():
            for key, _events in self._selector.select(_TICK):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                else:
                    try:
                        self._serve(key.data)
                    except Exception:  # one client's trouble must not close the door
                        self._logger.exception("The HTTP API's door failed on a connection")
                        self._leave(key.data)
                        _close(key.data.conn)
            self._admit()
            now = time.monotonic()
            if now >= next_sweep:
                next_sweep = now + 0.05
                for visitor in [v for v in self._waiting.values() if v.deadline < now]:
                    self._refuse(visitor, b"" if visitor.shaking else _TOO_SLOW)

    def _admit(self) -> None:
        while self._arrivals:
            conn, early = self._arrivals.popleft()
            visitor = _Visitor(conn, RequestFrame())
            try:
                conn.socket.setblocking(False)
                self._selector.register(conn.socket, selectors.EVENT_READ, visitor)
            except (OSError, ValueError):
                _close(conn)
                continue
            self._waiting[conn.socket.fileno()] = visitor
            if len(self._waiting) > MAX_WAITING:
                oldest = next(iter(self._waiting.values()))
                self._leave(oldest)
                _close(oldest.conn)
            if early:
                self._take(visitor, early)

    def _leave(self, visitor: _Visitor) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._waiting.pop(visitor.conn.socket.fileno(), None)
            self._selector.unregister(visitor.conn.socket)

    def _serve(self, visitor: _Visitor) -> None:
        sock = visitor.conn.socket
        if visitor.shaking:
            if not self._shake(visitor):
                return
            visitor.deadline = time.monotonic() + REQUEST_TIMEOUT
        while True:
            room = visitor.frame.limit - len(visitor.frame.data) + 1
            try:
                piece = sock.recv(max(room, 1))
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
                return
            except (OSError, ssl.SSLError):
                piece = b""
            if not piece:  # the client left
                self._leave(visitor)
                _close(visitor.conn)
                return
            if self._take(visitor, piece):
                return

    def _shake(self, visitor: _Visitor) -> bool:
        """Go on with ``visitor``'s handshake; True once it is done."""
        sock: Any = visitor.conn.socket
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            return False
        except ssl.SSLWantWriteError:
            self._selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, visitor)
            return False
        except (OSError, ValueError):
            self._leave(visitor)
            _close(visitor.conn)
            return False
        self._selector.modify(sock, selectors.EVENT_READ, visitor)
        adapter: Any = self.ssl_adapter
        visitor.conn.ssl_env = adapter.get_environ(sock)
        visitor.shaking = False
        return True

    def _take(self, visitor: _Visitor, piece: bytes) -> bool:
        """Add ``piece`` to ``visitor``'s request; True once it has left the door."""
        frame = visitor.frame
        try:
            end = frame.feed(piece)
        except TooLarge as error:
            self._refuse(visitor, _REFUSALS[error.status])
            return True
        except BadRequest:
            self._refuse(visitor, _REFUSALS[400])
            return True
        if end is None:
            if frame.expects_continue and frame.body_pending and not visitor.continued:
                # The client waits for this before sending its body.
                visitor.continued = True
                with contextlib.suppress(OSError):
                    visitor.conn.socket.send(CONTINUE)
            return False
        self._leave(visitor)
        conn = visitor.conn
        try:
            conn.socket.settimeout(self.timeout)
        except OSError:
            _close(conn)
            return True
        continued = frame.head_length if visitor.continued else 0
        self._hand_over(conn, bytes(frame.data), end, continued)
        return True

    def _refuse(self, visitor: _Visitor, answer: bytes) -> None:
        self._leave(visitor)
        sock = visitor.conn.socket
        if answer:
            with contextlib.suppress(OSError, ValueError):
                sock.settimeout(1.0)
                sock.sendall(answer)
                # Closing with unread bytes would reset the connection, and the
                # client could lose the answer: read what came, then close.
                sock.setblocking(False)
                for _ in range(64):
                    if not sock.recv(65536):
                        break
        _close(visitor.conn)


def _end(data: bytes) -> int | None:
    """Where the request that ``data`` starts ends, if it is all in (refusals are the door's)."""
    if not data:
        return None
    try:
        return RequestFrame().feed(data)
    except (TooLarge, BadRequest):
        return None


def _next_bytes(conn: HTTPConnection) -> bytes:
    """Take what ``conn``'s reader holds of the next request, dropping the last one's rest.

    The reader holds what the door put there: the last request, of which
    the application may have left some body unread (cheroot does not skip
    an unread chunked body), then the next request's start.
    """
    reader: Any = conn.rfile
    if not reader.has_data():
        return b""
    buffered = bytes(reader.peek())  # no reading from the socket: the buffer is not empty
    reader.read(len(buffered))
    keep = getattr(conn, _SURPLUS, len(buffered))
    return buffered[len(buffered) - keep :] if keep else b""


def _prefill(conn: HTTPConnection, data: bytes) -> None:
    """Put ``data`` back in front of ``conn``'s reader, for the worker to read from memory.

    cheroot's reader is a pure-Python ``BufferedReader`` (``_pyio``), whose
    buffer cheroot itself looks at (``has_data``).
    """
    if not data:
        return
    reader: Any = conn.rfile
    with reader._read_lock:
        reader._read_buf = data + reader._read_buf[reader._read_pos :]
        reader._read_pos = 0


def _close(conn: HTTPConnection) -> None:
    with contextlib.suppress(OSError):
        conn.socket.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()
