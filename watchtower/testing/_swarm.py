"""An in-memory swarm: services whose rollouts complete, roll back or fail as told."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import attrs

from .. import labels as label_names
from ..errors import EngineError
from ..model import ImageRef, Rollout, RolloutState, Service
from ._engine import MemoryEngine
from ._registry import MemoryRegistry, _ref, _sha

__all__ = ["MemorySwarm"]


class MemorySwarm:
    """Services in memory: implements :class:`~watchtower.protocols.ServiceClient`.

    A service is created on the digest its tag serves now, as ``docker
    service create`` pins it. With an ``engine``, each replica is also a task
    container there (labelled with the service's id), which a run must
    leave alone.

    Args:
        registry: Where the digests of new services come from.
        engine: Where the task containers run, if anywhere.

    Attributes:
        updates: Every update asked, as ``(service name, reference)``.
        rollouts: How the next rollout of a service name ends (default
            completed); a rolled back one leaves the service on its old digest.
        unavailable: When set, every call raises it as an
            :class:`~watchtower.errors.EngineError` (an engine that is down).
    """

    def __init__(self, registry: MemoryRegistry, engine: MemoryEngine | None = None) -> None:
        self.registry = registry
        self.engine = engine
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()
        self.updates: list[tuple[str, str]] = []
        self.rollouts: dict[str, Rollout] = {}
        self.unavailable: str = ""

    def create(
        self,
        name: str,
        reference: str | ImageRef,
        *,
        replicas: int | None = 1,
        labels: Mapping[str, str] | None = None,
    ) -> Service:
        """Create a service following ``reference``'s tag, on the digest it serves now.

        A reference with a digest is kept as it is: pinned.
        """
        ref = _ref(reference)
        if ref.digest is None:
            ref = attrs.evolve(ref, digest=self.registry.served(ref)[0])
        service = Service(
            id=_sha("service", name)[7:32],
            name=name,
            image=ref,
            labels=labels,
            replicas=replicas,
        )
        with self._lock:
            self._services[name] = service
        if self.engine is not None:
            for number in range(1, (replicas or 1) + 1):
                self.engine.run(
                    f"{name}.{number}",
                    service.followed,
                    labels={label_names.SWARM_SERVICE_ID: service.id},
                )
        return service

    def service(self, name: str) -> Service:
        """The service named ``name`` now."""
        return self._services[name]

    def _check(self) -> None:
        if self.unavailable:
            raise EngineError(self.unavailable)

    # The protocol -----------------------------------------------------------

    def list_services(self) -> list[Service]:
        """Every service."""
        self._check()
        with self._lock:
            return list(self._services.values())

    def update_service(self, service: Service, image: ImageRef) -> Rollout:
        """Point the service at ``image``; the rollout ends as :attr:`rollouts` says."""
        self._check()
        with self._lock:
            if service.name not in self._services:
                raise EngineError(f"No such service: {service.name}.")
            self.updates.append((service.name, str(image)))
            rollout = self.rollouts.pop(service.name, Rollout(RolloutState.COMPLETED))
            if rollout.state is RolloutState.COMPLETED:
                current = self._services[service.name]
                self._services[service.name] = attrs.evolve(current, image=image)
        return rollout
