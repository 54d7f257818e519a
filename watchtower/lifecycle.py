"""Lifecycle hooks: pre-check, pre-update, post-update and post-check commands.

A hook is a command in a container label, run inside that container by the
:class:`~watchtower.protocols.ContainerClient`. Exit code 75 (EX_TEMPFAIL)
from a pre-update hook skips that container's update; any other failure of a
pre-update hook fails it. The other hooks only report.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from attrs import frozen

from . import labels
from .model import Container, HookResult
from .params import UpdateParams
from .protocols import ContainerClient

__all__ = ["EX_TEMPFAIL", "Hook", "HookRun", "run_hook"]

EX_TEMPFAIL = 75
"""The exit code with which a pre-update hook asks to skip the update."""


class Hook(str, enum.Enum):
    """The four hooks, named as in their labels."""

    PRE_CHECK = "pre-check"
    PRE_UPDATE = "pre-update"
    POST_UPDATE = "post-update"
    POST_CHECK = "post-check"

    @property
    def label(self) -> str:
        """The label that holds the hook's command."""
        return f"{labels.PREFIX}.lifecycle.{self.value}"


_TIMEOUT_LABELS = {
    Hook.PRE_UPDATE: labels.PRE_UPDATE_TIMEOUT,
    Hook.POST_UPDATE: labels.POST_UPDATE_TIMEOUT,
}


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


def hook_timeout(container: Container, hook: Hook, params: UpdateParams) -> timedelta:
    """The hook's timeout: its label (minutes, as Watchtower), else the parameter."""
    label = _TIMEOUT_LABELS.get(hook)
    if label is not None:
        value = labels.read_duration(container, label, bare_unit="m")
        if value is not None:
            return value
    return params.hook_timeout


def run_hook(
    client: ContainerClient,
    container: Container,
    container_id: str,
    hook: Hook,
    params: UpdateParams,
) -> HookRun | None:
    """Run ``hook`` of ``container`` in the container ``container_id``.

    Returns ``None`` when the container has no such hook.
    """
    command = container.labels.get(hook.label, "").strip()
    if not command:
        return None
    try:
        result = client.run_hook(container_id, command, hook_timeout(container, hook, params))
    except Exception as error:
        return HookRun(hook, command, None, str(error))
    return HookRun(hook, command, result)
