"""Notifications: notifiers, report templates, and Watchtower's notification URLs.

Every notifier here is a :class:`~watchtower.protocols.Notifier`: give it to
:func:`watchtower.update` (``notifiers=[WebhookNotifier(url)]``) or call
``notifier.notify(report)``; it renders the report with the ``default``
template (or its own) and sends it.

:class:`Notifications` is what a daemon sends: it takes
:class:`NotificationSettings` (Watchtower's notification URLs, title, level,
template, delay), renders each run's report together with the run's log
lines (an :class:`EntryCollector` gathers them as :class:`LogEntry` values)
and delivers it to every URL.

Nothing here is imported by ``import watchtower``. Jinja2 (the ``cli``
extra) is imported when a template is compiled, requests when a webhook
posts, apprise (the ``apprise`` extra) when an apprise notifier is made.
"""

from __future__ import annotations

from ._apprise import AppriseNotifier, NotificationError
from ._entries import EntryCollector, LogEntry
from ._gotemplate import GoExecError
from ._log import LogNotifier
from ._message import Message
from ._notifications import Notifications, NotificationSettings
from ._smtp import EmailNotifier
from ._templates import BUILTIN_TEMPLATES, Template
from ._webhook import WebhookNotifier

__all__ = [
    "BUILTIN_TEMPLATES",
    "AppriseNotifier",
    "EmailNotifier",
    "EntryCollector",
    "GoExecError",
    "LogEntry",
    "LogNotifier",
    "Message",
    "NotificationError",
    "NotificationSettings",
    "Notifications",
    "Template",
    "WebhookNotifier",
]
