"""Hostile text for the fuzz suite: anything, near misses of each format, and 100 KB runs."""

from __future__ import annotations

from hypothesis import strategies as st

# Characters that parsers trip on: separators, quotes, escapes, non-ASCII
# digits (², ٣), wide and combining characters, controls and NUL.
TRICKY = "\"'\\,;:=@/#?&%[]{}()<> \t\r\n\x00\x7f²٣①éßİ\u0301\u200b\ufeff💥-._+*~$!09aZ"

text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=TRICKY, max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)
"""Any text, weighted towards the characters that matter."""


def near(*samples: str) -> st.SearchStrategy[str]:
    """Valid ``samples``, and each mutated: cut, doubled, spliced with tricky text."""
    base = st.sampled_from(samples)
    return st.one_of(
        base,
        st.tuples(base, st.integers(0, 200)).map(lambda p: p[0][: p[1]]),
        st.tuples(base, text, st.integers(0, 200)).map(
            lambda p: p[0][: p[2]] + p[1] + p[0][p[2] :]
        ),
        st.tuples(base, st.integers(2, 50)).map(lambda p: p[0] * p[1]),
        text,
    )


def huge(unit: str, size: int = 100_000) -> str:
    """``unit`` repeated to ``size`` characters: a 100 KB input."""
    return (unit * (size // max(len(unit), 1) + 1))[:size]
