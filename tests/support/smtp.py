"""An SMTP server for the tests (aiosmtpd) on 127.0.0.1, with optional STARTTLS and AUTH."""

from __future__ import annotations

import datetime
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from attrs import frozen


@frozen
class Mail:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Handler:
    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


def self_signed(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


class SMTPServer:
    """aiosmtpd on 127.0.0.1; ``users`` turns on AUTH, ``tls`` STARTTLS (required)."""

    def __init__(
        self,
        port: int,
        *,
        users: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.port = port
        self._handler = _Handler()
        self.logins: list[str] = []
        logins = self.logins
        kwargs: dict[str, Any] = {}
        if users is not None:

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and users.get(data.login.decode()) == data.password.decode()
                )
                if ok:
                    logins.append(data.login.decode())
                return AuthResult(success=ok, handled=False)

            kwargs.update(authenticator=authenticate, auth_require_tls=tls is not None)
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=True)
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=port, **kwargs)

    @property
    def mails(self) -> list[Mail]:
        return self._handler.mails

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
