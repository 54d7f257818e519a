"""The default :class:`~watchtower.protocols.ContainerClient`, on docker-py.

Each method is one safe primitive; the transaction around them (stop, rename
aside, create, start, health wait, remove, rollback) is decided by
:func:`watchtower.update`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import docker
from docker.errors import APIError, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

from ..errors import ConfigurationError, ContainerError, EngineError, InvalidReferenceError
from ..model import Container, HookResult, Image, ImageRef, VolumeSnapshot, short_id
from ..probes import Checks
from ..reference import parse_reference
from . import checks as _checks
from . import health, hooks, volumes
from ._errors import ENGINE_FAILURES, engine_errors, shown
from .connect import _version_tuple, connect, describe_host
from .listing import LIST_RETRY_DELAYS, containers_in, names_by_id, retrying
from .recreate import create_spec, created_from
from .runtime import CPU_COPY_MODES, CpuCopyMode, is_podman, listed_states, version_is_podman
from .snapshot import container_from_inspect, has_healthcheck, image_from_inspect, image_reference

_log = logging.getLogger(__name__)

__all__ = ["AuthLookup", "DockerClient"]

#: Registry host -> docker ``auth_config`` (``username``/``password`` or
#: ``identitytoken``), or ``None`` to let docker-py use config.json.
AuthLookup = Callable[[str], "Mapping[str, str] | None"]


class DockerClient:
    """A Docker engine, reached through docker-py's low-level API client.

    Build one with :meth:`from_env` (like the docker CLI: ``DOCKER_HOST``,
    ``DOCKER_TLS_VERIFY``, ``DOCKER_CERT_PATH``) or around an existing
    ``docker.APIClient``. It is safe to use from several threads.

    Args:
        api: A ``docker.APIClient`` connected to the engine.
        auth: Registry credentials for pulls: called with a registry host
            (``ghcr.io``, ``127.0.0.1:5000``), it returns a docker
            ``auth_config`` or ``None``; with ``None`` (or no callable)
            docker-py reads ``~/.docker/config.json`` and its helpers.
        poll_interval: Seconds between two looks at a container's health.
        cpu_copy_mode: Which CPU settings a replacement keeps: ``full``,
            ``none``, or ``auto`` (all but ``NanoCpus`` on Podman), as the
            fork's ``--cpu-copy-mode``.
        disable_memory_swappiness: Leave a replacement's memory swappiness
            to the engine, as the fork's ``--disable-memory-swappiness``.
        podman: Whether the engine is Podman; ``None`` detects it (see
            :func:`~watchtower.docker.runtime.is_podman`) when
            ``cpu_copy_mode`` is ``auto``, on the first replacement.
        list_retry_delays: Seconds to wait before each further try of a
            listing that found the engine unreachable (refused, reset, no
            socket): 5 then 10, the fork's three tries; ``()`` tries once.
        sleep: How to wait those seconds (``time.sleep``; tests pass their own).
    """

    def __init__(
        self,
        api: docker.APIClient,
        *,
        auth: AuthLookup | None = None,
        poll_interval: float = 0.2,
        cpu_copy_mode: str = "auto",
        disable_memory_swappiness: bool = False,
        podman: bool | None = None,
        list_retry_delays: Sequence[float] = LIST_RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if cpu_copy_mode not in CPU_COPY_MODES:
            raise ConfigurationError(
                f"The CPU copy mode {cpu_copy_mode!r} is not one of {', '.join(CPU_COPY_MODES)}."
            )
        self.api = api
        self._auth = auth
        self._poll = poll_interval
        self._where = str(api.base_url)
        self._cpu_copy_mode: CpuCopyMode = CPU_COPY_MODES[CPU_COPY_MODES.index(cpu_copy_mode)]
        self._drop_swappiness = disable_memory_swappiness
        self._podman = podman
        self._podman_lock = threading.Lock()
        self._podman_engine: bool | None = None
        self._restarting_noted = False
        self._list_retry_delays = tuple(list_retry_delays)
        self._sleep = sleep
        # Image inspect answers by id, for one run: an id names fixed
        # content, and the listing that starts each run empties it, so
        # tags read from here are never older than the run.
        self._images: dict[str, dict[str, Any]] = {}
        # Replacements created with no health check: their start answer is
        # all there is to wait for.
        self._no_health: set[str] = set()

    @classmethod
    def from_env(
        cls,
        base_url: str | None = None,
        *,
        environment: Mapping[str, str] | None = None,
        auth: AuthLookup | None = None,
        timeout: float = 60.0,
        api_version: str | None = None,
        cpu_copy_mode: str = "auto",
        disable_memory_swappiness: bool = False,
    ) -> DockerClient:
        """Connect like the docker CLI does and negotiate the API version, or speak ``api_version``.

        The other options are the class's.

        Raises:
            ConfigurationError: ``api_version`` is not a version such as
                ``1.44``, or ``cpu_copy_mode`` no mode.
            EngineError: The engine is unreachable or too old, in one sentence.
        """
        api = connect(base_url, environment=environment, timeout=timeout, api_version=api_version)
        try:
            client = cls(
                api,
                auth=auth,
                cpu_copy_mode=cpu_copy_mode,
                disable_memory_swappiness=disable_memory_swappiness,
            )
        except ConfigurationError:
            api.close()
            raise
        client._where = describe_host(base_url, environment)
        return client

    @property
    def api_version(self) -> str:
        """The API version negotiated with the engine."""
        return str(self.api.api_version)

    def _errors(
        self, doing: str, error_type: type[EngineError] = EngineError
    ) -> contextlib.AbstractContextManager[None]:
        return engine_errors(doing, error_type, engine=self._where)

    def close(self) -> None:
        """Close the connections to the engine."""
        self.api.close()

    # -- reading ---------------------------------------------------------------

    def _image_inspect(self, reference: str, *, cached: bool = False) -> dict[str, Any] | None:
        """The engine's answer for an image; ``cached``: this run's answer for an id, if any."""
        known = self._images.get(reference) if cached else None
        if known is not None:
            return known
        with self._errors(f"inspect image {shown(reference)}"):
            try:
                answer = dict(self.api.inspect_image(reference))
            except NotFound:  # 404 is the engine's answer "no such image"
                return None
        self._images[str(answer.get("Id", ""))] = answer
        return answer

    def _snapshot(
        self, inspect: Mapping[str, Any], names_by_id: Mapping[str, str] | None
    ) -> Container:
        image_id = str(inspect.get("Image", ""))
        image = self._image_inspect(image_id, cached=True) if image_id else None
        return container_from_inspect(inspect, image, names_by_id)

    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> Sequence[Container]:
        """Every running or paused container (optionally stopped and restarting ones)."""
        podman = include_restarting and self._is_podman()
        if podman and not self._restarting_noted:
            self._restarting_noted = True
            _log.info("--include-restarting is ignored: Podman has no restarting state.")
        states = listed_states(
            include_stopped=include_stopped, include_restarting=include_restarting, podman=podman
        )
        return retrying(lambda: self._list(states), self._list_retry_delays, self._sleep)

    def _list(self, states: frozenset[str]) -> list[Container]:
        # A run starts here: forget the last run's answers.
        self._images, self._no_health = {}, set()
        with self._errors(f"list the containers of {self._where}"):
            return containers_in(self.api, states, self._snapshot)

    def get_container(self, container_id: str) -> Container:
        """A fresh snapshot of one container, by id or name."""
        with self._errors(f"inspect container {shown(container_id)!r}", ContainerError):
            inspect = self.api.inspect_container(container_id)
            names = None
            mode = str((inspect.get("HostConfig") or {}).get("NetworkMode", ""))
            if mode.startswith("container:"):
                names = names_by_id(self.api.containers(all=True))
            return self._snapshot(inspect, names)

    def inspect_image(self, reference: str) -> Image | None:
        """The local image for a reference or an id, or ``None``."""
        inspect = self._image_inspect(reference)
        return image_from_inspect(inspect) if inspect is not None else None

    # -- pulling ---------------------------------------------------------------

    def pull_image(self, ref: ImageRef) -> Image:
        """Pull ``ref`` (with credentials from ``auth`` or config.json) and return it."""
        auth_config = self._auth(ref.domain) if self._auth is not None else None
        tag = ref.digest if ref.tag is None else ref.tag
        with self._errors(f"pull {ref}"):
            stream = self.api.pull(
                ref.name,
                tag=tag,
                stream=True,
                decode=True,
                auth_config=dict(auth_config) if auth_config else None,
            )
            for message in stream:
                if "error" in message:
                    # The engine reports a failed pull inside a successful answer.
                    detail = message.get("errorDetail", {}).get("message") or message["error"]
                    raise EngineError(f"Could not pull {ref}: {str(detail).rstrip('.')}.")
        local = f"{ref.name}:{ref.tag}" if ref.tag is not None else f"{ref.name}@{ref.digest}"
        image = self.inspect_image(local)
        if image is None:
            raise EngineError(f"Could not pull {ref}: the engine has no image {local} after it.")
        return image

    def tag_image(self, image_id: str, ref: ImageRef) -> None:
        """Make ``ref`` (a name and a tag) name the local image ``image_id``."""
        with self._errors(f"tag {ref}"):
            self.api.tag(image_id, ref.name, ref.tag, force=True)

    # -- lifecycle -------------------------------------------------------------

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        """Send ``signal``, wait up to ``timeout``, then kill; return once its exit is over.

        The restart policy does not bring it back: every path ends in the
        engine's stop call, which records a deliberate stop.
        """
        seconds = max(0, math.ceil(timeout.total_seconds()))
        wanted = signal.upper()
        if not wanted.startswith("SIG") and not wanted.isdigit():
            wanted = "SIG" + wanted
        own = (container.stop_signal or "SIGTERM").upper()
        if not own.startswith("SIG") and not own.isdigit():
            own = "SIG" + own
        with self._errors(f"stop container {container.name!r}", ContainerError):
            if _version_tuple(self.api_version) >= (1, 42):
                url = self.api._url("/containers/{0}/stop", container.id)
                response = self.api._post(
                    url,
                    params={"t": seconds, "signal": wanted},
                    timeout=seconds + (self.api.timeout or 60),
                )
                self.api._raise_for_status(response)
            elif wanted == own or seconds == 0 or wanted in ("SIGKILL", "9"):
                # A stop with no grace time is a kill either way.
                self.api.stop(container.id, timeout=seconds if wanted == own else 0)
            else:
                self._stop_with_kill(container.id, wanted, seconds)
            # The stop answers once the container is marked stopped, while the
            # engine may still be releasing its network under the container's
            # lock. An inspect takes that lock, so its answer ends the exit
            # (the rule of watchtower.lanes).
            with contextlib.suppress(NotFound):  # removed on exit (--rm)
                self.api.inspect_container(container.id)

    def _stop_with_kill(self, container_id: str, signal: str, seconds: int) -> None:
        # Engines before API 1.42 stop only with the configured signal: send
        # ours, wait, and let the stop call record the stop (and kill).
        state = self.api.inspect_container(container_id).get("State") or {}
        if state.get("Running") and not state.get("Paused"):
            try:
                self.api.kill(container_id, signal=signal)
                self.api.wait(container_id, timeout=seconds, condition="not-running")
            except (ReadTimeout, RequestsConnectionError):
                pass  # the grace time is over: the stop call below kills it
            except APIError as error:
                if error.status_code != 409:  # 409: it stopped on its own meanwhile
                    raise
        self.api.stop(container_id, timeout=0)

    def start_container(self, container_id: str) -> None:
        """Start a created or stopped container."""
        with self._errors(f"start container {shown(container_id)!r}", ContainerError):
            self.api.start(container_id)

    def rename_container(self, container_id: str, new_name: str) -> None:
        """Rename a container."""
        doing = f"rename container {shown(container_id)!r} to {new_name!r}"
        with self._errors(doing, ContainerError):
            self.api.rename(container_id, new_name)

    def create_replacement(self, old: Container, image: Image) -> str:
        """Create (not start) ``old``'s replacement on ``image``, networks connected.

        If anything fails, the half-made replacement is removed before the
        error is raised.
        """
        inspect = old.raw if isinstance(old.raw, Mapping) else None
        if inspect is None:
            with self._errors(f"inspect container {old.name!r}", ContainerError):
                inspect = self.api.inspect_container(old.id)
        old_image = self._image_inspect(old.image_id, cached=True) if old.image_id else None
        new_image = self._image_inspect(image.id, cached=True)
        if new_image is None:
            raise ContainerError(
                f"Could not recreate container {old.name!r}: the engine has no image "
                f"{short_id(image.id)}."
            )
        mode = old.network_mode if old.network_mode.startswith("container:") else None
        if old.image.path and old.image != image_reference(inspect):
            # A tag rule moved it: the replacement is created from the new tag.
            config = {**(inspect.get("Config") or {}), "Image": old.image.familiar}
            inspect = {**inspect, "Config": config}
        # Create from the reference (so the container shows it) when it names
        # this image locally; otherwise from the id, keeping the reference in
        # a label.
        reference = created_from(inspect)
        by_id = None if reference and self._names(reference, new_image) else image.id
        spec = create_spec(
            inspect,
            old_image,
            new_image,
            network_mode=mode,
            image_id=by_id,
            cpu=self._cpu_settings(),
            drop_swappiness=self._drop_swappiness,
            mac_per_network=_version_tuple(self.api_version) >= (1, 44),
        )
        with self._errors(f"create the replacement of {old.name!r}", ContainerError):
            new_id = str(self.api.create_container_from_config(spec.config, spec.name)["Id"])
        if not has_healthcheck(spec.config) and not has_healthcheck(new_image.get("Config") or {}):
            self._no_health.add(new_id)
        doing = f"connect the replacement of {old.name!r} to its networks"
        try:
            with self._errors(doing, ContainerError):
                for network, endpoint in spec.connect:
                    ipam = endpoint.get("IPAMConfig") or {}
                    self.api.connect_container_to_network(
                        new_id,
                        network,
                        aliases=endpoint.get("Aliases"),
                        links=endpoint.get("Links"),
                        ipv4_address=ipam.get("IPv4Address"),
                        ipv6_address=ipam.get("IPv6Address"),
                        link_local_ips=ipam.get("LinkLocalIPs"),
                        driver_opt=endpoint.get("DriverOpts"),
                        mac_address=endpoint.get("MacAddress"),
                    )
        except Exception:
            self._discard(new_id)
            raise
        return new_id

    def _names(self, reference: str, image: Mapping[str, Any]) -> bool:
        """Whether ``reference`` names ``image`` locally now."""
        try:
            wanted = parse_reference(reference)
            tags = [parse_reference(str(tag)) for tag in image.get("RepoTags") or ()]
        except InvalidReferenceError:
            tags = []
        else:
            if wanted in tags:
                return True  # a tag names one image: no need to ask
        # A digest, or a tag the answer does not show: ask the engine.
        with self._errors(f"inspect image {shown(reference)}"):
            try:
                named = self.api.inspect_image(reference)
            except NotFound:  # 404: the reference names no image here
                return False
        return bool(named.get("Id") == image.get("Id"))

    def _discard(self, container_id: str) -> None:
        # Best effort, under an error already being raised. Volumes in use by
        # the old container survive this (the engine keeps volumes another
        # container references).
        with contextlib.suppress(*ENGINE_FAILURES):
            self.api.remove_container(container_id, force=True, v=True)

    def wait_until_healthy(self, container_id: str, timeout: timedelta) -> bool:
        """Poll the container until healthy (``True``) or unhealthy, stopped, gone, timed out.

        A replacement this client created with no health check (neither its
        own nor its image's) is healthy once started: the start answer
        suffices, and nothing is asked. On Podman, whose checks run from
        systemd timers that a host without systemd never fires, a check
        still ``starting`` is run through Podman's own healthcheck call.

        Raises:
            ContainerError: Its state could not be read.
        """
        if container_id in self._no_health:
            self._no_health.discard(container_id)
            return True
        return health.wait_until_healthy(
            self.api,
            container_id,
            timeout,
            poll_interval=self._poll,
            podman=self._engine_is_podman,
            engine=self._where,
        )

    def check_replacement(self, container_id: str, checks: Checks) -> str:
        """Run a started replacement's probes and soak (:mod:`watchtower.docker.checks`)."""
        return _checks.check_replacement(
            self.api,
            container_id,
            checks,
            run_command=self.run_hook,
            poll=max(self._poll, 0.5),
            engine=self._where,
        )

    def snapshot_volume(self, container: Container, volume: str, keep: int) -> str:
        """Copy ``volume`` into a new snapshot volume (:mod:`watchtower.docker.volumes`)."""
        with self._errors(f"snapshot volume {volume!r}"):
            return volumes.snapshot_volume(
                self.api, container, volume, keep, datetime.now(timezone.utc)
            )

    def restore_volume(self, container: Container, volume: str, snapshot: str) -> None:
        """Make ``volume`` hold what ``snapshot`` holds (:mod:`watchtower.docker.volumes`)."""
        with self._errors(f"restore volume {volume!r} from {snapshot!r}"):
            volumes.restore_volume(self.api, container, volume, snapshot)

    def snapshots_of(self, volume: str) -> list[str]:
        """The names of ``volume``'s snapshots (:mod:`watchtower.docker.volumes`)."""
        with self._errors(f"list the snapshots of volume {volume!r}"):
            return volumes.snapshots_of(self.api, volume)

    def snapshots_for(self, container: Container) -> list[VolumeSnapshot]:
        """The snapshots taken for ``container`` (:mod:`watchtower.docker.volumes`)."""
        with self._errors(f"list the snapshots of {container.name!r}"):
            return volumes.snapshots_for(self.api, container)

    def remove_container(self, container_id: str, *, remove_volumes: bool = False) -> None:
        """Remove a container; with ``remove_volumes`` also the anonymous volumes only it uses."""
        with self._errors(f"remove container {shown(container_id)!r}", ContainerError):
            self.api.remove_container(container_id, v=remove_volumes, force=True)

    def registry_mirrors(self) -> tuple[str, ...]:
        """The engine's Docker Hub mirrors (its ``registry-mirrors``), for the digest checks.

        Empty when the engine has none or does not say.
        """
        try:
            info = self.api.info()
        except Exception:
            return ()  # no mirrors known: Docker Hub is asked directly
        mirrors = (info.get("RegistryConfig") or {}).get("Mirrors") or []
        return tuple(str(mirror) for mirror in mirrors if mirror)

    def _is_podman(self) -> bool:
        with self._podman_lock:
            if self._podman is None:
                # Asked once: the engine does not change under a client. The
                # engine's own /version first: the fork's signs miss Podman 4.3
                # outside a Podman container, where /info names neither.
                self._podman = self._engine_is_podman() or is_podman(self.api.info)
            return self._podman

    def _engine_is_podman(self) -> bool:
        if self._podman_engine is None:
            with self._errors("ask the engine what it is", ContainerError):
                self._podman_engine = version_is_podman(self.api.version())
        return self._podman_engine

    def _cpu_settings(self) -> Literal["full", "none", "no-nano-cpus"]:
        if self._cpu_copy_mode != "auto":
            return self._cpu_copy_mode
        return "no-nano-cpus" if self._is_podman() else "full"

    def run_hook(
        self, container_id: str, command: str, timeout: timedelta, *, user: str = ""
    ) -> HookResult:
        """Run ``sh -c command`` in the container as ``user``; ``WT_CONTAINER`` describes it."""
        container = self.get_container(container_id)
        with self._errors(f"run a hook in container {container.name!r}", ContainerError):
            return hooks.run_hook(
                self.api,
                container.id,
                command,
                timeout,
                hooks.hook_environment(container),
                user=user,
            )

    def remove_image(self, image_id: str) -> None:
        """Remove an image by id; refuse (:class:`ImageInUseError`) while a container uses it."""
        self._images.pop(image_id, None)
        with self._errors(f"remove image {shown(image_id)}"):
            try:
                self.api.remove_image(image_id, force=False, noprune=False)
            except NotFound:  # 404: already gone, which is what was asked
                return

    def __repr__(self) -> str:
        return f"DockerClient({self._where!r}, api={self.api_version})"
