"""The one translation of docker-py's and requests' failures into watchtower's errors.

Every engine call of this backend runs inside :func:`engine_errors`, so a
failure becomes one sentence, ``Could not <operation>: <reason>.``, of the
library's own type, with the original exception kept as ``__cause__``:

==========================================  ==========================  ===========================
What the engine call raised                 Raised instead              Reason in the sentence
==========================================  ==========================  ===========================
409 "image ... is being used by container"  ImageInUseError             the engine's explanation
any other APIError (404 and 5xx included)   the operation's error type  the engine's explanation
a connection failure with an OS error       the operation's error type  the engine is unreachable
                                                                        (<the OS error>)
a timeout (requests, urllib3, socket)       EngineTimeoutError          the engine (at <address>)
                                                                        did not answer in time
any other docker-py exception               the operation's error type  its message's first line
==========================================  ==========================  ===========================

A status that is a normal answer (404 "no such image" meaning ``None``) is
caught by the call site, inside the block, before it reaches this mapping.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from http.client import IncompleteRead, RemoteDisconnected

from docker.errors import APIError, DockerException
from requests.exceptions import Timeout
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ..errors import EngineError, EngineTimeoutError, ImageInUseError
from ..model import short_id

__all__ = ["ENGINE_FAILURES", "engine_errors", "engine_unavailable", "shown"]

#: What a failed engine call raises: docker-py's exceptions, requests' (which
#: are OSErrors), and the urllib3 and socket errors a response stream raises.
ENGINE_FAILURES = (DockerException, OSError, Urllib3Error)

_FULL_ID = re.compile(r"(sha256:)?[0-9a-f]{64}")


def shown(name_or_id: str) -> str:
    """A container or image as a message names it: a full id shortened, a name as given."""
    return short_id(name_or_id) if _FULL_ID.fullmatch(name_or_id) else name_or_id


def _first_line(text: object) -> str:
    return str(text).strip().split("\n")[0].rstrip(".")


def _chain(failure: BaseException) -> Iterator[BaseException]:
    """The failure and every exception inside it: arguments, urllib3's reason, causes."""
    seen: set[int] = set()
    pending = [failure]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inside = [*current.args, getattr(current, "reason", None)]
        pending.extend(
            e
            for e in [*inside, current.__cause__, current.__context__]
            if isinstance(e, BaseException)
        )


def _reason(failure: BaseException) -> str:
    """Why an engine call failed, as the end of a sentence: the engine's words if it answered."""
    if isinstance(failure, APIError):
        return _first_line(failure.explanation or failure)
    chain = list(_chain(failure))
    # Before timeouts: urllib3 files a refused connection under its timeouts.
    refused = next((e for e in chain if isinstance(e, OSError) and e.strerror), None)
    if refused is not None:
        return f"the engine is unreachable ({refused.strerror})"
    if _timed_out(failure):
        return "the engine did not answer in time"
    return _first_line(failure) or type(failure).__name__


def _timed_out(failure: BaseException) -> bool:
    chain = list(_chain(failure))
    if any(isinstance(e, OSError) and e.strerror for e in chain):
        return False  # refused or reset: an answer, not a silence
    return any(isinstance(e, (Timeout, Urllib3Timeout, TimeoutError)) for e in chain)


# What a connection to an engine that is down or restarting raises: refused,
# reset, a socket that is not there, or an answer cut off (Go's io.EOF and
# io.ErrUnexpectedEOF).
_UNAVAILABLE = (
    ConnectionRefusedError,
    ConnectionResetError,
    FileNotFoundError,
    RemoteDisconnected,
    IncompleteRead,
)


def engine_unavailable(failure: BaseException) -> bool:
    """Whether ``failure`` says the engine could not be reached at all, which may pass.

    The fork's ``isDaemonConnectionError``: a refused, reset or missing
    connection, or a connection closed before the answer. An answer (any
    :class:`APIError`) or a silence (a timeout) is not.
    """
    if isinstance(failure, APIError) or _timed_out(failure):
        return False
    return any(isinstance(e, _UNAVAILABLE) for e in _chain(failure))


def _in_use(failure: BaseException) -> bool:
    return (
        isinstance(failure, APIError)
        and failure.status_code == 409
        # Docker: "is being used by container"; Podman: "image is in use".
        and any(sign in _reason(failure) for sign in ("being used by", "is in use"))
    )


@contextlib.contextmanager
def engine_errors(
    doing: str, error_type: type[EngineError] = EngineError, *, engine: str | None = None
) -> Iterator[None]:
    """Raise a failed engine call in the block as ``error_type("Could not <doing>: <reason>.")``.

    Args:
        doing: The operation and what it acts on, as it reads after "Could
            not": ``f"stop container {name!r}"``.
        error_type: The error for this operation: :class:`ContainerError`
            for one container, :class:`EngineError` for the rest. An image
            still in use is an :class:`ImageInUseError` whatever is given, and
            a call the engine did not answer in time an
            :class:`EngineTimeoutError`.
        engine: The engine's address, named by a timeout's sentence.
    """
    try:
        yield
    except ENGINE_FAILURES as failure:
        if not isinstance(failure, APIError) and _timed_out(failure):
            at = f" at {engine}" if engine else ""
            message = f"Could not {doing}: the engine{at} did not answer in time."
            raise EngineTimeoutError(message, engine) from failure
        mapped = ImageInUseError if _in_use(failure) else error_type
        raise mapped(f"Could not {doing}: {_reason(failure)}.") from failure
