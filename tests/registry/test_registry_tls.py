"""Registry TLS: a CA bundle added to the system's trust, a minimum version, all hosts insecure."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pki import CertificateAuthority
from tests.support.registry_fixtures import Running
from watchtower.errors import ConfigurationError
from watchtower.model import ImageRef
from watchtower.registry import (
    DockerCredentials,
    HttpRegistry,
    Request,
    RequestsTransport,
    TransportError,
)
from watchtower.registry._tls import registry_contexts, tls_version


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return CertificateAuthority.create(tmp_path / "ca")


@pytest.fixture
def tls12_server(tmp_path: Path, ca: CertificateAuthority) -> Iterator[str]:
    """An HTTPS server on loopback that speaks TLS 1.2 and nothing newer."""
    cert, key = ca.issue(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v2/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_ca_bundle_is_trusted_beside_the_systems_cas(ca: CertificateAuthority) -> None:
    verified, unverified = registry_contexts(ca.cert_path)
    subjects = [cert["subject"] for cert in verified.get_ca_certs()]
    system = [cert["subject"] for cert in ssl.create_default_context().get_ca_certs()]
    assert ((("commonName", "watchtower test CA"),),) in subjects
    assert all(subject in subjects for subject in system)
    assert verified.verify_mode is ssl.CERT_REQUIRED and verified.check_hostname
    assert unverified.verify_mode is ssl.CERT_NONE and not unverified.check_hostname


def test_a_server_is_trusted_through_the_added_bundle(
    tls12_server: str, ca: CertificateAuthority
) -> None:
    transport = RequestsTransport(ca_bundle=ca.cert_path)
    assert transport.send(Request("GET", tls12_server)).status == 200
    with pytest.raises(TransportError, match="not trusted"):
        RequestsTransport().send(Request("GET", tls12_server))


def test_the_minimum_tls_version_refuses_an_older_server(
    tls12_server: str, ca: CertificateAuthority
) -> None:
    assert RequestsTransport(ca_bundle=ca.cert_path, tls_min_version="tls1.2").send(
        Request("GET", tls12_server)
    )
    newer_only = RequestsTransport(ca_bundle=ca.cert_path, tls_min_version="TLS1.3")
    with pytest.raises(TransportError, match=r"TLS handshake with 127\.0\.0\.1"):
        newer_only.send(Request("GET", tls12_server))


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_an_unverified_request_and_a_verified_one_share_a_transport(
    tls12_server: str, ca: CertificateAuthority
) -> None:
    transport = RequestsTransport()
    assert transport.send(Request("GET", tls12_server, verify=False)).status == 200
    with pytest.raises(TransportError, match="not trusted"):
        transport.send(Request("GET", tls12_server))


@pytest.mark.parametrize("name", ["TLS1.4", "SSL3", ""])
def test_an_unknown_tls_version_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match=r"TLS1\.0, TLS1\.1, TLS1\.2, TLS1\.3"):
        tls_version(name)


@pytest.mark.registry
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_skip_verify_makes_every_registry_insecure(
    tls_registry: Running, docker_config: Path
) -> None:
    pushed = tls_registry.pusher.image("tls/skip", "v1", b"skip").digest
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}), tls_skip_verify=True
    )
    assert registry.digest(ImageRef(tls_registry.host, "tls/skip", "v1")) == pushed
