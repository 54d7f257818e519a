"""A small threaded HTTP/1.1 server on a loopback address that stops cleanly.

``stop()`` closes open keep-alive connections and waits for every handler
thread, so no thread outlives its test (a thread still running while the
next test module is compiled can upset CPython 3.11's AST checks).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handle = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connections reset at stop are expected


class LoopbackServer:
    """Serves ``handle(request_handler)`` for every request, on ``host`` and a free port."""

    def __init__(
        self, handle: Handle, host: str = "127.0.0.1", *, tls: tuple[str, str] | None = None
    ) -> None:
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with outer._conns_lock:
                    outer._conns.add(self.connection)

            def finish(self) -> None:
                with outer._conns_lock:
                    outer._conns.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                if outer.stopping.is_set():
                    self.close_connection = True
                    return
                handle(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        self._httpd = _QuietServer((host, 0), Handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()  # joins the handler threads
        self._thread.join(10)
