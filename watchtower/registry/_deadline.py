"""A whole-request deadline for requests: a watchdog that cuts a request too slow in all.

requests' timeouts count per socket read, so a server that drips a byte
every few seconds holds a request for as long as it likes. A
:class:`DeadlineAdapter` notes, per thread, the connection each request
goes out on; :func:`watch` arms a timer that shuts that connection's socket
when the deadline passes, so the blocked read ends with an error at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Watch:
    """One request's deadline: which connection to cut, and whether it was cut."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: HTTPConnection | None = None
        self._done = False
        self.expired = False

    def attach(self, conn: HTTPConnection) -> None:
        """The request goes out on ``conn`` (a redirect-free request uses one)."""
        with self._lock:
            self._conn = conn

    def expire(self) -> None:
        """Cut the connection, unless the request is already over."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = getattr(self._conn, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        """The request is over: its connection may go back to the pool untouched."""
        with self._lock:
            self._done = True


@contextlib.contextmanager
def watch(seconds: float) -> Iterator[Watch]:
    """Cut the request this thread sends within the block once ``seconds`` have passed.

    Leave the block only after the body is read: the connection must not go
    back to the pool while the timer may still cut it.
    """
    current = Watch()
    timer = threading.Timer(seconds, current.expire)
    timer.daemon = True
    _current.watch = current
    timer.start()
    try:
        yield current
    finally:
        current.finish()
        timer.cancel()
        _current.watch = None


def _note(conn: HTTPConnection) -> None:
    current: Watch | None = getattr(_current, "watch", None)
    if current is not None:
        current.attach(conn)


class _Connection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _note(self)
        super().request(*args, **kwargs)


class _TLSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _note(self)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections :func:`watch` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
