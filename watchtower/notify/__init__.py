"""Notifications: notifiers, report templates, Watchtower's notification URLs and flags.

Nothing here is imported by ``import watchtower``. Jinja2 (the ``cli``
extra) is imported when a template is compiled, requests when a webhook
posts, apprise (the ``apprise`` extra) when an apprise notifier is made.

The command line builds a :class:`Notifications` with
:meth:`Notifications.from_options`, collects the run's log lines with an
:class:`EntryCollector` and calls :meth:`Notifications.send_report` after
each run. Every notifier here is also a
:class:`~watchtower.protocols.Notifier` on its own: ``notifier.notify(report)``
renders the report with the ``default`` template and sends it.
"""

from __future__ import annotations

from .entries import LEVELS, EntryCollector, LogEntry, entry_from_event, level_name, parse_level
from .log import LogNotifier
from .message import Message, Sender
from .notifications import OPTION_DEFAULTS, Notifications, default_hostname, notification_title
from .smtp import EmailNotifier
from .templates import BUILTIN_TEMPLATES, Template, compile_template
from .urls import (
    TRANSLATED,
    UNTRANSLATABLE,
    AppriseTarget,
    EmailTarget,
    LogTarget,
    Target,
    WebhookTarget,
    legacy_urls,
    redact,
    translate,
)
from .via_apprise import AppriseNotifier, NotificationError
from .webhook import WebhookNotifier

__all__ = [
    "BUILTIN_TEMPLATES",
    "LEVELS",
    "OPTION_DEFAULTS",
    "TRANSLATED",
    "UNTRANSLATABLE",
    "AppriseNotifier",
    "AppriseTarget",
    "EmailNotifier",
    "EmailTarget",
    "EntryCollector",
    "LogEntry",
    "LogNotifier",
    "LogTarget",
    "Message",
    "NotificationError",
    "Notifications",
    "Sender",
    "Target",
    "Template",
    "WebhookNotifier",
    "WebhookTarget",
    "compile_template",
    "default_hostname",
    "entry_from_event",
    "legacy_urls",
    "level_name",
    "notification_title",
    "parse_level",
    "redact",
    "translate",
]
