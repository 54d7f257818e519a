"""Patterns from outside, compiled in one place and matched in linear time.

Tag labels, container name and image patterns are written by whoever can
label a container or set a flag. Python's :mod:`re` backtracks: ``(a|a)*b``
searched in a long tag takes exponential time while holding the interpreter
lock, and the health checks, the scheduler and the signal handlers stop with
it. RE2 matches in time linear in the text. Its syntax is that of Go's
``regexp``, in which Watchtower's own patterns are written; what it leaves
out (lookaround, backreferences, possessive repeats) is what backtracking needs.

:func:`compile_pattern` raises :class:`ValueError` whose text ends a sentence
that begins with the pattern's source (``The tag pattern '(x' ...``), as the
readers of :mod:`watchtower._text` do: the caller knows that source.
"""

from __future__ import annotations

import re

import re2
from attrs import field, frozen
from typing_extensions import Protocol

from ._text import quoted

__all__ = ["LinearPattern", "Pattern", "UnsupportedPatternError", "compile_pattern"]


class Pattern(Protocol):
    """A compiled pattern as the library calls one; :class:`re.Pattern` has this shape too.

    Each method returns something true (a match) when the pattern matches
    ``string``, and something false otherwise.
    """

    @property
    def pattern(self) -> str:
        """The pattern as written."""
        ...

    def search(self, string: str, /) -> object:
        """Found anywhere in ``string``."""
        ...

    def match(self, string: str, /) -> object:
        """Found at the start of ``string``."""
        ...

    def fullmatch(self, string: str, /) -> object:
        """Matches the whole of ``string``."""
        ...


class UnsupportedPatternError(ValueError):
    """A pattern Python's :mod:`re` reads but linear-time matching does not support."""


class _Compiled(Protocol):
    # The part of google-re2's (untyped) compiled object used here.
    def search(self, text: str) -> object: ...
    def match(self, text: str) -> object: ...
    def fullmatch(self, text: str) -> object: ...


@frozen
class LinearPattern:
    """A pattern compiled by RE2: matching takes time linear in the text.

    Two are equal when written the same.

    Attributes:
        pattern: The pattern as written.
    """

    pattern: str
    _compiled: _Compiled = field(eq=False, repr=False)

    def search(self, string: str, /) -> bool:
        """True when the pattern is found anywhere in ``string``."""
        return self._compiled.search(string) is not None

    def match(self, string: str, /) -> bool:
        """True when the pattern is found at the start of ``string``."""
        return self._compiled.match(string) is not None

    def fullmatch(self, string: str, /) -> bool:
        """True when the pattern matches the whole of ``string``."""
        return self._compiled.fullmatch(string) is not None


# RE2's words for the constructs it leaves out, and what to call them.
_CONSTRUCTS = {
    "invalid perl operator": "the group",
    "invalid escape sequence": "the escape",
    "bad repetition operator": "the repetition",
    "invalid repetition size": "the repetition",
}
_UNSUPPORTED = "not supported by linear-time matching (RE2 syntax, as in Watchtower)"
# How much of RE2's message a sentence repeats: it can hold the rest of the pattern.
_SHOWN = 40


def compile_pattern(text: str) -> LinearPattern:
    """Compile ``text``, a pattern from outside, for matching in linear time.

    Raises:
        UnsupportedPatternError: ``text`` uses a construct of Python's
            :mod:`re` that RE2 leaves out (lookaround, backreferences,
            possessive or atomic repeats, ``\\Z``, repeats over 1000).
        ValueError: ``text`` is not a regular expression at all.
    """
    options = re2.Options()
    # RE2 would print each refused pattern on standard error; the caller reports it.
    options.log_errors = False
    try:
        compiled: _Compiled = re2.compile(text, options)
    except re2.error as error:
        raw = error.args[0] if error.args else ""
        message = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        raise _refusal(text, message) from None
    return LinearPattern(text, compiled)


def _refusal(text: str, message: str) -> ValueError:
    if not _python_reads(text):
        return ValueError(f"is not a regular expression ({quoted(message, _SHOWN)})")
    kind, _, fragment = message.partition(": ")
    construct = _CONSTRUCTS.get(kind)
    if construct is None or not fragment:
        return UnsupportedPatternError(f"is {_UNSUPPORTED}: {quoted(message, _SHOWN)}")
    return UnsupportedPatternError(f"uses {construct} {quoted(fragment, _SHOWN)}, {_UNSUPPORTED}")


def _python_reads(text: str) -> bool:
    # Only compiled, never matched: Python's parser takes time linear in the pattern.
    try:
        re.compile(text)
    except (re.error, RecursionError, OverflowError):
        return False
    return True
