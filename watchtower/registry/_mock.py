"""A transport that answers from a function: for tests, with no socket and no registry."""

from __future__ import annotations

from collections.abc import Callable

from ._transport import Request, Response


class MockTransport:
    """A :class:`~watchtower.registry.Transport` whose answers come from ``handler``.

    ``handler`` gets each :class:`~watchtower.registry.Request` and returns
    its :class:`~watchtower.registry.Response`; it may raise
    :class:`~watchtower.registry.TransportError` to play an unreachable host.
    It sees every request the client sends, redirects and retries included,
    so a test can record them and check what went where:

    .. code-block:: python

        from watchtower.registry import HttpRegistry, MockTransport, Response

        seen = []

        def registry(request):
            seen.append(request)
            return Response(200, {"Docker-Content-Digest": "sha256:" + "a" * 64})

        client = HttpRegistry(transport=MockTransport(registry))

    The handler is called from several threads when the client is, so it
    must be thread-safe if it keeps state (appending to a list is).

    Args:
        handler: Answers one request.
    """

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self._handler = handler

    def send(self, request: Request) -> Response:
        """The handler's answer to ``request``."""
        return self._handler(request)
