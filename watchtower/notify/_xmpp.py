"""A shoutrrr ``xmpp://`` URL, and a small XMPP client that sends one message per notification.

``xmpp://user:password@domain[:port]/?toaddress=to@domain[&serverhost=host][&subject=...]``
logs in as ``user@domain`` (at ``serverhost``, or the domain, port 5222),
with STARTTLS when the server offers it (the certificate is checked unless
``skiptlsverify=yes``) and SASL PLAIN, which is refused over a connection
that is neither encrypted nor to this machine, and sends the message to
``toaddress``. A ping after the message makes sure the server took it
before the stream is closed.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
import ssl
from xml.sax.saxutils import escape, quoteattr

from attrs import frozen

from ._message import Message
from ._shoutrrr import Url, redact

__all__ = ["XmppError", "XmppSender", "XmppTarget", "xmpp"]


class XmppError(Exception):
    """The server refused or broke the conversation; the message says at which step."""


@frozen(kw_only=True)
class XmppTarget:
    """Where and as whom an XMPP message is sent.

    Attributes:
        source: The URL it was read from, redacted.
        user: The login (the JID's local part).
        password: Its password.
        domain: The JID's domain.
        server: The host connected to.
        port: Its port.
        to: The recipient's JID.
        subject: The message's subject; the title when empty.
        verify: False for ``skiptlsverify=yes``.
    """

    source: str
    user: str
    password: str
    domain: str
    server: str
    port: int = 5222
    to: str
    subject: str = ""
    verify: bool = True


def xmpp(u: Url) -> XmppTarget:
    """The target of an ``xmpp://`` URL.

    Raises:
        ConfigurationError: The URL misses the login, the domain or ``toaddress``.
    """
    if not u.user or not u.host or not u.query.get("toaddress"):
        raise u.fail("an xmpp URL reads xmpp://user:password@domain/?toaddress=...")
    try:
        port = int(u.port) if u.port else 5222
    except ValueError:
        raise u.fail(f"the port {u.port!r} is not a number") from None
    return XmppTarget(
        source=redact(u.raw),
        user=u.user,
        password=u.password,
        domain=u.host,
        server=u.query.get("serverhost") or u.host,
        port=port,
        to=u.query["toaddress"],
        subject=u.query.get("subject", ""),
        verify=not u.yes("skiptlsverify"),
    )


_STREAM = (
    "<?xml version='1.0'?><stream:stream to={domain} xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
)


class _Stream:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = ""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def until(self, pattern: str, step: str) -> str:
        """Read until ``pattern`` matches what came since the last call; a stream error fails."""
        wanted = re.compile(pattern, re.DOTALL)
        while True:
            found = wanted.search(self.buffer)
            if found:
                seen, self.buffer = self.buffer[: found.end()], self.buffer[found.end() :]
                return seen
            if "<stream:error" in self.buffer or "</stream:stream>" in self.buffer:
                raise XmppError(f"the server ended the stream during {step}")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise XmppError(f"the server closed the connection during {step}")
            self.buffer += chunk.decode("utf-8", errors="replace")


def _local(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


class XmppSender:
    """Sends each message to an :class:`XmppTarget`.

    Args:
        target: Where and as whom.
        timeout: Seconds each network step may take.
    """

    def __init__(self, target: XmppTarget, *, timeout: float = 30.0) -> None:
        self.target = target
        self._timeout = timeout

    @property
    def name(self) -> str:
        """``xmpp``."""
        return "xmpp"

    def _open(self, sock: socket.socket) -> tuple[_Stream, str]:
        stream = _Stream(sock)
        stream.send(_STREAM.format(domain=quoteattr(self.target.domain)))
        return stream, stream.until(r"</stream:features>|<stream:features\s*/>", "the greeting")

    def _starttls(self, sock: socket.socket, stream: _Stream) -> ssl.SSLSocket:
        stream.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        if "<proceed" not in stream.until(r"<proceed[^>]*/>|<failure[^>]*>", "STARTTLS"):
            raise XmppError("the server refused STARTTLS")
        context = ssl.create_default_context()
        if not self.target.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context.wrap_socket(sock, server_hostname=self.target.domain)

    def send(self, message: Message) -> None:
        """Log in, send ``message``, wait for the server's answer to a ping, and leave.

        Raises:
            OSError: The server is unreachable or the TLS handshake failed.
            XmppError: The server refused the login or broke the stream.
        """
        t = self.target
        sock: socket.socket = socket.create_connection((t.server, t.port), timeout=self._timeout)
        try:
            stream, features = self._open(sock)
            if "<starttls" in features:
                sock = self._starttls(sock, stream)
                stream, features = self._open(sock)
            elif not _local(t.server):
                raise XmppError(
                    "the server offers no STARTTLS, and the password is not sent in clear"
                )
            if "PLAIN" not in features:
                raise XmppError("the server does not offer SASL PLAIN")
            secret = base64.b64encode(f"\0{t.user}\0{t.password}".encode()).decode()
            stream.send(
                f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{secret}</auth>"
            )
            if "<success" not in stream.until(r"<success[^>]*?(/>|</success>)|</failure>", "login"):
                raise XmppError(f"the server refused the login of {t.user}@{t.domain}")
            stream, _ = self._open(sock)
            stream.send(
                "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                "<resource>watchtower</resource></bind></iq>"
            )
            stream.until(r"<iq[^>]*id=['\"]bind['\"][^>]*?(/>|>.*?</iq>)", "binding")
            subject = t.subject or message.title
            stream.send(
                f"<message to={quoteattr(t.to)} type='normal'>"
                + (f"<subject>{escape(subject)}</subject>" if subject else "")
                + f"<body>{escape(message.body)}</body></message>"
                "<iq type='get' id='sent'><ping xmlns='urn:xmpp:ping'/></iq>"
            )
            stream.until(r"<iq[^>]*id=['\"]sent['\"]", "sending")
            stream.send("</stream:stream>")
        finally:
            sock.close()
