"""Fixtures for the registry tests: real docker-registry processes on 127.0.0.1.

Modes: anonymous, htpasswd (Basic), token (a token server of our own), TLS
(a CA made at test time). Without docker-registry they skip with the reason,
except under ``WATCHTOWER_E2E_REQUIRED=1`` (set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from tests.support import registry as registry_support
from tests.support.manifests import Pusher
from tests.support.pki import CertificateAuthority
from tests.support.tokenserver import TokenServer

USER = "alice"
PASSWORD = "s3cret-Pa55word"  # the tests look for this string where it must never be


def _need_registry() -> None:
    if registry_support.available():
        return
    reason = "docker-registry is not installed (Debian package docker-registry)"
    if os.environ.get("WATCHTOWER_E2E_REQUIRED") == "1":
        pytest.fail(f"the registry tests must run here, but {reason}")
    pytest.skip(reason)


@attrs.define
class Running:
    """A registry under test and how to push to it."""

    server: registry_support.RegistryServer
    pusher: Pusher
    mode: str
    tokens: TokenServer | None = None
    ca: CertificateAuthority | None = None

    @property
    def host(self) -> str:
        return self.server.host

    def log_mark(self) -> int:
        return len(self.server.access_log())

    def requests_since(self, mark: int) -> list[str]:
        """The request lines (``HEAD /v2/...``) logged after ``mark``."""
        lines = self.server.access_log()[mark:]
        return [line.split('"')[1].rsplit(" ", 1)[0] for line in lines]


_names = itertools.count()


@pytest.fixture
def repo_name() -> str:
    return f"test/app{next(_names)}"


def _pusher_for_tokens(base: str, tokens: TokenServer) -> Pusher:
    def auth(repo: str) -> dict[str, str]:
        token = tokens.issue(USER, (f"repository:{repo}:pull,push",))
        return {"Authorization": f"Bearer {token}"}

    return Pusher(base, auth=auth)


@pytest.fixture(scope="module")
def anonymous_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    _need_registry()
    server = registry_support.RegistryServer.start(tmp_path_factory.mktemp("anon"))
    pusher = Pusher(f"http://{server.host}")
    try:
        yield Running(server, pusher, "anonymous")
    finally:
        pusher.close()
        server.stop()


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    _need_registry()
    root = tmp_path_factory.mktemp("basic")
    auth = registry_support.htpasswd_auth(root, {USER: PASSWORD})
    server = registry_support.RegistryServer.start(root, auth=auth)
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    pusher = Pusher(f"http://{server.host}", auth=lambda _repo: {"Authorization": basic})
    try:
        yield Running(server, pusher, "basic")
    finally:
        pusher.close()
        server.stop()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    _need_registry()
    root = tmp_path_factory.mktemp("token")
    tokens = TokenServer(
        root / "pki", users={USER: PASSWORD}, refresh_tokens={"refresh-" + PASSWORD: USER}
    )
    try:
        server = registry_support.RegistryServer.start(root, auth=tokens.registry_auth())
    except BaseException:
        tokens.stop()
        raise
    pusher = _pusher_for_tokens(f"http://{server.host}", tokens)
    try:
        yield Running(server, pusher, "token", tokens=tokens)
    finally:
        pusher.close()
        server.stop()
        tokens.stop()


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    _need_registry()
    root = tmp_path_factory.mktemp("tls")
    ca = CertificateAuthority.create(root / "ca")
    cert, key = ca.issue(root / "ca", "127.0.0.1")
    server = registry_support.RegistryServer.start(
        root, tls={"certificate": str(cert), "key": str(key)}
    )
    pusher = Pusher(f"https://{server.host}", verify=str(ca.cert_path))
    try:
        yield Running(server, pusher, "tls", ca=ca)
    finally:
        pusher.close()
        server.stop()


@pytest.fixture
def docker_config(tmp_path: Path) -> Path:
    """An empty Docker config directory; tests write config.json into it."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    return directory


def write_login(directory: Path, host: str, user: str = USER, password: str = PASSWORD) -> None:
    """A config.json with a login for ``host``, as ``docker login`` writes it."""
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (directory / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
