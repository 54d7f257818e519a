"""Pytest fixtures for swarm and many engines: private engines of their own, one a swarm manager.

``swarm_dockerd`` is a second private dockerd (its own data root, exec root,
pidfile and socket, no bridge), turned into a one-node swarm with ``docker
swarm init --advertise-addr 127.0.0.1`` on free ports, so the session's
``dockerd`` stays a plain engine. ``spare_dockerd`` starts one more plain
engine for a single test, which may stop it. Both pull from the session's
``e2e_registry`` (a loopback registry needs no TLS for an engine).
"""

from __future__ import annotations

import contextlib
import itertools
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from . import dockerd as dockerd_support
from .e2e_fixtures import unavailable
from .net import free_port

_COUNTER = itertools.count()


def _free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing holds, in the range swarm accepts for VXLAN."""
    while True:
        port = random.randint(20000, 49151)  # swarm refuses data path ports above 49151
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _start_engine() -> dockerd_support.Dockerd:
    reason = dockerd_support.unavailable_reason()
    if reason is not None:
        unavailable(reason)
    try:
        return dockerd_support.Dockerd.start()
    except RuntimeError as error:
        unavailable(f"dockerd did not start: {error}")
        raise


@pytest.fixture(scope="session")
def swarm_dockerd() -> Iterator[dockerd_support.Dockerd]:
    """A private dockerd that is the one manager of a swarm of its own, for the session."""
    import docker

    engine = _start_engine()
    api = docker.APIClient(base_url=engine.url, version="auto", timeout=60)
    try:
        api.init_swarm(
            advertise_addr="127.0.0.1",
            listen_addr=f"127.0.0.1:{free_port()}",
            data_path_port=_free_udp_port(),
        )
        yield engine
    finally:
        with contextlib.suppress(Exception):
            api.leave_swarm(force=True)
        api.close()
        engine.stop()


@pytest.fixture(scope="session")
def swarm_api(swarm_dockerd: dockerd_support.Dockerd) -> Iterator[Any]:
    """A low-level docker-py client of the swarm manager, for setting up and asserting."""
    import docker

    api = docker.APIClient(base_url=swarm_dockerd.url, version="auto", timeout=60)
    try:
        yield api
    finally:
        api.close()


class Services:
    """Unique service names for one test, and the removal of its services."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.prefix = f"wts{next(_COUNTER)}-"

    def __call__(self, name: str) -> str:
        """A unique service name for ``name``."""
        return f"{self.prefix}{name}"

    def cleanup(self) -> None:
        """Remove every service whose name this test handed out."""
        for service in self.api.services():
            if service["Spec"]["Name"].startswith(self.prefix):
                with contextlib.suppress(Exception):
                    self.api.remove_service(service["ID"])


@pytest.fixture
def swarm_services(swarm_api: Any) -> Iterator[Services]:
    """Unique service names for a test; its services are removed afterwards."""
    services = Services(swarm_api)
    try:
        yield services
    finally:
        services.cleanup()


@pytest.fixture
def spare_dockerd() -> Iterator[dockerd_support.Dockerd]:
    """One more private plain engine for one test; the test may stop it."""
    engine = _start_engine()
    try:
        yield engine
    finally:
        engine.stop()


__all__ = ["Services", "spare_dockerd", "swarm_api", "swarm_dockerd", "swarm_services"]
