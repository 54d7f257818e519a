"""The default :class:`~watchtower.protocols.ServiceClient`: swarm services, on docker-py.

A service is updated as ``docker service update --with-registry-auth
--image name:tag@digest`` does it: its current spec, at its current version,
with only the image changed, and the registry credentials in the request so
that every node can pull. Swarm then rolls the tasks out with the service's
own update config and rolls back with its rollback config; this backend
watches ``UpdateStatus`` until the rollout ends or its timeout passes.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import docker
import docker.auth

from ..errors import InvalidReferenceError
from ..model import ImageRef, Rollout, RolloutState, Service
from ..reference import parse_reference
from ._errors import engine_errors
from .client import AuthLookup, DockerClient

__all__ = ["SwarmClient", "rollout_of", "service_from_inspect"]

_log = logging.getLogger(__name__)

#: Swarm's ``UpdateStatus.State`` values at which a rollout has ended, and how.
_ENDED = {
    "completed": RolloutState.COMPLETED,
    "rollback_completed": RolloutState.ROLLED_BACK,
    "paused": RolloutState.FAILED,
    "rollback_paused": RolloutState.FAILED,
}


def service_from_inspect(answer: Mapping[str, Any]) -> Service:
    """The :class:`~watchtower.model.Service` an engine's service listing or inspect describes.

    Raises:
        InvalidReferenceError: Its image is not a reference.
    """
    spec = answer.get("Spec") or {}
    image = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image") or ""
    mode = spec.get("Mode") or {}
    replicated = mode.get("Replicated")
    replicas = int(replicated.get("Replicas") or 0) if replicated is not None else None
    return Service(
        id=str(answer["ID"]),
        name=str(spec.get("Name") or answer["ID"]),
        image=parse_reference(image),
        labels=spec.get("Labels") or {},
        replicas=replicas,
        raw=answer,
    )


def rollout_of(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> Rollout | None:
    """How an update ended, from ``UpdateStatus`` before it and now; ``None`` while it runs.

    A status equal to the one before the update is the previous rollout's,
    not this one's.
    """
    if not after or _mark(after) == _mark(before):
        return None
    state = _ENDED.get(str(after.get("State") or ""))
    if state is None:
        return None
    return Rollout(state, str(after.get("Message") or ""))


def _mark(status: Mapping[str, Any] | None) -> tuple[object, object]:
    return ((status or {}).get("State"), (status or {}).get("StartedAt"))


class SwarmClient:
    """The services of a swarm, through a manager's engine API.

    Args:
        api: A ``docker.APIClient`` connected to a swarm manager.
        auth: Registry credentials sent with each update, as for
            :class:`~watchtower.docker.DockerClient`; with ``None`` (or no
            callable) docker-py reads ``~/.docker/config.json``.
        rollout_timeout: How long to watch a rollout before giving up on it
            (it goes on in the swarm; the report says it had not ended).
        poll_interval: Seconds between two looks at a rollout.
    """

    def __init__(
        self,
        api: docker.APIClient,
        *,
        auth: AuthLookup | None = None,
        rollout_timeout: timedelta = timedelta(minutes=10),
        poll_interval: float = 0.5,
    ) -> None:
        self.api = api
        self._auth = auth
        self._timeout = rollout_timeout
        self._poll = poll_interval

    @classmethod
    def of(cls, client: DockerClient, **options: Any) -> SwarmClient:
        """The services of the engine a :class:`~watchtower.docker.DockerClient` speaks to.

        Its registry credentials are used unless ``auth`` is given; the
        other options are the class's.
        """
        options.setdefault("auth", client._auth)
        return cls(client.api, **options)

    def list_services(self) -> list[Service]:
        """Every service of the swarm; one whose image is no reference is left out and logged.

        Raises:
            EngineError: The engine could not be asked, or is not a swarm manager.
        """
        with engine_errors("list the swarm's services"):
            answers = self.api.services()
        services = []
        for answer in answers:
            try:
                services.append(service_from_inspect(answer))
            except InvalidReferenceError as error:
                _log.warning("Service %s is left out: %s", answer.get("ID"), error)
        return services

    def _registry_auth(self, ref: ImageRef) -> dict[str, str]:
        """The ``X-Registry-Auth`` header for pulls of ``ref``, as ``--with-registry-auth``."""
        if self._auth is not None:
            found = self._auth(ref.domain)
            if found:
                return {"X-Registry-Auth": docker.auth.encode_header(dict(found)).decode()}
        # As docker-py's own update_service: from config.json and its helpers.
        header = docker.auth.get_config_header(self.api, ref.domain)
        if not header:
            return {}
        return {"X-Registry-Auth": header.decode() if isinstance(header, bytes) else str(header)}

    def update_service(self, service: Service, image: ImageRef) -> Rollout:
        """Point ``service`` at ``image`` and watch swarm roll it out.

        Raises:
            EngineError: Swarm refused the update (the service changed or
                went away meanwhile, for example); nothing changed.
        """
        doing = f"update service {service.name!r}"
        with engine_errors(doing):
            current = self.api.inspect_service(service.id)
            spec = copy.deepcopy(current["Spec"])
            spec.setdefault("TaskTemplate", {}).setdefault("ContainerSpec", {})["Image"] = str(
                image
            )
            # Posted here, not through docker-py's update_service: that one
            # reads credentials from config.json only, not from ``auth``.
            answer = self.api._post_json(
                self.api._url("/services/{0}/update", service.id),
                data=spec,
                params={"version": current["Version"]["Index"]},
                headers=self._registry_auth(image),
            )
            self.api._raise_for_status(answer)
        for warning in (answer.json() or {}).get("Warnings") or ():
            _log.warning("Swarm on the update of service %s: %s", service.name, warning)
        return self._watch(service, current.get("UpdateStatus"))

    def _watch(self, service: Service, before: Mapping[str, Any] | None) -> Rollout:
        deadline = time.monotonic() + self._timeout.total_seconds()
        last: Mapping[str, Any] | None = None
        while True:
            with engine_errors(f"follow the rollout of service {service.name!r}"):
                last = self.api.inspect_service(service.id).get("UpdateStatus")
            ended = rollout_of(before, last)
            if ended is not None:
                return ended
            if time.monotonic() >= deadline:
                state = (last or {}).get("State") or "not started"
                return Rollout(RolloutState.TIMED_OUT, f"swarm's update state is {state}")
            time.sleep(self._poll)

    def __repr__(self) -> str:
        return f"SwarmClient({self.api.base_url!r})"
