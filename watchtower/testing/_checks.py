"""What a replacement does once started, as the memory engine's checks see it."""

from __future__ import annotations

from datetime import timedelta

from attrs import frozen

from ..probes import Checks, exited, log_matched, restarted

__all__ = ["Misbehaviour", "judge"]


@frozen(kw_only=True)
class Misbehaviour:
    """How a container's replacements behave, for :attr:`MemoryEngine.misbehaving`.

    Attributes:
        probe: What each probe of a replacement gets instead of passing
            (``"answered 503"``, ``"was refused"``); empty: probes pass.
        exits_after: The replacement stops this long after its start;
            ``None``: it keeps running.
        exit_code: The exit code it stops with.
        restarts_after: The engine restarts it this long after its start;
            ``None``: never.
        logs: The lines it prints once started.
    """

    probe: str = ""
    exits_after: timedelta | None = None
    exit_code: int = 1
    restarts_after: timedelta | None = None
    logs: tuple[str, ...] = ()


def judge(checks: Checks, misbehaviour: Misbehaviour) -> str:
    """Why a replacement that behaves so fails ``checks``: empty when it passes.

    The probes come first, then its log, then the soak: a stop or a restart
    counts when it comes before the soak ends.
    """
    if checks.probes and misbehaviour.probe:
        return f"{checks.probes[0]} {misbehaviour.probe}"
    pattern = checks.fail_pattern
    if pattern is not None and any(pattern.search(line) for line in misbehaviour.logs):
        return log_matched(pattern)
    after = misbehaviour.exits_after
    if after is not None and after < checks.soak:
        return exited(misbehaviour.exit_code, after, checks.soak)
    after = misbehaviour.restarts_after
    if after is not None and after < checks.soak:
        return restarted(after, checks.soak)
    return ""
