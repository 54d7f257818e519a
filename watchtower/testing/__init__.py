"""In-memory backends, for watchtower's own tests and yours.

:class:`MemoryRegistry` serves images you publish; :class:`MemoryEngine` runs
containers from them and pulls from the registry. Both count what they are
asked, and both can be told to fail at any step, so that a test can check
what :func:`watchtower.update` does when a pull, a stop, a create, a start,
a health check, a hook or the registry fails, or what it does when a
replacement fails its probes or soak (:class:`Misbehaviour`)::

    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    engine.run("web", registry.publish("example.org/web:1"))
    registry.publish("example.org/web:1")          # a new version
    engine.fail("start", "web")                    # its replacement won't start
    report = update(engine, registry)
    assert engine.container("web").image_id == ...  # the old one runs again
    assert engine.pending_faults == ()             # the failure did happen

A container step fails for the container's own name, also while a
replacement has it renamed aside; an image step (``pull``) for an image
reference: ``engine.fail("pull", image="example.org/web:1")``. A fault that no
call could ever match is refused at once.

:class:`MemorySwarm` holds services (:class:`~watchtower.protocols.ServiceClient`)
whose rollouts complete, roll back or fail as a test tells them.
:class:`MemoryHistory` keeps runs as :class:`~watchtower.history.SqliteHistory`
does, in memory (``update(..., history=MemoryHistory())``).

:meth:`MemoryEngine.kill_at` makes the process die at a given engine call
(:class:`Killed`), to check that the next run repairs what it left.

Everything is thread-safe, as the protocols require.

:mod:`watchtower.testing.conformance` checks that a backend of your own (or
one of these) keeps the contract of its protocol.
"""

from __future__ import annotations

from ..history import MemoryHistory
from . import _faults
from ._checks import Misbehaviour
from ._clock import FixedClock
from ._engine import MemoryEngine
from ._faults import Fault, Killed
from ._registry import IMAGE_SIZE, MemoryRegistry
from ._swarm import MemorySwarm

STEPS = _faults.STEPS
"""The engine steps that :meth:`MemoryEngine.fail` can make fail."""

CONTAINER_STEPS = _faults.CONTAINER_STEPS
"""The steps that act on one container, which :meth:`MemoryEngine.fail` names by ``container``."""

IMAGE_STEPS = _faults.IMAGE_STEPS
"""The steps that act on one image, which :meth:`MemoryEngine.fail` names by ``image``."""

__all__ = [
    "CONTAINER_STEPS",
    "IMAGE_SIZE",
    "IMAGE_STEPS",
    "STEPS",
    "Fault",
    "FixedClock",
    "Killed",
    "MemoryEngine",
    "MemoryHistory",
    "MemoryRegistry",
    "MemorySwarm",
    "Misbehaviour",
]
