"""Lifecycle hooks: pre-check, pre-update, post-update and post-check commands.

A hook is a command in a container label, run inside that container by the
:class:`~watchtower.protocols.ContainerClient`. Exit code 75 (EX_TEMPFAIL)
from a pre-update hook skips that container's update; any other failure of a
pre-update hook fails it. The other hooks only report.
"""

from __future__ import annotations

from attrs import frozen

from .events import Hook
from .model import HookResult
from .protocols import ContainerClient
from .settings import ContainerSettings

__all__ = ["EX_TEMPFAIL", "Hook", "HookRun", "run_hook"]

EX_TEMPFAIL = 75
"""The exit code with which a pre-update hook asks to skip the update."""


@frozen
class HookRun:
    """A hook that ran (or could not run).

    Attributes:
        hook: Which hook.
        command: The command.
        result: What it did; ``None`` when it could not be run at all.
        error: Why it could not be run.
    """

    hook: Hook
    command: str
    result: HookResult | None
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the command ran and exited 0."""
        return self.result is not None and self.result.exit_code == 0

    @property
    def asks_skip(self) -> bool:
        """True when the command exited with 75 (EX_TEMPFAIL)."""
        return self.result is not None and self.result.exit_code == EX_TEMPFAIL

    def describe(self) -> str:
        """The outcome in words, for a report."""
        if self.result is None:
            return f"the {self.hook.value} hook could not run: {self.error}"
        if self.result.timed_out:
            return f"the {self.hook.value} hook timed out"
        return f"the {self.hook.value} hook exited with code {self.result.exit_code}"


def run_hook(
    client: ContainerClient,
    settings: ContainerSettings,
    container_id: str,
    hook: Hook,
) -> HookRun | None:
    """Run ``hook``, as ``settings`` give it, in the container ``container_id``.

    The command and its timeout come from the settings of the container the
    hook belongs to; ``container_id`` may be its replacement's (post-update).
    Returns ``None`` when the container has no such hook.
    """
    command = settings.hooks.get(hook.value)
    if command is None:
        return None
    try:
        timeout = settings.hook_timeouts[hook.value]
        if settings.hook_user:
            result = client.run_hook(container_id, command, timeout, user=settings.hook_user)
        else:
            result = client.run_hook(container_id, command, timeout)
    except Exception as error:
        return HookRun(hook, command, None, str(error))
    return HookRun(hook, command, result)
