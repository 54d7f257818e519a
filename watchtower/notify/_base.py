"""What every notifier shares: rendering a report into a :class:`Message`."""

from __future__ import annotations

from ..report import Report
from ._message import Message
from ._templates import Template

DEFAULT_TITLE = "Watchtower updates"


class ReportNotifier:
    """The :class:`~watchtower.protocols.Notifier` side of a notifier.

    A subclass implements ``send(message)``; :meth:`notify` renders a report
    with the notifier's own template (``default`` unless given) and sends it.
    """

    def __init__(self, *, template: Template | None = None, title: str = DEFAULT_TITLE) -> None:
        self._template = template
        self._title = title

    def send(self, message: Message) -> None:  # pragma: no cover - abstract
        """Deliver ``message``."""
        raise NotImplementedError

    def notify(self, report: Report) -> None:
        """Render ``report`` and send it; nothing is sent when the text is empty."""
        if self._template is None:
            self._template = Template("default")
        body = self._template.render(title=self._title, host="", report=report)
        if body.strip():
            self.send(Message(title=self._title, body=body, report=report))
