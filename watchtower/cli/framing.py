"""Where an HTTP/1.1 request ends, read as its bytes arrive: the front door's parser.

The API's front door (:mod:`watchtower.cli.guard`) holds a connection
until its whole request (line, headers and body) is in, so that a worker
thread never waits on a slow client. :class:`RequestFrame` is told each
piece that arrives and says whether the request is complete, still
coming, or refused; its framing follows cheroot's own (a Content-Length,
or ``Transfer-Encoding: chunked`` on HTTP/1.1), so that what the door
hands over is exactly what the worker reads.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "CHUNK_OVERHEAD",
    "CONTINUE",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "BadRequest",
    "RequestFrame",
    "TooLarge",
    "body_framing",
]

MAX_HEADER_BYTES: Final = 16 * 1024
"""The largest request line and headers accepted, in bytes."""

MAX_BODY_BYTES: Final = 64 * 1024
"""The largest request body accepted, in bytes (decoded, for a chunked body)."""

CHUNK_OVERHEAD: Final = 16 * 1024
"""Bytes of chunk-size lines and trailers allowed on top of a chunked body."""

_MAX_SIZE_LINE = 1024  # a chunk-size line with its extensions

#: The interim answer to ``Expect: 100-continue``.
CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"


class TooLarge(Exception):
    """The request's headers (``431``) or body (``413``) are over the bounds."""

    def __init__(self, status: Literal[413, 431]) -> None:
        super().__init__(status)
        self.status = status


class BadRequest(Exception):
    """The request's framing cannot be read (``400``)."""


Chunked = Literal["chunked"]


def body_framing(head: bytes) -> int | Chunked:
    """How the body after the header block ``head`` is framed: its length, or chunked.

    Mirrors cheroot: ``Transfer-Encoding`` counts on HTTP/1.1 only, and a
    request whose framing cheroot refuses before reading any body (an
    unreadable length, a coding other than chunked) is framed as no body,
    for cheroot to answer.

    Raises:
        TooLarge: The declared length is over :data:`MAX_BODY_BYTES`.
        BadRequest: A negative length, or two Content-Length headers.
    """
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    http11 = not lines[0].rstrip().endswith(b"HTTP/1.0")
    lengths: list[bytes] = []
    codings: list[bytes] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        key = name.strip().lower()
        if key == b"content-length":
            lengths.append(value.strip())
        elif key == b"transfer-encoding":
            codings.extend(c.strip().lower() for c in value.split(b",") if c.strip())
    if len(lengths) > 1:
        raise BadRequest("two Content-Length headers")
    length = 0
    if lengths:
        try:
            length = int(lengths[0])
        except ValueError:
            return 0  # cheroot answers 400 before reading a body
        if length < 0:
            raise BadRequest("a negative Content-Length")
        if length > MAX_BODY_BYTES:
            raise TooLarge(413)
    if http11 and codings:
        return "chunked" if all(c == b"chunked" for c in codings) else 0
    return length


def _header_end(data: bytearray, start: int) -> int:
    """The index just past the header block's blank line, or -1."""
    ends = [
        found + len(mark)
        for mark in (b"\r\n\r\n", b"\n\n")
        if (found := data.find(mark, start)) >= 0
    ]
    return min(ends) if ends else -1


class RequestFrame:
    """One request's bytes as they arrive, and where it ends.

    Call :meth:`feed` with each piece; :attr:`data` holds all of them.
    The request is complete when :meth:`feed` returns its length (bytes
    after it are the next request's); ``None`` means more is to come.

    Args:
        data: Bytes already received (a pipelined request's start).
    """

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray()
        self.head_length = -1  # unknown until the blank line is in
        self.expects_continue = False
        self._framing: int | Chunked = 0
        self._scanned = 0  # where the search for the header end resumes
        self._chunk_at = 0  # start of the next chunk-size line (chunked bodies)
        self._decoded = 0
        self._trailer = False
        if data:
            self.feed(data)

    @property
    def limit(self) -> int:
        """The most bytes this request may take, to read no further than needed."""
        if self.head_length < 0:
            return MAX_HEADER_BYTES
        if self._framing == "chunked":
            return self.head_length + MAX_BODY_BYTES + CHUNK_OVERHEAD
        return self.head_length + self._framing

    @property
    def body_pending(self) -> bool:
        """True when the headers are in and the body is still to come."""
        return self.head_length >= 0 and len(self.data) <= self.head_length

    def feed(self, piece: bytes) -> int | None:
        """Add ``piece``; the request's length once complete, else ``None``.

        Raises:
            TooLarge: Headers or body over the bounds.
            BadRequest: The framing cannot be read.
        """
        self.data += piece
        if self.head_length < 0:
            end = _header_end(self.data, max(0, self._scanned - 3))
            if end < 0 or end > MAX_HEADER_BYTES:
                self._scanned = len(self.data)
                if len(self.data) > MAX_HEADER_BYTES:
                    raise TooLarge(431)
                return None
            head = bytes(self.data[:end])
            self._framing = body_framing(head)
            self.head_length = self._chunk_at = end
            self.expects_continue = self._framing != 0 and any(
                line.lower().replace(b" ", b"") == b"expect:100-continue"
                for line in head.splitlines()
            )
        if self._framing == "chunked":
            return self._chunks()
        end = self.head_length + self._framing
        return end if len(self.data) >= end else None

    def _chunks(self) -> int | None:
        data = self.data
        if len(data) > self.limit:
            raise TooLarge(413)
        while True:
            newline = data.find(b"\n", self._chunk_at)
            if newline < 0:
                if len(data) - self._chunk_at > _MAX_SIZE_LINE:
                    raise BadRequest("a chunk-size line too long")
                return None
            line = bytes(data[self._chunk_at : newline]).rstrip(b"\r")
            if self._trailer:  # trailer fields, up to a blank line
                self._chunk_at = newline + 1
                if not line:
                    return self._chunk_at
                continue
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadRequest("an unreadable chunk size") from None
            if not size_text.isalnum():  # int() takes signs and underscores too
                raise BadRequest("an unreadable chunk size")
            if size == 0:
                self._trailer = True
                self._chunk_at = newline + 1
                continue
            if self._decoded + size > MAX_BODY_BYTES:
                raise TooLarge(413)
            after = newline + 1 + size
            if len(data) < after + 2:
                return None
            if data[after : after + 2] != b"\r\n":
                raise BadRequest("a chunk not followed by CRLF")
            self._decoded += size
            self._chunk_at = after + 2
