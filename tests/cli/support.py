"""Helpers for the command-line tests: a runner on the in-memory backends."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from watchtower.cli.metrics import Metrics
from watchtower.cli.push import PushReceiver
from watchtower.cli.push_settings import PushSettings
from watchtower.cli.runner import Runner
from watchtower.history import History
from watchtower.model import Container
from watchtower.params import UpdateParams
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
DB = "example.org/db:1"


class GatedEngine(MemoryEngine):
    """A MemoryEngine whose listing can be held, to keep a run in progress."""

    def __init__(self, registry: MemoryRegistry) -> None:
        super().__init__(registry)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def hold(self) -> None:
        """The next listing waits until :meth:`let_go`."""
        self.entered.clear()
        self.release.clear()

    def let_go(self) -> None:
        self.release.set()

    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> Sequence[Container]:
        self.entered.set()
        assert self.release.wait(30), "the test never let the run go"
        return super().list_containers(
            include_stopped=include_stopped, include_restarting=include_restarting
        )


def make_runner(
    engine: MemoryEngine,
    registry: MemoryRegistry,
    clock: FixedClock,
    params: UpdateParams | None = None,
    history: History | None = None,
) -> Runner:
    return Runner(
        engine,
        registry,
        params or UpdateParams(),
        metrics=Metrics(clock=clock),
        logger=logging.getLogger("watchtower.test"),
        clock=clock,
        history=history,
    )


def receiver_of(runner: Runner, settings: PushSettings, **options: Any) -> PushReceiver:
    """The push receiver the command line gives a runner's app."""
    return PushReceiver(
        runner.run_pushed, settings, logger=runner.logger, clock=runner.clock, **options
    )
