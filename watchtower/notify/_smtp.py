"""A notifier that sends e-mail over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from ..errors import ConfigurationError
from ._base import DEFAULT_TITLE, ReportNotifier
from ._message import Message
from ._templates import Template

__all__ = ["STARTTLS_MODES", "EmailNotifier"]

STARTTLS_MODES = ("auto", "always", "never")
"""When :class:`EmailNotifier` upgrades with STARTTLS: when offered, always, never."""


class EmailNotifier(ReportNotifier):
    """Sends each notification as a plain-text e-mail.

    Args:
        host: The SMTP server.
        port: Its port (25, 587 for submission, 465 with ``implicit_tls``).
        from_addr: The sender's address.
        to_addrs: The recipients.
        username: Log in with this user (and ``password``) when given.
        password: The password.
        starttls: ``auto`` upgrades when the server offers STARTTLS,
            ``always`` fails when it does not, ``never`` stays plain.
        implicit_tls: Speak TLS from the first byte (SMTPS) instead.
        tls_skip_verify: Accept any certificate (for testing only).
        from_name: The sender's display name.
        subject: The subject when a message has no title.
        timeout: Seconds to wait for the server.
        client_host: The name given in EHLO.
        template: The template :meth:`notify` renders with.
        title: The title :meth:`notify` uses.

    Raises:
        ConfigurationError: No recipient, no sender, or an unknown ``starttls``.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        from_addr: str,
        to_addrs: Sequence[str],
        username: str = "",
        password: str = "",
        starttls: str = "auto",
        implicit_tls: bool = False,
        tls_skip_verify: bool = False,
        from_name: str = "Watchtower",
        subject: str = DEFAULT_TITLE,
        timeout: float = 10.0,
        client_host: str = "localhost",
        template: Template | None = None,
        title: str = DEFAULT_TITLE,
    ) -> None:
        super().__init__(template=template, title=title)
        if not host:
            raise ConfigurationError("The e-mail notifier needs an SMTP server.")
        if not from_addr:
            raise ConfigurationError("The e-mail notifier needs a sender address.")
        if not to_addrs:
            raise ConfigurationError("The e-mail notifier needs at least one recipient.")
        if starttls not in STARTTLS_MODES:
            message = f"STARTTLS mode {starttls!r} is not one of {', '.join(STARTTLS_MODES)}."
            raise ConfigurationError(message)
        self.host = host
        self.port = port
        self.from_addr = from_addr
        self.to_addrs = tuple(to_addrs)
        self._username = username
        self._password = password
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.tls_skip_verify = tls_skip_verify
        self._from_name = from_name
        self._subject = subject
        self._timeout = timeout
        self._client_host = client_host

    @property
    def name(self) -> str:
        """``smtp``."""
        return "smtp"

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.tls_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def email(self, message: Message) -> EmailMessage:
        """The e-mail sent for ``message``."""
        mail = EmailMessage()
        mail["Subject"] = message.title or self._subject
        mail["From"] = formataddr((self._from_name, self.from_addr))
        mail["To"] = ", ".join(self.to_addrs)
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=self._client_host)
        mail.set_content(message.body)
        return mail

    def send(self, message: Message) -> None:
        """Send ``message`` to every recipient.

        Raises:
            smtplib.SMTPException: The server refused, or STARTTLS was
                required and not offered.
            OSError: The server is unreachable.
        """
        mail = self.email(message)
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self._client_host,
                timeout=self._timeout,
                context=self._context(),
            )
        else:
            smtp = smtplib.SMTP(
                self.host, self.port, local_hostname=self._client_host, timeout=self._timeout
            )
        with smtp:
            smtp.ehlo()
            if not self.implicit_tls and self.starttls != "never":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                elif self.starttls == "always":
                    reason = f"{self.host}:{self.port} does not offer STARTTLS, which is required."
                    raise smtplib.SMTPNotSupportedError(reason)
            if self._username:
                smtp.login(self._username, self._password)
            smtp.send_message(mail, from_addr=self.from_addr, to_addrs=list(self.to_addrs))
