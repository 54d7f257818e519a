"""The cases of the peers' own tests that watchtower decides differently, on purpose.

The one place they are listed: each conformance test skips the peer's
expectation for a case named here and instead checks that the case really
does go the other way, and the migration guide shows the same list (its
test compares them).
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Deviation:
    """One case of a peer's test that we decide differently.

    Attributes:
        source: The peer's repository and test file.
        test: The Go test function.
        case: The case's input, as the test writes it.
        reason: Why we differ, one sentence.
    """

    source: str
    test: str
    case: str
    reason: str

    def guide_line(self) -> str:
        """The bullet the migration guide shows for it."""
        return f"* ``{self.case}`` ({self.source}, ``{self.test}``): {self.reason}"


DEVIATIONS: tuple[Deviation, ...] = ()


def deviation(source: str, test: str, case: str) -> Deviation | None:
    """The deviation recorded for that case, if any."""
    for item in DEVIATIONS:
        if (item.source, item.test, item.case) == (source, test, case):
            return item
    return None
