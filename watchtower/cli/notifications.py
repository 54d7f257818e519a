"""Watchtower's notification flags turned into :class:`~watchtower.notify.NotificationSettings`.

The flags and their ``WATCHTOWER_*`` variables arrive as
:attr:`Config.notifications <watchtower.cli.config.Config.notifications>`:
values keyed by flag name with dashes turned into underscores
(``--notifications-level`` is ``notifications_level``). :func:`settings_from_flags`
reads them as Watchtower does, including the deprecated ``--notifications``
types, whose flags
:func:`~watchtower.cli.legacy_notifications.legacy_urls` turns into notification URLs, and
:func:`start` builds the notifications the command line sends.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

from .._text import LOG_LEVELS
from ..errors import ConfigurationError, NotificationError
from ..notify import EntryCollector, LogEntry, Notifications, NotificationSettings, Template
from ..report import ContainerReport, Outcome, Report
from .legacy_notifications import legacy_urls
from .values import default_notification_flags

__all__ = ["RunNotifications", "settings_from_flags", "start"]

Values = Mapping[str, object]
"""Flag values by key; each is the flag's type, or text when given loosely."""


def _with_defaults(values: Values) -> Values:
    return {**default_notification_flags(), **{k: v for k, v in values.items() if v is not None}}


def _text(values: Values, key: str) -> str:
    return str(values[key] or "")


def _items(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, Iterable) else []


def _whole(values: Values, key: str) -> int:
    value = values[key]
    option = "--" + key.replace("_", "-")
    try:
        number = value if isinstance(value, int) else int(str(value))
    except ValueError:
        raise ConfigurationError(f"{option} {value!r} is not a whole number.") from None
    if number < 0:
        raise ConfigurationError(f"{option} {value!r} is negative.")
    return number


def _level(name: str) -> int:
    try:
        return LOG_LEVELS[name.strip().lower()]
    except KeyError:
        choices = ", ".join(LOG_LEVELS)
        message = f"notifications-level {name!r} is not one of {choices}."
        raise ConfigurationError(message) from None


def _template(values: Values) -> Template:
    # Without --notification-report, Watchtower gives a Go template the log entries alone.
    legacy = not values["notification_report"]
    template_file = _text(values, "notification_template_file")
    if template_file:
        try:
            source = Path(template_file).read_text(encoding="utf-8")
        except OSError as exc:
            message = f"--notification-template-file {template_file} cannot be read: "
            raise ConfigurationError(message + f"{exc.strerror or exc}.") from exc
        name = f"--notification-template-file {template_file}"
        return _tried(Template(source, name=name, legacy=legacy))
    source = _text(values, "notification_template")
    if not source:
        source = "default" if values["notification_report"] else "default-legacy"
    return _tried(Template(source, name="--notification-template", legacy=legacy))


def _sample_report() -> tuple[Report, list[LogEntry]]:
    """A run with a container in each outcome, and a log line at each level."""
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    entries = [
        ContainerReport(
            id=f"sha256:{n:064x}",
            name=f"sample-{outcome.value}",
            image=f"example.org/sample/{outcome.value}:latest",
            old_image_id=f"sha256:{n + 100:064x}",
            new_image_id=f"sha256:{n + 200:064x}" if outcome is Outcome.UPDATED else None,
            outcome=outcome,
            reason="a sample reason" if outcome in (Outcome.FAILED, Outcome.SKIPPED) else "",
            new_id=f"sha256:{n + 300:064x}" if outcome is Outcome.UPDATED else None,
        )
        for n, outcome in enumerate(Outcome)
    ]
    report = Report(entries=entries, started_at=moment, finished_at=moment)
    log = [
        LogEntry(
            level=name,
            message=f"a sample {name} line",
            time=moment,
            fields={"container": "sample-updated", "image": "example.org/sample/updated:latest"},
        )
        for name in ("error", "warning", "info", "debug")
    ]
    return report, log


def _tried(template: Template) -> Template:
    """``template``, once it has rendered a sample report without failing.

    A template that fails only when rendered (``{{ 1/0 }}``, an unknown
    attribute) is found at start, not at the first run.

    Raises:
        ConfigurationError: The trial render failed, in one sentence.
    """
    report, log = _sample_report()
    try:
        template.render(title="Watchtower updates", host="sample", report=report, entries=log)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigurationError(
            f"{template.name} fails on a sample report: {reason[:200]}."
        ) from error
    return template


def _urls(value: object) -> list[str]:
    urls: list[str] = []
    for item in _items(value):
        item = item.strip()
        if not item:
            continue
        # Watchtower lets the value name a file (a Docker secret) holding the URLs.
        if item.startswith("/") and Path(item).is_file():
            lines = Path(item).read_text(encoding="utf-8").splitlines()
            urls += [line.strip() for line in lines if line.strip() and not line.startswith("#")]
        else:
            urls.append(item)
    return urls


def _types(value: object) -> list[str]:
    # One string is Watchtower's comma- or space-separated form.
    if isinstance(value, str):
        return value.replace(",", " ").split()
    return _items(value)


def settings_from_flags(values: Values, *, hostname_default: str) -> NotificationSettings:
    """The notification settings Watchtower's notification flags describe.

    A key missing from ``values`` (or None) takes Watchtower's default
    (the ``notify`` group of the flag table); other keys are ignored.

    ``notification_url`` (an absolute path to a file reads one URL per
    line), ``notifications`` (``email``, ``slack``, ``msteams``, ``gotify``,
    ``shoutrrr``; a list, or one comma- or space-separated string),
    ``notifications_level``, ``notifications_delay`` (whole seconds),
    ``notifications_hostname``, ``notification_template`` (a built-in name,
    a Go template as Watchtower's, or Jinja2), ``notification_template_file`` (wins over the
    template), ``notification_report`` (the ``default`` template instead of
    ``default-legacy``), ``notification_title_tag`` (or the deprecated
    ``notification_email_subjecttag``), ``notification_skip_title``,
    ``notification_log_stdout``, ``notification_split_by_container``, and
    the deprecated types' flags (see :func:`~watchtower.cli.legacy_notifications.legacy_urls`);
    ``notification_email_delay`` wins over ``notifications_delay`` for the
    ``email`` type.

    Args:
        values: The flag values.
        hostname_default: The host name when ``notifications_hostname`` is empty.

    Raises:
        ConfigurationError: A bad level, type, template, template file or
            delay, or a deprecated type missing its flags; the message names
            the flag.
    """
    values = _with_defaults(values)
    level = _level(_text(values, "notifications_level"))
    template = _template(values)
    types = _types(values["notifications"])
    delay = _whole(values, "notifications_delay")
    email_delay = _whole(values, "notification_email_delay")
    if "email" in [t.strip().lower() for t in types] and email_delay > 0:
        delay = email_delay
    return NotificationSettings(
        urls=_urls(values["notification_url"]) + legacy_urls(types, values),
        level=level,
        host=_text(values, "notifications_hostname") or hostname_default,
        title_tag=_text(values, "notification_title_tag")
        or _text(values, "notification_email_subjecttag"),
        skip_title=bool(values["notification_skip_title"]),
        template=template,
        delay=float(delay),
        split_by_container=bool(values["notification_split_by_container"]),
        log_stdout=bool(values["notification_log_stdout"]),
    )


class RunNotifications:
    """The command line's notifications as a :class:`~watchtower.protocols.Notifier`.

    Each report goes out with the log lines of its run. A service that
    cannot deliver it makes :meth:`notify` raise, so that the run counts it
    (:attr:`Report.failed_notifications <watchtower.report.Report.failed_notifications>`).

    Args:
        notifications: The services and the template.
        collector: The log lines since the run began (see :meth:`begin`).
    """

    def __init__(self, notifications: Notifications, collector: EntryCollector) -> None:
        self.notifications = notifications
        self.collector = collector

    @property
    def names(self) -> tuple[str, ...]:
        """The services' names, for a ``Using notifications: ...`` log line."""
        return self.notifications.names

    def begin(self) -> None:
        """Forget the log lines so far: a run begins."""
        self.collector.drain()

    def startup(self, message: str) -> None:
        """Send the startup message, as :meth:`.Notifications.startup` does."""
        self.notifications.startup(message)

    def notify(self, report: Report) -> None:
        """Send ``report`` with the run's log lines.

        Raises:
            NotificationError: Some services could not deliver it (each was logged).
        """
        before = self.notifications.failures
        self.notifications.send_report(report, self.collector.drain())
        failed = self.notifications.failures - before
        if failed:
            services = "service" if failed == 1 else "services"
            raise NotificationError(
                f"{failed} notification {services} could not deliver the report", failed=failed
            )


def start(values: Values, logger: logging.Logger) -> RunNotifications:
    """The command line's notifications, with the collector of each run's log lines.

    The collector is attached to ``logger``; the notifications speak for
    this machine's name unless ``notifications_hostname`` says otherwise.

    Raises:
        ConfigurationError: A flag's value is bad or a URL cannot be used.
    """
    settings = settings_from_flags(values, hostname_default=socket.gethostname())
    notifications = Notifications(settings, logger=logger)
    collector = EntryCollector()
    logger.addHandler(collector)
    return RunNotifications(notifications, collector)
