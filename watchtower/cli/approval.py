"""``watchtower approve NAME`` and ``watchtower reject NAME``: deciding an update that waits.

``approve`` approves the update a container of the ``approve`` policy waits
for (see :mod:`watchtower.approvals`), in the history in ``--data-dir``, and
then runs it at once, as a run for that container alone does: the image must
still be the one approved. With ``--later`` it only records the approval,
which the daemon's next run carries out. ``reject`` records that the digest
waiting is not wanted. Both may run beside the daemon (``docker exec
watchtower watchtower approve web``): the history is a SQLite file that
several processes share.

Their own options are ``--digest`` (the digest approved: 12 or more of its
hex digits; the one waiting by default), ``--host`` (a host of the hosts
file), ``--data-dir`` and, for ``approve``, ``--later``; every other flag of
``approve`` is the daemon's (``-H``, ``--hosts-file``, ``--stop-timeout``,
...), read as a run reads it, after the container's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO

from attrs import frozen

from ..errors import ConfigurationError, WatchtowerError
from ..history import Approval, History, SqliteHistory
from ..report import Report
from .subcommand import data_dir_of, read_subcommand, run_on_history

__all__ = ["Decision", "decide_command", "parse_decision"]

USAGE = {
    "approve": "usage: watchtower approve NAME [--digest DIGEST] [--host HOST] [--later] "
    "[--data-dir DIR] [other flags of watchtower]",
    "reject": "usage: watchtower reject NAME [--digest DIGEST] [--host HOST] [--data-dir DIR]",
}


@frozen
class Decision:
    """What ``watchtower approve`` or ``reject`` was asked.

    Attributes:
        command: ``approve`` or ``reject``.
        name: The container.
        digest: The digest decided on; empty for the one waiting.
        host: The host of the hosts file it is on; empty for the one engine.
        data_dir: The directory of the history.
        later: Only record the approval; the daemon's next run carries it out.
        rest: The daemon's flags, given along (``approve`` only).
        help: Print the usage and stop.
    """

    command: str
    name: str = ""
    digest: str = ""
    host: str = ""
    data_dir: str = ""
    later: bool = False
    rest: tuple[str, ...] = ()
    help: bool = False


def parse_decision(command: str, argv: Sequence[str], environ: Mapping[str, str]) -> Decision:
    """The options of ``approve`` or ``reject`` (the command word left out).

    Raises:
        ConfigurationError: A missing value or name, a second name, or (for
            ``reject``) an option it does not have.
    """
    approve = command == "approve"
    asked = read_subcommand(
        command,
        argv,
        USAGE[command],
        valued=("--digest", "--host", "--data-dir"),
        switches=("--later",) if approve else (),
        daemon_flags=approve,
    )
    return Decision(
        command,
        name=asked.name,
        digest=asked.values.get("--digest", ""),
        host=asked.values.get("--host", ""),
        data_dir=data_dir_of(asked, environ),
        later="--later" in asked.switches,
        rest=asked.rest,
        help=asked.help,
    )


def _run(decision: Decision, history: History, environ: Mapping[str, str]) -> Report:
    """The run for the approved container alone, on its host, with the daemon's flags.

    Raises:
        ConfigurationError: A bad flag, or no such host.
        WatchtowerError: The engine or the registry could not be used.
    """
    from ..orchestrator import update
    from ..quota import book_of
    from .command import build_backends
    from .config import load
    from .hosts import fleet_of

    config = load(decision.rest, environ)
    home, registry = build_backends(config, environ)
    try:
        fleet = fleet_of(
            config.hosts, environ=environ, home=home, engine_timeout=config.engine_timeout
        )
        host = next((h for h in fleet.hosts if h.name == decision.host), None)
        if host is None:
            named = ", ".join(h.name for h in fleet.hosts if h.name) or "none"
            raise ConfigurationError(
                f"There is no host {decision.host!r} (the hosts: {named}); --host names a "
                "host of the hosts file, -H gives the engine's address."
            )
        engine = host.open()
        try:
            params = engine.applied(config.params.only([decision.name]))
            return update(
                engine.client,
                registry,
                params,
                history=history,
                host=decision.host,
                quota=book_of(registry),
            )
        finally:
            engine.close()
    finally:
        if home is not None:
            home.close()


def _said(approval: Approval) -> str:
    return f"{approval.container}: the update to {approval.shown} ({approval.digest[:19]})"


def _decide(decision: Decision, history: SqliteHistory, environ: Mapping[str, str]) -> str:
    """The decision kept and, for ``approve`` unless ``--later``, carried out; what is said of it.

    Raises:
        ApprovalError: Nothing waits, or the digest is another.
        WatchtowerError: The run failed, or did not replace the container.
    """
    approve = decision.command == "approve"
    approval = history.decide(decision.name, decision.host, approve, decision.digest)
    if not approve:
        return f"{_said(approval)} is rejected; that digest is not asked for again.\n"
    if decision.later:
        return f"{_said(approval)} is approved; the next run carries it out.\n"
    try:
        report = _run(decision, history, environ)
    except WatchtowerError as error:
        raise WatchtowerError(
            f"{_said(approval)} is approved, but the run failed: {error}"
        ) from None
    entry = report.get(decision.name)
    if entry is None or entry.outcome.value != "updated":
        reason = entry.reason if entry is not None else "it is not in the run's scope"
        raise WatchtowerError(f"{_said(approval)} is approved, but not done: {reason}")
    return f"{_said(approval)} is approved and done.\n"


def decide_command(
    command: str,
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run ``watchtower approve`` or ``reject`` with ``argv`` (the command word left out).

    Returns the exit code: 0 when the decision was kept (and, for
    ``approve``, the container replaced, unless ``--later``); 1 when
    nothing waits, the digest is another, or the run did not replace it
    (the sentence says why); 2 on a bad option.
    """
    return run_on_history(
        command,
        USAGE[command],
        lambda: parse_decision(command, argv, environ),
        lambda decision, history: _decide(decision, history, environ),
        stdout=stdout,
        stderr=stderr,
    )
