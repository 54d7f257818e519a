"""Several engines, and swarm services, on the command line: the hosts file and the run over them.

``--hosts-file`` names a small file, one engine a line::

    # name   address                       options
    web1     tcp://10.0.0.1:2376           tlsverify cert-path=/certs/web1
    web2     unix:///var/run/docker.sock
    manager  tcp://10.0.0.3:2376           tlsverify cert-path=/certs/m swarm

Options: ``tlsverify`` (use TLS and verify the engine), ``cert-path=DIR``
(its ``ca.pem``, ``cert.pem`` and ``key.pem``) and ``swarm`` (also update
the swarm services of that engine, a swarm manager). Each run connects to
every engine, runs :func:`watchtower.hosts.update_hosts` with one registry
answer per image for all of them, and reports them in one report whose
entries name their host; an engine that cannot be reached is a failed entry
of kind ``host``, and the others go on.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from ..errors import ConfigurationError, WatchtowerError

if TYPE_CHECKING:
    from ..docker import AuthLookup, DockerClient
    from ..protocols import ContainerClient, Registry, ServiceClient
    from ..report import Report

__all__ = ["HostEntry", "parse_hosts_file", "read_hosts_file", "run_function"]

_log = logging.getLogger(__name__)

# The variables that say which engine and how; DOCKER_CONFIG (the logins) stays.
_ENGINE_VARIABLES = frozenset({"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"})

RunFunction = Callable[..., "Report"]
"""What a :class:`~watchtower.cli.runner.Runner` calls to make a run, as it calls
:func:`watchtower.update`: ``(client, registry, params, *, observer, clock, dry_run)``."""


@frozen
class HostEntry:
    """One engine of the hosts file.

    Attributes:
        name: The name its report entries carry.
        url: Its address (``DOCKER_HOST``).
        tls_verify: Use TLS and verify it.
        cert_path: Directory of its TLS files, empty for the default.
        swarm: Also update its swarm services.
    """

    name: str
    url: str
    tls_verify: bool = False
    cert_path: str = ""
    swarm: bool = False

    def environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` with this engine's ``DOCKER_*`` variables instead of its own."""
        env = {k: v for k, v in environ.items() if k not in _ENGINE_VARIABLES}
        env["DOCKER_HOST"] = self.url
        if self.tls_verify:
            env["DOCKER_TLS_VERIFY"] = "1"
        if self.cert_path:
            env["DOCKER_CERT_PATH"] = self.cert_path
        return env


def parse_hosts_file(text: str, source: str = "the hosts file") -> tuple[HostEntry, ...]:
    """The engines a hosts file lists; blank lines and ``#`` comments are skipped.

    Raises:
        ConfigurationError: A line is malformed or a name repeats, naming the line.
    """
    entries: dict[str, HostEntry] = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{source}, line {number}"
        if len(words) < 2:
            raise ConfigurationError(f"{where} names no address: write 'NAME ADDRESS [options]'.")
        name, url, *options = words
        if "://" not in url:
            raise ConfigurationError(f"{where}: {url!r} is no engine address (unix:// or tcp://).")
        if name in entries:
            raise ConfigurationError(f"{where} names the host {name!r} again.")
        entry = HostEntry(name, url)
        for option in options:
            key, equals, value = option.partition("=")
            if key == "tlsverify" and not equals:
                entry = attrs.evolve(entry, tls_verify=True)
            elif key == "swarm" and not equals:
                entry = attrs.evolve(entry, swarm=True)
            elif key == "cert-path" and value:
                entry = attrs.evolve(entry, cert_path=value)
            else:
                raise ConfigurationError(
                    f"{where}: {option!r} is not an option (tlsverify, cert-path=DIR, swarm)."
                )
        entries[name] = entry
    if not entries:
        raise ConfigurationError(f"{source} lists no host.")
    return tuple(entries.values())


def read_hosts_file(path: str) -> tuple[HostEntry, ...]:
    """The engines the hosts file at ``path`` lists.

    Raises:
        ConfigurationError: It cannot be read or is malformed.
    """
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"The hosts file {path!r} cannot be read: {error}.") from error
    return parse_hosts_file(text, f"the hosts file {path!r}")


def run_function(
    hosts: tuple[HostEntry, ...],
    *,
    environ: Mapping[str, str],
    swarm: bool = False,
    connect: Callable[[Mapping[str, str]], DockerClient] | None = None,
    engine_timeout: timedelta = timedelta(seconds=60),
) -> RunFunction:
    """How the runner makes a run: on the engine it is given, or on every host of ``hosts``.

    With no ``hosts``, a run is :func:`watchtower.update` on the runner's
    engine, with its swarm services when ``swarm``. With ``hosts``, each run
    connects to each engine (``connect`` builds a client from an
    environment), updates them all and returns the whole run's report. Each
    engine's calls may go unanswered for ``engine_timeout``.
    """
    # Imported here: reading the configuration does not load the orchestrator.
    from ..hosts import update_hosts
    from ..orchestrator import update

    def single(client: ContainerClient, registry: Registry, *args: Any, **kwargs: Any) -> Report:
        return update(client, registry, *args, services=_swarm_of(client), **kwargs)

    if not hosts:
        return single if swarm else update
    make = connect or functools.partial(_connect, timeout=engine_timeout.total_seconds())

    def many(_client: ContainerClient, registry: Registry, params: Any, **kwargs: Any) -> Report:
        clients, failures = _connect_all(hosts, environ, make)
        services: dict[str, ServiceClient] = {
            h.name: _swarm_of(clients[h.name]) for h in hosts if h.swarm and h.name in clients
        }
        try:
            result = update_hosts(clients, registry, params, services=services, **kwargs)
        finally:
            for client in clients.values():
                client.close()
        whole: Report = attrs.evolve(result, failures={**failures, **result.failures}).total
        return whole

    return many


def _connect(environment: Mapping[str, str], *, timeout: float) -> DockerClient:
    from ..docker import DockerClient

    auth = _registry_auth(environment)
    return DockerClient.from_env(environment=environment, auth=auth, timeout=timeout)


def _registry_auth(environ: Mapping[str, str]) -> AuthLookup:
    from ..registry import DockerCredentials, auth_config

    credentials = DockerCredentials(environ=environ)

    def auth(host: str) -> dict[str, str] | None:
        found = credentials.credentials_for(host)
        return auth_config(found, host) if found is not None else None

    return auth


def _swarm_of(client: Any) -> ServiceClient:
    from ..docker.swarm import SwarmClient

    return SwarmClient.of(client)


def _connect_all(
    hosts: tuple[HostEntry, ...],
    environ: Mapping[str, str],
    make: Callable[[Mapping[str, str]], DockerClient],
) -> tuple[dict[str, DockerClient], dict[str, str]]:
    """A client of each engine that answers, and why each other one was skipped."""

    def attempt(host: HostEntry) -> DockerClient | WatchtowerError:
        try:
            return make(host.environment(environ))
        except WatchtowerError as error:
            return error

    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        answers = dict(zip((h.name for h in hosts), pool.map(attempt, hosts), strict=True))
    clients = {n: a for n, a in answers.items() if not isinstance(a, WatchtowerError)}
    failures = {
        n: f"host {n} was skipped: {a}"
        for n, a in answers.items()
        if isinstance(a, WatchtowerError)
    }
    for reason in failures.values():
        _log.warning("%s", reason)
    return clients, failures
