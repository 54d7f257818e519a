"""Time budgets: one image's registry lookup, and the registry lookups of a scan.

A registry's per-request deadline does not bound a lookup: a challenge, a
token, a ``HEAD``, a ``GET``, each redirect and each 429 retry is a request
of its own. A :class:`Budget` is the span that all of them share; it is a
value read against a monotonic clock passed in, so tests move time by hand.
"""

from __future__ import annotations

from attrs import frozen

from .errors import RegistryTimeoutError

__all__ = ["Budget", "too_slow"]


@frozen
class Budget:
    """A span of time that ends, on a monotonic clock.

    Attributes:
        seconds: How long it was, in all (for the sentence that says so).
        ends: The monotonic time at which it is spent.
    """

    seconds: float
    ends: float

    @classmethod
    def starting(cls, seconds: float, now: float) -> Budget:
        """A budget of ``seconds`` that starts at ``now``."""
        return cls(seconds, now + seconds)

    def left(self, now: float) -> float:
        """Seconds left at ``now``; never negative."""
        return max(0.0, self.ends - now)

    def spent(self, now: float) -> bool:
        """True once ``now`` is at or past its end."""
        return now >= self.ends

    def cap(self, seconds: float, now: float) -> float:
        """``seconds``, or what is left when that is less: a part may not outlast the whole."""
        return min(seconds, self.left(now))

    def within(self, outer: Budget | None) -> Budget:
        """This budget, ending no later than ``outer`` (a lookup inside a scan)."""
        if outer is None or self.ends <= outer.ends:
            return self
        return Budget(self.seconds, outer.ends)


def too_slow(host: str, seconds: float, what: str, *, scan: bool = False) -> RegistryTimeoutError:
    """The error of a lookup of ``what`` that ``host`` did not answer within ``seconds``.

    With ``scan`` the deadline was the scan's, shared by all its lookups.
    """
    whose = " (the deadline of this scan's registry lookups)" if scan else ""
    return RegistryTimeoutError(
        f"The registry at {host} did not answer within {seconds:g}s for {what}{whose}."
    )
