"""Where we decide differently from Watchtower on purpose, and why: one entry per case.

Each :class:`Difference` names the peer's test case (source file and test
name) and the reason. A conformance test that ports such a case asserts our
behaviour and cites the entry with :func:`differs`, so the list and the
tests cannot drift apart; the migration guide shows the same list.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Difference:
    """One deliberate difference.

    Attributes:
        source: The peer's test file (``repository:path``).
        case: The test's name there.
        ours: What we do instead.
        why: The reason.
    """

    source: str
    case: str
    ours: str
    why: str


_FORK = "nicholas-fedor/watchtower:"

DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        source=_FORK + "pkg/notifications/shoutrrr_test.go",
        case="using legacy templates / given an invalid custom template / "
        "should format the messages using the default template",
        ours="a template that does not parse is refused at start (exit 2, one sentence "
        "naming the flag and Go's reason)",
        why="falling back to the default template silently hides the user's mistake until "
        "a notification looks wrong; a bad flag is refused like every other bad value",
    ),
    Difference(
        source=_FORK + "pkg/notifications/shoutrrr_test.go",
        case="using report templates / the default template / all containers are fresh / "
        "should return the summary",
        ours="the built-in default template writes nothing (and nothing is sent) when no "
        "container was updated, restarted, failed or is stale; it also lists stale "
        "(monitor-only) containers",
        why="a report of nothing, every poll interval, trains people to ignore "
        "notifications; Watchtower's default source, given as a template, still renders "
        "as Watchtower's",
    ),
    Difference(
        source=_FORK + "pkg/notifications/shoutrrr_test.go",
        case="rendering porcelain JSON / should produce valid JSON with container details",
        ours="containers are listed in the order of the run (dependency order), not sorted "
        "by container id",
        why="the order of the run says what happened first; an id order says nothing",
    ),
    Difference(
        source=_FORK + "pkg/notifications/common_templates.go",
        case="default-legacy: Stopping linked container / Started linked container",
        ours="a container restarted because a dependency was replaced is logged as "
        "'Stopping container' / 'Started new container'",
        why="the orchestrator's Stopped and Started events do not say whether the "
        "container is restarted for a dependency; the report's Restarted list does",
    ),
)
"""Every deliberate difference, in one place."""


def differs(case: str) -> Difference:
    """The entry for ``case``; a test that cites a case not listed fails."""
    for difference in DIFFERENCES:
        if difference.case == case:
            return difference
    raise LookupError(f"no difference is recorded for {case!r}")
