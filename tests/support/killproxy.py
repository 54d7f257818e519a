"""A unix-socket proxy in front of the engine that SIGKILLs its client at a chosen request.

``KillProxy(engine_socket, own_socket)`` passes the engine's HTTP API
through, request by request. ``arm(pid, method, pattern, after=...)`` makes
the first request whose method and target match kill process ``pid`` with
SIGKILL: *after* the engine answered it (the step took effect, the process
never learns it) or *before* it reaches the engine. ``freeze(method,
pattern)`` makes the engine stop answering instead, as a hung engine does:
the first matching request and every later one are held, never forwarded
nor answered, until ``thaw()``. The process under test is the real command
line, unchanged: nothing in the package knows about it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import attrs

_HEAD_END = b"\r\n\r\n"


@attrs.define
class _Trap:
    pid: int
    method: str
    pattern: re.Pattern[str]
    after: bool


@attrs.define
class _Connection:
    client: socket.socket
    upstream: socket.socket
    trap: _Trap | None = None  # sprung by a request; its answer kills


@contextlib.contextmanager
def proxy_of(engine_socket: str, prefix: str) -> Iterator[KillProxy]:
    """A :class:`KillProxy` of ``engine_socket`` for the block, thawed and closed after it."""
    # A unix socket path must be short: not under pytest's deep tmp_path.
    with tempfile.TemporaryDirectory(prefix=prefix, dir="/tmp") as where:
        server = KillProxy(Path(engine_socket), Path(where) / "docker.sock")
        try:
            yield server
        finally:
            server.thaw()
            server.close()


class KillProxy:
    """Forwards a unix socket to the engine's, and kills a process at a chosen request.

    Args:
        upstream: The engine's socket.
        path: Where this proxy listens.
    """

    def __init__(self, upstream: Path, path: Path) -> None:
        self.upstream = upstream
        self.path = path
        self.fired = threading.Event()
        self.seen: list[str] = []
        self._trap: _Trap | None = None
        self._freeze: tuple[str, re.Pattern[str]] | None = None
        self.frozen = threading.Event()
        self._held: list[_Connection] = []
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """The proxy's address, for ``--host``."""
        return f"unix://{self.path}"

    def arm(self, pid: int, method: str, pattern: str, *, after: bool) -> None:
        """Kill ``pid`` at the first ``method`` request whose target matches ``pattern``."""
        with self._lock:
            self._trap = _Trap(pid, method, re.compile(pattern), after)
            self.fired.clear()

    def freeze(self, method: str, pattern: str) -> None:
        """Answer nothing from the first ``method`` request whose target matches ``pattern`` on."""
        with self._lock:
            self._freeze = (method, re.compile(pattern))

    def thaw(self) -> None:
        """Forward again; the requests held meanwhile are dropped with their connections."""
        with self._lock:
            self._freeze = None
            self.frozen.clear()
            held, self._held = self._held, []
        for connection in held:
            _shut(connection.client, connection.upstream)

    def _holds(self, method: str, target: str, connection: _Connection) -> bool:
        """True when the engine "does not answer" this request: it is held instead."""
        with self._lock:
            wanted = self._freeze
            if not self.frozen.is_set():
                if wanted is None or wanted[0] != method or not wanted[1].search(target):
                    return False
                self.frozen.set()
            self._held.append(connection)
            return True

    def close(self) -> None:
        """Stop listening."""
        with contextlib.suppress(OSError):
            self._server.close()
        with contextlib.suppress(OSError):
            self.path.unlink()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(str(self.upstream))
            except OSError:
                client.close()
                continue
            connection = _Connection(client, upstream)
            threading.Thread(target=self._requests, args=(connection,), daemon=True).start()
            threading.Thread(target=self._answers, args=(connection,), daemon=True).start()

    def _kill(self, trap: _Trap) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(trap.pid, signal.SIGKILL)
        self.fired.set()

    def _springs(self, method: str, target: str) -> _Trap | None:
        """The armed trap, disarmed, when this request springs it."""
        with self._lock:
            self.seen.append(f"{method} {target}")
            trap = self._trap
            if trap is None or trap.method != method or not trap.pattern.search(target):
                return None
            self._trap = None
            return trap

    def _requests(self, connection: _Connection) -> None:
        """Client to engine, one parsed request at a time."""
        client, upstream = connection.client, connection.upstream
        buffer = b""
        held = False
        try:
            while True:
                while _HEAD_END not in buffer:
                    data = client.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, rest = buffer.partition(_HEAD_END)
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {
                    key.strip().lower(): value.strip()
                    for key, _, value in (line.partition(":") for line in lines[1:])
                }
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    # Not used for the calls under test: pass the rest through as is.
                    upstream.sendall(buffer)
                    while data := client.recv(65536):
                        upstream.sendall(data)
                    return
                length = int(headers.get("content-length") or 0)
                while len(rest) < length:
                    data = client.recv(65536)
                    if not data:
                        return
                    rest += data
                request, buffer = head + _HEAD_END + rest[:length], rest[length:]
                trap = self._springs(method, target)
                if trap is not None and not trap.after:
                    self._kill(trap)
                    return
                if self._holds(method, target, connection):
                    held = True  # left open and unanswered, until thaw()
                    return
                connection.trap = trap
                upstream.sendall(request)
        except OSError:
            return
        finally:
            if not held:
                _shut(client, upstream)

    def _answers(self, connection: _Connection) -> None:
        """Engine to client; the answer to a trapped request kills the client instead."""
        client, upstream = connection.client, connection.upstream
        try:
            while data := upstream.recv(65536):
                if connection.trap is not None:
                    self._kill(connection.trap)
                    return
                client.sendall(data)
        except OSError:
            return
        finally:
            _shut(client, upstream)


def _shut(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()
