"""A fleet: the engines a run covers, by host, and the swarm services where a host has them.

:func:`watchtower.update` is the one-engine primitive. A :class:`Fleet` is
what the runs over several engines take (:func:`~watchtower.update_hosts`,
:func:`~watchtower.hosts.plan_hosts`, :func:`~watchtower.push.update_pushed`
and the command line's runner): each :class:`Host` is opened for a run and
closed after it, so an engine that was down at one run is tried again at
the next. A fleet of one engine has one unnamed host; its runs raise as
:func:`~watchtower.update` does, while a named host that fails is reported
and skipped, and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import attrs
from attrs import field, frozen

from .errors import ConfigurationError
from .params import UpdateParams
from .protocols import ContainerClient, ServiceClient

__all__ = ["Engine", "Fleet", "Host", "each_host"]

T = TypeVar("T")


def _nothing() -> None:
    return None


@frozen
class Engine:
    """One host as a run has it open.

    Attributes:
        client: Its containers.
        services: Its swarm services, when it is a swarm manager whose
            services are updated too; ``None`` otherwise.
        self_update: Whether watchtower's own containers here may be
            replaced (when :attr:`UpdateParams.self_update
            <watchtower.params.UpdateParams.self_update>` says so too): the
            command line allows it only on the engine its own container runs on.
        close: Ends the connection once the run is over (nothing, for a
            client the caller owns).
    """

    client: ContainerClient
    services: ServiceClient | None = None
    self_update: bool = True
    close: Callable[[], object] = field(default=_nothing, eq=False, repr=False)

    def applied(self, params: UpdateParams | None) -> UpdateParams:
        """``params`` as they apply here: without self-update where it is not allowed."""
        params = params or UpdateParams()
        if self.self_update or not params.self_update:
            return params
        return attrs.evolve(params, self_update=False)


@frozen
class Host:
    """One engine of a fleet, and how a run reaches it.

    Attributes:
        name: The name the host's report entries and events carry; empty
            for the one host of a fleet of one engine.
        open: Connects to it, for one run. It raises a
            :class:`~watchtower.errors.WatchtowerError` when the engine
            cannot be reached.
        canary: True when new images go here first, and to the other hosts
            only once promoted (see :mod:`watchtower.canary`).
    """

    name: str
    open: Callable[[], Engine] = field(eq=False, repr=False)
    canary: bool = False

    @classmethod
    def of(
        cls,
        name: str,
        client: ContainerClient,
        services: ServiceClient | None = None,
        *,
        canary: bool = False,
    ) -> Host:
        """A host whose client (and services) the caller opened, and closes."""
        engine = Engine(client, services)
        return cls(name, lambda: engine, canary)


def _hosts(hosts: Iterable[Host]) -> tuple[Host, ...]:
    return tuple(hosts)


def _distinct(_fleet: object, _attribute: object, hosts: tuple[Host, ...]) -> None:
    names = [host.name for host in hosts]
    if not names:
        raise ConfigurationError("A fleet needs at least one host.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigurationError(f"A fleet names the host {repeated[0]!r} twice.")
    if "" in names and len(names) > 1:
        raise ConfigurationError("Only a fleet of one host may leave it unnamed.")


@frozen
class Fleet:
    """The engines a run covers, by host.

    Attributes:
        hosts: The hosts, in the order their reports are listed.
        concurrency: How many hosts are worked on at once.
    """

    hosts: tuple[Host, ...] = field(converter=_hosts, validator=_distinct)
    concurrency: int = 8

    @classmethod
    def of(
        cls,
        engines: ContainerClient | Mapping[str, ContainerClient] | Sequence[ContainerClient],
        services: ServiceClient | Mapping[str, ServiceClient] | None = None,
        *,
        concurrency: int = 8,
    ) -> Fleet:
        """A fleet of clients the caller opened (and closes).

        ``engines`` is one client (the unnamed host, with ``services`` its
        swarm services), clients by host name, or a list of clients named
        ``host-1``, ``host-2``, ... (``services`` then by the same names).

        Raises:
            ConfigurationError: ``services`` names a host ``engines`` does not.
        """
        if isinstance(engines, ContainerClient):
            if services is not None and not isinstance(services, ServiceClient):
                raise ConfigurationError("The services of one engine are one ServiceClient.")
            return cls((Host.of("", engines, services),), concurrency)
        named = (
            dict(engines)
            if isinstance(engines, Mapping)
            else {f"host-{number}": engine for number, engine in enumerate(engines, 1)}
        )
        by_host: Mapping[str, ServiceClient] = {}
        if isinstance(services, Mapping):
            by_host = services
        elif services is not None:
            raise ConfigurationError("The services of several engines are given by host name.")
        unknown = sorted(set(by_host) - set(named))
        if unknown:
            raise ConfigurationError(f"Services are given for {unknown[0]!r}, which is no host.")
        return cls(
            tuple(Host.of(name, client, by_host.get(name)) for name, client in named.items()),
            concurrency,
        )

    @property
    def single(self) -> bool:
        """True for a fleet of one unnamed engine, whose runs are :func:`~watchtower.update`'s."""
        return len(self.hosts) == 1 and not self.hosts[0].name

    @property
    def names(self) -> tuple[str, ...]:
        """The hosts' names, in order."""
        return tuple(host.name for host in self.hosts)

    def only(self, name: str) -> Fleet:
        """This fleet narrowed to the host called ``name`` (empty: the unnamed one).

        Raises:
            ConfigurationError: There is no such host; the sentence lists those there are.
        """
        for host in self.hosts:
            if host.name == name:
                return Fleet((host,), self.concurrency)
        named = ", ".join(sorted(n for n in self.names if n)) or "none"
        raise ConfigurationError(f"There is no host {name[:80]!r} (the hosts: {named}).")


def each_host(
    fleet: Fleet, work: Callable[[str, Engine], T]
) -> tuple[dict[str, T], dict[str, str]]:
    """``work`` on every host of ``fleet``, opened for it and closed after it.

    Hosts are worked on ``fleet.concurrency`` at a time. A named host whose
    opening or work raises is skipped, with the reason; the unnamed host of
    a fleet of one engine raises instead, as :func:`~watchtower.update` does.
    The caller says what a skipped host means (a report entry, a log line).

    Returns:
        Each answer and why each skipped host was skipped, by host name, in
        the fleet's order.
    """

    def one(host: Host) -> T:
        engine = host.open()
        try:
            return work(host.name, engine)
        finally:
            engine.close()

    if fleet.single:
        host = fleet.hosts[0]
        return {host.name: one(host)}, {}
    answers: dict[str, T] = {}
    failures: dict[str, str] = {}
    workers = max(1, min(fleet.concurrency, len(fleet.hosts)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="watchtower-host") as pool:
        futures = {host.name: pool.submit(one, host) for host in fleet.hosts}
        for name, future in futures.items():
            try:
                answers[name] = future.result()
            except Exception as error:
                failures[name] = f"host {name} was skipped: {error}"
    return answers, failures
