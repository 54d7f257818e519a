"""Several engines, and swarm services, on the command line: the hosts file and the run over them.

``--hosts-file`` names a small file, one engine a line::

    # name   address                       options
    web1     tcp://10.0.0.1:2376           tlsverify cert-path=/certs/web1
    web2     unix:///var/run/docker.sock
    manager  tcp://10.0.0.3:2376           tlsverify cert-path=/certs/m swarm

Options: ``tlsverify`` (use TLS and verify the engine), ``cert-path=DIR``
(its ``ca.pem``, ``cert.pem`` and ``key.pem``) and ``swarm`` (also update
the swarm services of that engine, a swarm manager). The hosts make a
:class:`~watchtower.fleet.Fleet` (:func:`fleet_of`): each run connects to
every engine, runs :func:`watchtower.hosts.update_hosts` with one registry
answer per image for all of them, and reports them in one report whose
entries name their host; an engine that cannot be reached is a failed entry
of kind ``host``, and the others go on. The ``--host`` engine is needed only
to find watchtower's own container; an instance that looks after remote
engines runs without one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..docker import AuthLookup, DockerClient
    from ..fleet import Engine, Fleet
    from ..protocols import ServiceClient

__all__ = ["HostEntry", "fleet_of", "own_host", "parse_hosts_file", "read_hosts_file"]

# The variables that say which engine and how; DOCKER_CONFIG (the logins) stays.
_ENGINE_VARIABLES = frozenset({"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"})


@frozen
class HostEntry:
    """One engine of the hosts file.

    Attributes:
        name: The name its report entries carry.
        url: Its address (``DOCKER_HOST``).
        tls_verify: Use TLS and verify it.
        cert_path: Directory of its TLS files, empty for the default.
        swarm: Also update its swarm services.
        canary: New images go here first, and to the other hosts once
            promoted (:mod:`watchtower.canary`).
    """

    name: str
    url: str
    tls_verify: bool = False
    cert_path: str = ""
    swarm: bool = False
    canary: bool = False

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
            elif key == "canary" and not equals:
                entry = attrs.evolve(entry, canary=True)
            elif key == "cert-path" and value:
                entry = attrs.evolve(entry, cert_path=value)
            else:
                raise ConfigurationError(
                    f"{where}: {option!r} is not an option"
                    " (tlsverify, cert-path=DIR, swarm, canary)."
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


def fleet_of(
    hosts: tuple[HostEntry, ...],
    *,
    environ: Mapping[str, str],
    home: DockerClient | None,
    swarm: bool = False,
    own_host: str = "",
    connect: Callable[[Mapping[str, str]], DockerClient] | None = None,
    engine_timeout: timedelta = timedelta(seconds=60),
) -> Fleet:
    """The engines the command line's runs cover.

    With no ``hosts``, the one unnamed host is ``home``, the ``--host``
    engine (with its swarm services when ``swarm``). With ``hosts``, each
    run connects to each engine of the file (``connect`` builds a client
    from an environment; each call may go unanswered for
    ``engine_timeout``) and closes it after the run. Watchtower's own
    container is replaced only on the host named ``own_host`` (see
    :attr:`Engine.self_update <watchtower.fleet.Engine.self_update>`).

    Raises:
        ConfigurationError: There is neither a hosts file nor a ``home`` engine.
    """
    from ..fleet import Engine, Fleet, Host

    if not hosts:
        if home is None:
            raise ConfigurationError("There is no engine to update: no --host and no hosts file.")
        return Fleet((Host.of("", home, _swarm_of(home) if swarm else None),))
    make = connect or functools.partial(_connect, timeout=engine_timeout.total_seconds())

    def opener(entry: HostEntry) -> Callable[[], Engine]:
        def open_engine() -> Engine:
            client = make(entry.environment(environ))
            return Engine(
                client,
                _swarm_of(client) if entry.swarm else None,
                self_update=entry.name == own_host,
                close=client.close,
            )

        return open_engine

    return Fleet(tuple(Host(entry.name, opener(entry), entry.canary) for entry in hosts))


def own_host(hosts: tuple[HostEntry, ...], docker_host: str) -> str:
    """The name of the host of ``hosts`` at the address ``docker_host``; empty when none is."""
    return next((entry.name for entry in hosts if entry.url == docker_host), "")


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


def _swarm_of(client: DockerClient) -> ServiceClient:
    from ..docker.swarm import SwarmClient

    return SwarmClient.of(client)
