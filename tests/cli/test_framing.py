"""Where a request ends, as the API's front door reads it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower.cli.framing import (
    MAX_HEADER_BYTES,
    BadRequest,
    RequestFrame,
    TooLarge,
    body_framing,
)

POST = b"POST /v1/push HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(
    ("head", "framing"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0),
        (POST + b"Content-Length: 12\r\n\r\n", 12),
        (POST + b"content-length:  7 \r\n\r\n", 7),
        (POST + b"Transfer-Encoding: chunked\r\n\r\n", "chunked"),
        (POST + b"Transfer-Encoding: Chunked, chunked\r\n\r\n", "chunked"),
        # chunked wins over a length, as in cheroot
        (POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked"),
        # cheroot refuses these before reading a body: nothing to wait for
        (POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 0),
        (POST + b"Content-Length: five\r\n\r\n", 0),
        # HTTP/1.0 has no Transfer-Encoding
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 3),
    ],
)
def test_body_framing(head: bytes, framing: int | str) -> None:
    assert body_framing(head) == framing


@pytest.mark.parametrize(
    ("head", "error"),
    [
        (POST + b"Content-Length: 65537\r\n\r\n", TooLarge),
        (POST + b"Content-Length: -1\r\n\r\n", BadRequest),
        (POST + b"Content-Length: 1\r\nContent-Length: 1\r\n\r\n", BadRequest),
    ],
)
def test_body_framing_refuses(head: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        body_framing(head)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"zz\r\n", BadRequest),
        (b"-1\r\n", BadRequest),
        (b"3\r\nabcX\r\n", BadRequest),
        (b"1" * 2000, BadRequest),
        (b"10001\r\n", TooLarge),  # one chunk over 64 KiB
        (b"8000\r\n" + b"x" * 0x8000 + b"\r\n" + b"8001\r\n", TooLarge),
    ],
)
def test_bad_and_oversized_chunked_bodies(body: bytes, error: type[Exception]) -> None:
    frame = RequestFrame(POST + b"Transfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(error):
        frame.feed(body)


def test_headers_past_the_bound_are_431_before_they_end() -> None:
    frame = RequestFrame(POST)
    with pytest.raises(TooLarge) as caught:
        frame.feed(b"X: " + b"a" * MAX_HEADER_BYTES)
    assert caught.value.status == 431


def test_expect_100_continue_is_noticed_only_with_a_body() -> None:
    assert RequestFrame(
        POST + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    ).expects_continue
    assert not RequestFrame(b"GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").expects_continue


def _chunked(body: bytes, sizes: list[int]) -> bytes:
    out, at = b"", 0
    for size in sizes:
        piece = body[at : at + size]
        if not piece:
            break
        out += f"{len(piece):x};ext=1\r\n".encode() + piece + b"\r\n"
        at += len(piece)
    if at < len(body):
        out += f"{len(body) - at:X}\r\n".encode() + body[at:] + b"\r\n"
    return out + b"0\r\nX-Trailer: 1\r\n\r\n"


@given(
    body=st.binary(max_size=3000),
    sizes=st.lists(st.integers(1, 500), max_size=10),
    cuts=st.lists(st.integers(1, 400), max_size=30),
    chunked=st.booleans(),
    after=st.binary(max_size=20),
)
def test_a_request_ends_where_it_ends_however_it_arrives(
    body: bytes, sizes: list[int], cuts: list[int], chunked: bool, after: bytes
) -> None:
    """Fed in any pieces, a request is complete exactly at its last byte, never before."""
    if chunked:
        request = POST + b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(body, sizes)
    else:
        request = POST + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    stream = request + after
    frame, at, end = RequestFrame(), 0, None
    for cut in [*cuts, len(stream)]:
        end = frame.feed(stream[at : at + cut])
        at += cut
        if end is not None:
            break
        assert at < len(request)
    assert end == len(request)
