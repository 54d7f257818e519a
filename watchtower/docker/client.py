"""The default :class:`~watchtower.protocols.ContainerClient`, on docker-py.

Each method is one safe primitive; the transaction around them (stop, rename
aside, create, start, health wait, remove, rollback) is decided by
:func:`watchtower.update`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ReadTimeout

from ..errors import ContainerError, EngineError, ImageInUseError
from ..model import Container, HookResult, Image, ImageRef
from . import hooks
from .connect import _version_tuple, connect, describe_host
from .recreate import create_spec, created_from
from .snapshot import container_from_inspect, image_from_inspect

__all__ = ["AuthLookup", "DockerClient"]

#: Registry host -> docker ``auth_config`` (``username``/``password`` or
#: ``identitytoken``), or ``None`` to let docker-py use config.json.
AuthLookup = Callable[[str], "Mapping[str, str] | None"]

_LISTED_STATES = {
    False: ("running", "paused"),
    True: ("running", "paused", "created", "exited"),
}


def _reason(error: Exception) -> str:
    text = str(error.explanation or error) if isinstance(error, APIError) else str(error)
    return text.strip().split("\n")[0].rstrip(".")


def _own_name(names: Sequence[str]) -> str:
    # A linked container is also listed under "/<linker>/<alias>".
    own = [name for name in names if name.count("/") == 1]
    return str((own or list(names) or ["/"])[0]).lstrip("/")


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
    """

    def __init__(
        self, api: Any, *, auth: AuthLookup | None = None, poll_interval: float = 0.2
    ) -> None:
        self.api = api
        self._auth = auth
        self._poll = poll_interval
        self._where = str(getattr(api, "base_url", "the Docker engine"))

    @classmethod
    def from_env(
        cls,
        base_url: str | None = None,
        *,
        environment: Mapping[str, str] | None = None,
        auth: AuthLookup | None = None,
        timeout: float = 120.0,
    ) -> DockerClient:
        """Connect like the docker CLI does and negotiate the API version.

        Raises:
            EngineError: The engine is unreachable or too old, in one sentence.
        """
        client = cls(connect(base_url, environment=environment, timeout=timeout), auth=auth)
        client._where = describe_host(base_url, environment)
        return client

    @property
    def api_version(self) -> str:
        """The API version negotiated with the engine."""
        return str(self.api.api_version)

    def close(self) -> None:
        """Close the connections to the engine."""
        self.api.close()

    # -- reading ---------------------------------------------------------------

    def _image_inspect(self, reference: str) -> dict[str, Any] | None:
        try:
            return dict(self.api.inspect_image(reference))
        except (NotFound, ImageNotFound):
            return None
        except DockerException as error:
            raise EngineError(f"Could not inspect image {reference}: {_reason(error)}.") from None

    def _snapshot(
        self,
        inspect: Mapping[str, Any],
        names_by_id: Mapping[str, str] | None,
        images: dict[str, dict[str, Any] | None],
    ) -> Container:
        image_id = str(inspect.get("Image", ""))
        if image_id not in images:
            images[image_id] = self._image_inspect(image_id)
        return container_from_inspect(inspect, images[image_id], names_by_id)

    def _names_by_id(self, listing: Sequence[Mapping[str, Any]] | None = None) -> dict[str, str]:
        if listing is None:
            listing = self.api.containers(all=True)
        return {str(entry["Id"]): _own_name(entry.get("Names") or ()) for entry in listing}

    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> Sequence[Container]:
        """Every running or paused container (optionally stopped and restarting ones)."""
        states = set(_LISTED_STATES[include_stopped])
        if include_restarting:
            states.add("restarting")
        try:
            listing = self.api.containers(all=True)
            names = self._names_by_id(listing)
            images: dict[str, dict[str, Any] | None] = {}
            result = []
            for entry in listing:
                if entry.get("State") not in states:
                    continue
                try:
                    inspect = self.api.inspect_container(entry["Id"])
                except NotFound:
                    continue  # removed since the listing
                if (inspect.get("State") or {}).get("Status") not in states:
                    continue
                result.append(self._snapshot(inspect, names, images))
            return result
        except DockerException as error:
            raise EngineError(
                f"Could not list the containers of {self._where}: {_reason(error)}."
            ) from None

    def get_container(self, container_id: str) -> Container:
        """A fresh snapshot of one container, by id or name."""
        try:
            inspect = self.api.inspect_container(container_id)
        except NotFound:
            raise ContainerError(f"There is no container {container_id!r}.") from None
        except DockerException as error:
            raise ContainerError(
                f"Could not inspect container {container_id!r}: {_reason(error)}."
            ) from None
        names = None
        if str((inspect.get("HostConfig") or {}).get("NetworkMode", "")).startswith("container:"):
            names = self._names_by_id()
        return self._snapshot(inspect, names, {})

    def inspect_image(self, reference: str) -> Image | None:
        """The local image for a reference or an id, or ``None``."""
        inspect = self._image_inspect(reference)
        return image_from_inspect(inspect) if inspect is not None else None

    # -- pulling ---------------------------------------------------------------

    def pull_image(self, ref: ImageRef) -> Image:
        """Pull ``ref`` (with credentials from ``auth`` or config.json) and return it."""
        auth_config = self._auth(ref.domain) if self._auth is not None else None
        tag = ref.digest if ref.tag is None else ref.tag
        try:
            stream = self.api.pull(
                ref.name, tag=tag, stream=True, decode=True,
                auth_config=dict(auth_config) if auth_config else None,
            )
            for message in stream:
                if "error" in message:
                    detail = message.get("errorDetail", {}).get("message") or message["error"]
                    raise EngineError(f"Pulling {ref} failed: {str(detail).rstrip('.')}.")
        except DockerException as error:
            raise EngineError(f"Pulling {ref} failed: {_reason(error)}.") from None
        local = f"{ref.name}:{ref.tag}" if ref.tag is not None else f"{ref.name}@{ref.digest}"
        image = self.inspect_image(local)
        if image is None:
            raise EngineError(f"Pulling {ref} left no local image {local}.")
        return image

    # -- lifecycle -------------------------------------------------------------

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        """Send ``signal``, wait up to ``timeout``, then kill; the engine marks it stopped.

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
        try:
            if _version_tuple(self.api_version) >= (1, 42):
                url = self.api._url("/containers/{0}/stop", container.id)
                response = self.api._post(
                    url, params={"t": seconds, "signal": wanted},
                    timeout=seconds + (self.api.timeout or 60),
                )
                self.api._raise_for_status(response)
            elif wanted == own or seconds == 0 or wanted in ("SIGKILL", "9"):
                # A stop with no grace time is a kill either way.
                self.api.stop(container.id, timeout=seconds if wanted == own else 0)
            else:
                self._stop_with_kill(container.id, wanted, seconds)
        except NotFound:
            raise ContainerError(f"There is no container {container.name!r} to stop.") from None
        except DockerException as error:
            raise ContainerError(
                f"Could not stop container {container.name!r}: {_reason(error)}."
            ) from None

    def _stop_with_kill(self, container_id: str, signal: str, seconds: int) -> None:
        # Engines before API 1.42 stop only with the configured signal: send
        # ours, wait, and let the stop call record the stop (and kill).
        state = self.api.inspect_container(container_id).get("State") or {}
        if state.get("Running") and not state.get("Paused"):
            try:
                self.api.kill(container_id, signal=signal)
                self.api.wait(container_id, timeout=seconds, condition="not-running")
            except (ReadTimeout, RequestsConnectionError):
                pass
            except APIError as error:
                if "is not running" not in _reason(error):
                    raise
        self.api.stop(container_id, timeout=0)

    def start_container(self, container_id: str) -> None:
        """Start a created or stopped container."""
        try:
            self.api.start(container_id)
        except DockerException as error:
            raise ContainerError(
                f"Container {container_id!r} did not start: {_reason(error)}."
            ) from None

    def rename_container(self, container_id: str, new_name: str) -> None:
        """Rename a container."""
        try:
            self.api.rename(container_id, new_name)
        except DockerException as error:
            raise ContainerError(
                f"Could not rename container {container_id!r} to {new_name!r}: {_reason(error)}."
            ) from None

    def create_replacement(self, old: Container, image: Image) -> str:
        """Create (not start) ``old``'s replacement on ``image``, networks connected.

        If anything fails, the half-made replacement is removed before the
        error is raised.
        """
        inspect = old.raw if isinstance(old.raw, Mapping) else None
        if inspect is None:
            try:
                inspect = self.api.inspect_container(old.id)
            except DockerException as error:
                raise ContainerError(
                    f"Could not inspect container {old.name!r}: {_reason(error)}."
                ) from None
        old_image = self._image_inspect(old.image_id) if old.image_id else None
        new_image = self._image_inspect(image.id)
        if new_image is None:
            raise ContainerError(
                f"Cannot recreate {old.name!r}: the engine has no image {image.id}."
            )
        mode = old.network_mode if old.network_mode.startswith("container:") else None
        # Create from the reference (so the container shows it) when it names
        # this image locally; otherwise from the id, keeping the reference in
        # a label.
        reference = created_from(inspect)
        named = self._image_inspect(reference) if reference else None
        by_id = None if named is not None and named.get("Id") == image.id else image.id
        spec = create_spec(inspect, old_image, new_image, network_mode=mode, image_id=by_id)
        try:
            created = self.api.create_container_from_config(spec.config, spec.name)
        except DockerException as error:
            raise ContainerError(
                f"Could not create the replacement of {old.name!r}: {_reason(error)}."
            ) from None
        new_id = str(created["Id"])
        try:
            for network, endpoint in spec.connect:
                self.api.connect_container_to_network(
                    new_id, network,
                    aliases=endpoint.get("Aliases"),
                    links=endpoint.get("Links"),
                    ipv4_address=(endpoint.get("IPAMConfig") or {}).get("IPv4Address"),
                    ipv6_address=(endpoint.get("IPAMConfig") or {}).get("IPv6Address"),
                    link_local_ips=(endpoint.get("IPAMConfig") or {}).get("LinkLocalIPs"),
                    driver_opt=endpoint.get("DriverOpts"),
                )
        except DockerException as error:
            self._discard(new_id)
            raise ContainerError(
                f"Could not connect the replacement of {old.name!r} to its networks: "
                f"{_reason(error)}."
            ) from None
        return new_id

    def _discard(self, container_id: str) -> None:
        # Volumes in use by the old container survive this (the engine keeps
        # volumes another container references).
        with contextlib.suppress(DockerException):
            self.api.remove_container(container_id, force=True, v=True)

    def wait_until_healthy(self, container_id: str, timeout: timedelta) -> bool:
        """Poll the container until healthy (``True``) or unhealthy, stopped, timed out."""
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            try:
                state = self.api.inspect_container(container_id).get("State") or {}
            except DockerException:
                return False
            if not state.get("Running") or state.get("Restarting"):
                return False
            health = state.get("Health")
            if not health:
                return True
            status = health.get("Status")
            if status == "healthy":
                return True
            if status == "unhealthy":
                return False
            if time.monotonic() >= deadline:
                return False
            time.sleep(self._poll)

    def remove_container(self, container_id: str, *, remove_volumes: bool = False) -> None:
        """Remove a container; with ``remove_volumes`` also the anonymous volumes only it uses."""
        try:
            self.api.remove_container(container_id, v=remove_volumes, force=True)
        except NotFound:
            raise ContainerError(f"There is no container {container_id!r} to remove.") from None
        except DockerException as error:
            raise ContainerError(
                f"Could not remove container {container_id!r}: {_reason(error)}."
            ) from None

    def run_hook(self, container_id: str, command: str, timeout: timedelta) -> HookResult:
        """Run ``sh -c command`` in the container, with ``WT_CONTAINER`` describing it."""
        container = self.get_container(container_id)
        try:
            return hooks.run_hook(
                self.api, container.id, command, timeout, hooks.hook_environment(container)
            )
        except DockerException as error:
            raise ContainerError(
                f"Could not run a hook in container {container.name!r}: {_reason(error)}."
            ) from None

    def remove_image(self, image_id: str) -> None:
        """Remove an image by id; refuse (:class:`ImageInUseError`) while a container uses it."""
        try:
            self.api.remove_image(image_id, force=False, noprune=False)
        except (NotFound, ImageNotFound):
            return
        except APIError as error:
            reason = _reason(error)
            if error.status_code == 409 and "being used" in reason:
                raise ImageInUseError(
                    f"Image {image_id} is still used by a container: {reason}."
                ) from None
            raise EngineError(f"Could not remove image {image_id}: {reason}.") from None
        except DockerException as error:
            raise EngineError(f"Could not remove image {image_id}: {_reason(error)}.") from None

    def __repr__(self) -> str:
        return f"DockerClient({self._where!r}, api={self.api_version})"

