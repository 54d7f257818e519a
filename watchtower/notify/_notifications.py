"""The notifications of a daemon: :class:`NotificationSettings` and :class:`Notifications`."""

from __future__ import annotations

import logging
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from attrs import field, frozen

from ..report import Outcome, Report
from ._apprise import AppriseNotifier
from ._base import DEFAULT_TITLE
from ._entries import LogEntry
from ._generic import GenericSender
from ._log import LogNotifier
from ._message import Message, Sender
from ._services import ServiceSender
from ._smtp import EmailNotifier
from ._targets import (
    AppriseTarget,
    EmailTarget,
    LogTarget,
    ServiceTarget,
    Target,
    WebhookTarget,
    XmppTarget,
    translate,
)
from ._templates import Template
from ._xmpp import XmppSender

if TYPE_CHECKING:
    import requests

__all__ = ["NotificationSettings", "Notifications"]

# Containers a split notification is sent for: those something happened to.
_SPLIT_OUTCOMES = (Outcome.UPDATED, Outcome.RESTARTED, Outcome.STALE, Outcome.FAILED)


def _urls(value: str | Iterable[str]) -> tuple[str, ...]:
    # One URL given as a string is one URL, not a sequence of characters.
    return (value,) if isinstance(value, str) else tuple(value)


@frozen(kw_only=True)
class NotificationSettings:
    """What :class:`Notifications` sends, where, and when.

    Attributes:
        urls: Where messages go: Watchtower's (shoutrrr's) notification URLs
            (``smtp://``, ``generic://``, ``logger://``, ``discord://``,
            ...), apprise URLs, or ``apprise+<url>`` (see
            :doc:`/guides/notifications`).
        level: The least :mod:`logging` level of the log entries a message
            shows; at ``logging.ERROR`` or above, a report is sent only
            when something failed.
        host: The host name the messages speak for; empty for this
            machine's name.
        title_tag: Put in front of the title: ``[tag] Watchtower updates on host``.
        skip_title: Send messages without a title.
        template: The template reports are rendered with; None for the
            built-in ``default``.
        delay: Seconds to wait before each message.
        split_by_container: One message per container that something
            happened to (updated, restarted, stale, failed) instead of one
            per run.
        log_stdout: ``logger://`` writes to stdout instead of the log.
    """

    urls: tuple[str, ...] = field(default=(), converter=_urls)
    level: int = logging.INFO
    host: str = ""
    title_tag: str = ""
    skip_title: bool = False
    template: Template | None = None
    delay: float = 0.0
    split_by_container: bool = False
    log_stdout: bool = False


def _title(host: str, tag: str) -> str:
    # Watchtower's notification title.
    title = f"[{tag}] {DEFAULT_TITLE}" if tag else DEFAULT_TITLE
    return f"{title} on {host}" if host else title


def _sender(
    target: Target,
    *,
    logger: logging.Logger,
    log_stdout: bool,
    session: requests.Session | None,
) -> Sender:
    if isinstance(target, EmailTarget):
        return EmailNotifier(
            target.host,
            target.port,
            from_addr=target.from_addr,
            to_addrs=target.to_addrs,
            username=target.username,
            password=target.password,
            starttls=target.starttls,
            implicit_tls=target.implicit_tls,
            tls_skip_verify=target.tls_skip_verify,
            from_name=target.from_name,
            subject=target.subject or DEFAULT_TITLE,
        )
    if isinstance(target, WebhookTarget):
        return GenericSender(target, session=session)
    if isinstance(target, ServiceTarget):
        return ServiceSender(target, session=session)
    if isinstance(target, XmppTarget):
        return XmppSender(target)
    if isinstance(target, LogTarget):
        return LogNotifier(logger, stream=sys.stdout if log_stdout else None)
    assert isinstance(target, AppriseTarget)
    scheme = target.url.split(":", 1)[0]
    rejection = None
    if target.native:
        rejection = (
            f"The notification URL {target.source} cannot be used: {scheme!r} is neither a "
            "shoutrrr service with an apprise equivalent nor a URL apprise accepts."
        )
    return AppriseNotifier(target.url, shown=target.source, rejection=rejection)


class Notifications:
    """Renders a run's report and delivers it to every notification URL.

    Nothing here raises once it is built: a template that fails to render
    or a notifier that fails to deliver is logged and counted in
    :attr:`failures`, and the update goes on. It is a
    :class:`~watchtower.protocols.Notifier` too: :meth:`notify` sends a
    report without log entries.

    Args:
        settings: What to send, where and when.
        logger: Where failures are logged (with ``notify=False``), and where
            ``logger://`` writes.
        session: The :class:`requests.Session` webhooks post with.
        sleep: How to wait for :attr:`NotificationSettings.delay`
            (``time.sleep``; tests pass their own).

    Raises:
        ConfigurationError: A URL cannot be used (see
            :doc:`/guides/notifications`), or apprise, which it needs, is
            not installed.
    """

    def __init__(
        self,
        settings: NotificationSettings,
        *,
        logger: logging.Logger,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        """The settings it was made with."""
        self.host = settings.host or socket.gethostname()
        """The host name the messages speak for."""
        self.title = "" if settings.skip_title else _title(self.host, settings.title_tag)
        """The title of every message (empty when titles are skipped)."""
        self.template = settings.template or Template("default")
        """The template reports are rendered with."""
        self.senders: tuple[Sender, ...] = tuple(
            _sender(translate(url), logger=logger, log_stdout=settings.log_stdout, session=session)
            for url in settings.urls
        )
        self._logger = logger
        self._sleep = sleep
        self.failures = 0
        """How many deliveries (or renderings) failed so far."""
        self.sent = 0
        """How many messages were delivered so far (one per notifier)."""

    @property
    def level(self) -> int:
        """The least level of the log entries a message shows."""
        return self.settings.level

    @property
    def delay(self) -> float:
        """Seconds waited before each message."""
        return self.settings.delay

    @property
    def names(self) -> tuple[str, ...]:
        """The notifiers' names, for a ``Using notifications: ...`` log line."""
        return tuple(sender.name for sender in self.senders)

    def __bool__(self) -> bool:
        return bool(self.senders)

    def _deliver(self, message: Message) -> None:
        if self.delay > 0:
            self._sleep(self.delay)
        for sender in self.senders:
            try:
                sender.send(message)
            except Exception as exc:
                self.failures += 1
                self._logger.error(
                    "The %s notification could not be sent: %s",
                    sender.name,
                    exc,
                    extra={"notify": False},
                )
            else:
                self.sent += 1

    def startup(self, message: str) -> None:
        """Send the startup message as it is (not through the template).

        It is sent only when the notification level lets ``info`` lines through.
        """
        if not self.senders or self.level > logging.INFO or not message.strip():
            return
        self._deliver(Message(title=self.title, body=message, host=self.host))

    def messages(self, report: Report, entries: Iterable[LogEntry] = ()) -> list[Message]:
        """The messages :meth:`send_report` would send, rendered.

        Entries below the level are left out; at ``error`` and above a report
        with no failure makes no message; a message whose text is blank is
        not made. A template that fails to render is logged and counted.
        """
        shown = [entry for entry in entries if entry.levelno >= self.level]
        if self.settings.split_by_container:
            parts = [
                (_single(report, container.name), _concerning(shown, container.name))
                for container in report.entries
                if container.outcome in _SPLIT_OUTCOMES
            ]
        else:
            parts = [(report, shown)]
        messages = []
        for part, part_entries in parts:
            if self.level >= logging.ERROR and not part.failed:
                continue
            try:
                body = self.template.render(
                    title=self.title, host=self.host, report=part, entries=part_entries
                )
            except Exception as exc:
                self.failures += 1
                self._logger.error(
                    "The notification template %s failed: %s",
                    self.template.name,
                    exc,
                    extra={"notify": False},
                )
                continue
            if body.strip():
                messages.append(Message(title=self.title, body=body, host=self.host, report=part))
        return messages

    def send_report(self, report: Report, entries: Sequence[LogEntry] = ()) -> None:
        """Render ``report`` (with the run's log ``entries``) and send it.

        Nothing is sent when there is nothing to say: see :meth:`messages`.
        """
        if not self.senders:
            return
        for message in self.messages(report, entries):
            self._deliver(message)

    def notify(self, report: Report) -> None:
        """Send ``report`` alone, without log entries (see :meth:`send_report`)."""
        self.send_report(report)


def _single(report: Report, name: str) -> Report:
    return Report(
        entries=[e for e in report.entries if e.name == name],
        started_at=report.started_at,
        finished_at=report.finished_at,
        dry_run=report.dry_run,
    )


def _concerning(entries: Sequence[LogEntry], name: str) -> list[LogEntry]:
    return [
        entry
        for entry in entries
        if name in (entry.fields.get("container"), entry.fields.get("container_name"))
    ]
