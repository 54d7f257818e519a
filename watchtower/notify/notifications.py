"""The notifications of a daemon: :class:`Notifications`, built from Watchtower's flags."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ..report import Outcome, Report
from .entries import LogEntry, parse_level
from .log import LogNotifier
from .message import Message, Sender
from .smtp import EmailNotifier
from .templates import Template
from .urls import (
    AppriseTarget,
    EmailTarget,
    LogTarget,
    Target,
    WebhookTarget,
    legacy_urls,
    translate,
)
from .via_apprise import AppriseNotifier
from .webhook import WebhookNotifier

if TYPE_CHECKING:
    import requests

__all__ = ["OPTION_DEFAULTS", "Notifications", "notification_title"]

OPTION_DEFAULTS: Mapping[str, Any] = {
    "notification_url": (),
    "notifications": (),
    "notifications_level": "info",
    "notifications_delay": 0,
    "notifications_hostname": "",
    "notification_template": "",
    "notification_template_file": "",
    "notification_report": False,
    "notification_title_tag": "",
    "notification_skip_title": False,
    "notification_log_stdout": False,
    "notification_split_by_container": False,
    "notification_email_from": "",
    "notification_email_to": "",
    "notification_email_delay": 0,
    "notification_email_server": "",
    "notification_email_server_port": 25,
    "notification_email_server_tls_skip_verify": False,
    "notification_email_server_user": "",
    "notification_email_server_password": "",
    "notification_email_subjecttag": "",
    "notification_slack_hook_url": "",
    "notification_slack_identifier": "watchtower",
    "notification_slack_channel": "",
    "notification_slack_icon_emoji": "",
    "notification_slack_icon_url": "",
    "notification_msteams_hook": "",
    "notification_gotify_url": "",
    "notification_gotify_token": "",
    "notification_gotify_tls_skip_verify": False,
}
"""Every key :meth:`Notifications.from_options` reads, with Watchtower's default.

The keys are Watchtower's notification flag names with dashes turned into
underscores (``--notifications-level`` is ``notifications_level``).
"""

# Containers a split notification is sent for: those something happened to.
_SPLIT_OUTCOMES = (Outcome.UPDATED, Outcome.RESTARTED, Outcome.STALE, Outcome.FAILED)


def notification_title(host: str, tag: str = "") -> str:
    """Watchtower's notification title: ``[tag] Watchtower updates on host``."""
    title = f"[{tag}] " if tag else ""
    title += "Watchtower updates"
    return f"{title} on {host}" if host else title


def _url_values(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else list(value or ())
    urls: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        # Watchtower lets the value name a file (a Docker secret) holding the URLs.
        if item.startswith("/") and Path(item).is_file():
            lines = Path(item).read_text(encoding="utf-8").splitlines()
            urls += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        else:
            urls.append(item)
    return urls


def _int(values: Mapping[str, Any], key: str) -> int:
    value = values[key]
    try:
        number = int(value)
    except (TypeError, ValueError):
        flag = key.replace("_", "-")
        raise ConfigurationError(f"--{flag} {value!r} is not a whole number.") from None
    if number < 0:
        flag = key.replace("_", "-")
        raise ConfigurationError(f"--{flag} {value!r} is negative.")
    return number


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
            subject=target.subject or "Watchtower updates",
        )
    if isinstance(target, WebhookTarget):
        return WebhookNotifier(
            target.url,
            session=session,
            headers=target.headers,
            method=target.method,
            verify=target.verify,
        )
    if isinstance(target, LogTarget):
        import sys

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
    """Renders a run's report and delivers it to every notifier.

    Nothing here raises once it is built: a template that fails to render
    or a notifier that fails to deliver is logged and counted in
    :attr:`failures`, and the update goes on.

    Args:
        senders: Where messages go.
        template: The template reports are rendered with.
        title: The title of every message (empty to send none).
        host: The host name the messages speak for.
        level: The least :mod:`logging` level of the entries a message shows;
            at ``error`` or above, a report is sent only when something failed.
        delay: Seconds to wait before each message.
        split_by_container: One message per container that something
            happened to (updated, restarted, stale, failed) instead of one
            per run.
        logger: Where failures are logged (with ``notify=False``).
        sleep: How to wait (``time.sleep``; tests pass their own).
    """

    def __init__(
        self,
        senders: Sequence[Sender],
        *,
        template: Template,
        title: str,
        host: str,
        level: int = logging.INFO,
        delay: float = 0.0,
        split_by_container: bool = False,
        logger: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.senders = tuple(senders)
        self.template = template
        self.title = title
        self.host = host
        self.level = level
        self.delay = delay
        self.split_by_container = split_by_container
        self._logger = logger
        self._sleep = sleep
        self.failures = 0
        """How many deliveries (or renderings) failed so far."""
        self.sent = 0
        """How many messages were delivered so far (one per notifier)."""

    @classmethod
    def from_options(
        cls,
        values: Mapping[str, Any],
        *,
        hostname_default: str,
        logger: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> Notifications:
        """Notifications as Watchtower's notification flags describe them.

        ``values`` maps flag names with dashes turned into underscores to
        their values; a missing key takes Watchtower's default
        (:data:`OPTION_DEFAULTS` lists them all) and other keys are ignored:

        ``notification_url`` (list of str; an absolute path to a file reads
        one URL per line), ``notifications`` (list: ``email``, ``slack``,
        ``msteams``, ``gotify``, ``shoutrrr``), ``notifications_level`` (str),
        ``notifications_delay`` (int seconds), ``notifications_hostname``,
        ``notification_template`` (a built-in name or Jinja2 source),
        ``notification_template_file`` (path; wins over the template),
        ``notification_report`` (bool: the ``default`` template instead of
        ``default-legacy``), ``notification_title_tag``,
        ``notification_skip_title`` (bool), ``notification_log_stdout``
        (bool: ``logger://`` writes to stdout), ``notification_split_by_container``
        (bool), and the deprecated ``notification_email_from``, ``_to``,
        ``_delay`` (int; wins over ``notifications_delay`` for the email
        type), ``_server``, ``_server_port`` (int), ``_server_tls_skip_verify``,
        ``_server_user``, ``_server_password``, ``_subjecttag``,
        ``notification_slack_hook_url``, ``_identifier``, ``_channel``,
        ``_icon_emoji``, ``_icon_url``, ``notification_msteams_hook``,
        ``notification_gotify_url``, ``_token``, ``_tls_skip_verify``.

        Args:
            values: The option values.
            hostname_default: The host name when ``notifications_hostname`` is empty.
            logger: Where notification failures are logged.
            sleep: How to wait for ``notifications_delay``.
            session: The :class:`requests.Session` webhooks post with.

        Raises:
            ConfigurationError: A bad level, type, template, template file,
                delay or URL; the message names the option.
        """
        options = {**OPTION_DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
        level = parse_level(str(options["notifications_level"]))

        template_file = str(options["notification_template_file"] or "")
        if template_file:
            try:
                source = Path(template_file).read_text(encoding="utf-8")
            except OSError as exc:
                message = f"--notification-template-file {template_file} cannot be read: "
                raise ConfigurationError(message + f"{exc.strerror or exc}.") from None
            template = Template(source, name=f"--notification-template-file {template_file}")
        else:
            source = str(options["notification_template"] or "")
            if not source:
                source = "default" if options["notification_report"] else "default-legacy"
            template = Template(source, name="--notification-template")

        host = str(options["notifications_hostname"] or hostname_default)
        title = ""
        if not options["notification_skip_title"]:
            tag = options["notification_title_tag"] or options["notification_email_subjecttag"]
            title = notification_title(host, str(tag or ""))

        kinds = options["notifications"] or ()
        # One string is Watchtower's comma- or space-separated form.
        types = kinds.replace(",", " ").split() if isinstance(kinds, str) else list(map(str, kinds))
        delay = _int(options, "notifications_delay")
        email_delay = _int(options, "notification_email_delay")
        if "email" in [t.strip().lower() for t in types] and email_delay > 0:
            delay = email_delay

        urls = _url_values(options["notification_url"]) + legacy_urls(types, options)
        senders = [
            _sender(
                translate(url),
                logger=logger,
                log_stdout=bool(options["notification_log_stdout"]),
                session=session,
            )
            for url in urls
        ]
        return cls(
            senders,
            template=template,
            title=title,
            host=host,
            level=level,
            delay=float(delay),
            split_by_container=bool(options["notification_split_by_container"]),
            logger=logger,
            sleep=sleep,
        )

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
        if self.split_by_container:
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


def default_hostname() -> str:
    """This machine's host name, Watchtower's default for ``notifications_hostname``."""
    return socket.gethostname()
