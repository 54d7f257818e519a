"""xmpp:// delivered for real: a private Prosody on 127.0.0.1, with and without STARTTLS."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.net import free_port, wait_for_port
from tests.support.smtp import self_signed
from watchtower.errors import ConfigurationError
from watchtower.notify import Message
from watchtower.notify._targets import translate
from watchtower.notify._xmpp import XmppError, XmppSender, XmppTarget

DOMAIN = "localhost"
MESSAGE = Message(title="Watchtower updates on box", body="web <updated> & fine", host="box")


class Prosody:
    """A Prosody server of the tests' own: its config, data and log in one directory."""

    def __init__(self, directory: Path, *, tls: bool) -> None:
        self.directory = directory
        self.port = free_port()
        self.config = directory / "prosody.cfg.lua"
        if tls:
            self_signed(directory)
            tls_lines = (
                f'ssl = {{ certificate = "{directory}/smtp.crt"; key = "{directory}/smtp.key"; }}\n'
                "c2s_require_encryption = true\n"
            )
        else:
            tls_lines = "c2s_require_encryption = false\nallow_unencrypted_plain_auth = true\n"
        # As root (the CI machines), prosodyctl would switch to a prosody user that cannot
        # write here; the server listens on 127.0.0.1 only, with server-to-server off.
        self.config.write_text(
            'run_as_root = true\nprosody_user = "root"\nprosody_group = "root"\n'
            f'certificates = "{directory}"\n'
            f'pidfile = "{directory}/prosody.pid"\n'
            f'data_path = "{directory}/data"\n'
            f'log = {{ {{ levels = {{ min = "info" }}, to = "file", '
            f'filename = "{directory}/prosody.log" }} }}\n'
            'modules_enabled = { "saslauth"; "ping"; "offline"; "roster"; "disco"'
            + ('; "tls" }\n' if tls else " }\n")
            + 'modules_disabled = { "s2s" }\n'
            'authentication = "internal_plain"\n'
            f"c2s_ports = {{ {self.port} }}\n"
            'interfaces = { "127.0.0.1" }\n'
            "s2s_ports = { }\nc2s_direct_tls_ports = { }\ns2s_direct_tls_ports = { }\n"
            'network_backend = "select"\n' + tls_lines + f'VirtualHost "{DOMAIN}"\n'
        )
        (directory / "data").mkdir()
        self._process: subprocess.Popen[bytes] | None = None

    def ctl(self, *args: str) -> None:
        subprocess.run(
            ["prosodyctl", "--config", str(self.config), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        self.ctl("register", "watchtower", DOMAIN, "s3cret")
        self.ctl("register", "ops", DOMAIN, "other")
        self._process = subprocess.Popen(
            ["prosody", "--config", str(self.config), "-F"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)

    def stored_for(self, user: str) -> str:
        """What the server keeps for ``user`` while offline (its offline store), as text."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            texts = [
                p.read_text(errors="replace")
                for p in (self.directory / "data").rglob("*")
                if p.is_file() and "offline" in str(p) and user in p.name
            ]
            if texts:
                return "\n".join(texts)
            time.sleep(0.1)
        return ""


def _prosody(tmp_path: Path, tls: bool) -> Iterator[Prosody]:
    if shutil.which("prosody") is None:
        pytest.skip("prosody is not installed (.ci/run installs it)")
    server = Prosody(tmp_path, tls=tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[Prosody]:
    yield from _prosody(tmp_path, tls=False)


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[Prosody]:
    yield from _prosody(tmp_path, tls=True)


def _target(server: Prosody, extra: str = "") -> XmppTarget:
    url = (
        f"xmpp://watchtower:s3cret@{DOMAIN}:{server.port}/?toaddress=ops@{DOMAIN}"
        f"&serverhost=127.0.0.1{extra}"
    )
    target = translate(url)
    assert isinstance(target, XmppTarget)
    return target


def test_a_message_reaches_the_recipient(plain: Prosody) -> None:
    XmppSender(_target(plain)).send(MESSAGE)
    stored = plain.stored_for("ops")
    # The server parsed the stanza: the text is back as it was sent.
    assert '"web <updated> & fine"' in stored
    assert '"Watchtower updates on box"' in stored


def test_starttls_is_used_when_offered(tls: Prosody) -> None:
    XmppSender(_target(tls, "&skiptlsverify=yes&subject=Updates")).send(MESSAGE)
    stored = tls.stored_for("ops")
    assert '"web <updated> & fine"' in stored and '"Updates"' in stored


def test_an_unknown_certificate_is_refused_unless_told(tls: Prosody) -> None:
    with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
        XmppSender(_target(tls)).send(MESSAGE)


def test_a_wrong_password_is_refused(plain: Prosody) -> None:
    target = translate(
        f"xmpp://watchtower:wrong@{DOMAIN}:{plain.port}/?toaddress=ops@{DOMAIN}"
        "&serverhost=127.0.0.1"
    )
    assert isinstance(target, XmppTarget)
    with pytest.raises(XmppError, match="refused the login of watchtower@localhost"):
        XmppSender(target).send(MESSAGE)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("xmpp://user:pw@example.com", "toaddress="),
        ("xmpp://example.com/?toaddress=a@b", "toaddress="),
        ("xmpp://u:p@example.com:port/?toaddress=a@b", "is not a number"),
    ],
)
def test_bad_xmpp_urls_say_why(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why):
        translate(url)


def test_an_xmpp_url_reads_as_shoutrrrs() -> None:
    assert translate("xmpp://me:pw@chat.example.org/?toaddress=you@chat.example.org") == XmppTarget(
        source="xmpp://***@chat.example.org/…",
        user="me",
        password="pw",
        domain="chat.example.org",
        server="chat.example.org",
        to="you@chat.example.org",
    )
