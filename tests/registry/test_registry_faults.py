"""Faults between HttpRegistry and a real registry, injected by a loopback proxy.

No login ever reaches another host; a 429 is retried after the time it asks
for, then the image is skipped; a bad answer is one clear error.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.proxy import Fault, FaultProxy, RecordingServer
from tests.support.registry_fixtures import PASSWORD, USER, Running, write_login
from tests.support.tokenserver import SERVICE
from watchtower.errors import RateLimitedError, RegistryError
from watchtower.model import ImageRef
from watchtower.registry import DockerCredentials, HttpRegistry, RetryPolicy
from watchtower.staleness import remote_digests

pytestmark = pytest.mark.registry

MANIFEST = r"^/v2/.*/manifests/"
SECRET_FORMS = (PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())


@pytest.fixture
def proxy(basic_registry: Running) -> Iterator[FaultProxy]:
    with FaultProxy(f"http://{basic_registry.host}") as server:
        yield server


@pytest.fixture
def anon_proxy(anonymous_registry: Running) -> Iterator[FaultProxy]:
    with FaultProxy(f"http://{anonymous_registry.host}") as server:
        yield server


@pytest.fixture
def other_host() -> Iterator[RecordingServer]:
    with RecordingServer(
        "127.0.0.2",
        headers={
            "Docker-Content-Digest": "sha256:" + "e" * 64,
            "Content-Type": "application/json",
        },
    ) as server:
        yield server


@pytest.fixture
def token_proxy(token_registry: Running) -> Iterator[tuple[FaultProxy, FaultProxy]]:
    """(registry proxy, token server proxy): the registry's challenge names the latter."""
    assert token_registry.tokens is not None
    tokens_base = token_registry.tokens.realm.rsplit("/", 1)[0]
    with FaultProxy(tokens_base) as realm, FaultProxy(f"http://{token_registry.host}") as front:
        front.add(
            Fault(
                path=r"^/v2/$",
                method="GET",
                headers={
                    "WWW-Authenticate": f'Bearer realm="{realm.url}/token",service="{SERVICE}"',
                },
            )
        )
        yield front, realm


def _client(config_dir: Path, host: str, **options: object) -> HttpRegistry:
    write_login(config_dir, host)
    return HttpRegistry(  # type: ignore[arg-type]
        credentials=DockerCredentials(config_dir, environ={}), **options
    )


def _no_secret_in(seen: list[object]) -> None:
    text = repr(seen)
    for secret in SECRET_FORMS:
        assert secret not in text


# -- rate limits ---------------------------------------------------------------------------


def test_a_429_is_retried_after_the_seconds_it_asks_for(
    basic_registry: Running, proxy: FaultProxy, docker_config: Path
) -> None:
    pushed = basic_registry.pusher.image("rate/once", "v1", b"once").digest
    proxy.add(
        Fault(path=MANIFEST, method="HEAD", times=1, status=429, headers={"Retry-After": "3"})
    )
    slept: list[float] = []
    registry = _client(docker_config, proxy.address, sleep=slept.append)
    assert registry.digest(ImageRef(proxy.address, "rate/once", "v1")) == pushed
    assert slept == [3.0]
    assert [s.method for s in proxy.seen if "/manifests/" in s.path] == ["HEAD", "HEAD"]


def test_a_429_with_an_http_date_waits_until_then(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    pushed = anonymous_registry.pusher.image("rate/date", "v1", b"date").digest
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    when = email.utils.format_datetime(now + timedelta(seconds=7), usegmt=True)
    anon_proxy.add(Fault(path=MANIFEST, times=1, status=429, headers={"Retry-After": when}))
    slept: list[float] = []
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}),
        sleep=slept.append,
        clock=lambda: now,
    )
    assert registry.digest(ImageRef(anon_proxy.address, "rate/date", "v1")) == pushed
    assert slept == [7.0]


def test_a_registry_that_keeps_answering_429_is_skipped(
    basic_registry: Running, proxy: FaultProxy, docker_config: Path
) -> None:
    pushed = basic_registry.pusher.image("rate/always", "v1", b"always").digest
    proxy.add(Fault(path=MANIFEST, status=429, headers={"Retry-After": "2"}))
    slept: list[float] = []
    registry = _client(
        docker_config,
        proxy.address,
        sleep=slept.append,
        retry=RetryPolicy(attempts=3, max_wait=timedelta(seconds=30)),
    )
    ref = ImageRef(proxy.address, "rate/always", "v1")
    result = remote_digests(registry, [ref], 8)[ref]
    assert isinstance(result, RateLimitedError)
    assert result.retry_after == timedelta(seconds=2)
    assert "rate limiting" in str(result) and proxy.address in str(result)
    assert slept == [2.0, 2.0]
    assert pushed not in str(result)
    # Nothing but the three HEADs: no GET fallback, no pull-like request.
    assert [s.method for s in proxy.seen if "/manifests/" in s.path] == ["HEAD"] * 3


def test_a_retry_after_beyond_the_bound_is_not_waited_for(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    anon_proxy.add(Fault(path=MANIFEST, status=429, headers={"Retry-After": "3600"}))
    slept: list[float] = []
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}), sleep=slept.append
    )
    with pytest.raises(RateLimitedError) as caught:
        registry.digest(ImageRef(anon_proxy.address, "rate/long", "v1"))
    assert slept == []
    assert caught.value.retry_after == timedelta(hours=1)


def test_a_429_without_retry_after_backs_off_exponentially(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    anon_proxy.add(Fault(path=MANIFEST, status=429))
    slept: list[float] = []
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}),
        sleep=slept.append,
        retry=RetryPolicy(attempts=4),
    )
    with pytest.raises(RateLimitedError) as caught:
        registry.digest(ImageRef(anon_proxy.address, "rate/backoff", "v1"))
    assert slept == [1.0, 2.0, 4.0]
    assert caught.value.retry_after is None


def test_a_429_from_the_token_server_is_honoured(
    token_registry: Running, token_proxy: tuple[FaultProxy, FaultProxy], docker_config: Path
) -> None:
    front, realm = token_proxy
    pushed = token_registry.pusher.image("rate/token", "v1", b"tok").digest
    realm.add(Fault(path=r"^/token", times=1, status=429, headers={"Retry-After": "1"}))
    slept: list[float] = []
    registry = _client(docker_config, front.address, sleep=slept.append)
    assert registry.digest(ImageRef(front.address, "rate/token", "v1")) == pushed
    assert slept == [1.0]


def test_docker_hubs_ratelimit_remaining_zero_means_skip(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    anonymous_registry.pusher.image("rate/hub", "v1", b"hub")
    anon_proxy.add(
        Fault(path=MANIFEST, method="HEAD", headers={"ratelimit-remaining": "0;w=21600"})
    )
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    with pytest.raises(RateLimitedError, match="no pulls are left"):
        registry.digest(ImageRef(anon_proxy.address, "rate/hub", "v1"))


# -- bad answers ---------------------------------------------------------------------------


def test_a_500_on_head_falls_back_to_get(
    basic_registry: Running, proxy: FaultProxy, docker_config: Path
) -> None:
    pushed = basic_registry.pusher.image("bad/head", "v1", b"head").digest
    proxy.add(Fault(path=MANIFEST, method="HEAD", status=500))
    registry = _client(docker_config, proxy.address)
    assert registry.digest(ImageRef(proxy.address, "bad/head", "v1")) == pushed
    assert [s.method for s in proxy.seen if "/manifests/" in s.path] == ["HEAD", "GET"]


def test_a_head_without_a_digest_falls_back_to_get(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    pushed = anonymous_registry.pusher.image("bad/nodigest", "v1", b"nd").digest
    anon_proxy.add(Fault(path=MANIFEST, headers={"Docker-Content-Digest": ""}))
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    assert registry.digest(ImageRef(anon_proxy.address, "bad/nodigest", "v1")) == pushed


def test_a_500_on_head_and_get_is_one_clear_error(
    basic_registry: Running, proxy: FaultProxy, docker_config: Path
) -> None:
    proxy.add(Fault(path=MANIFEST, status=500))
    registry = _client(docker_config, proxy.address)
    with pytest.raises(RegistryError) as caught:
        registry.digest(ImageRef(proxy.address, "bad/both", "v1"))
    assert type(caught.value) is RegistryError
    assert str(caught.value) == (
        f"{proxy.address} answered 500 Internal Server Error for the manifest of "
        f"{proxy.address}/bad/both:v1."
    )


def test_a_slow_answer_times_out_clearly(
    anonymous_registry: Running, anon_proxy: FaultProxy, docker_config: Path
) -> None:
    anon_proxy.add(Fault(path=MANIFEST, delay=3.0))
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}), timeout=0.5)
    with pytest.raises(RegistryError) as caught:
        registry.digest(ImageRef(anon_proxy.address, "slow/app", "v1"))
    assert str(caught.value) == (
        f"{anon_proxy.address} did not answer HEAD /v2/slow/app/manifests/v1 within 0.5s."
    )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ('Bearer realm="https://unterminated', "malformed WWW-Authenticate header"),
        ("Bearer service=x", "realm '' is not an HTTP URL"),
        ('Bearer realm="ftp://x/token"', "is not an HTTP URL"),
        ("Negotiate abc", "unsupported auth scheme (negotiate)"),
    ],
)
def test_a_bad_challenge_is_one_clear_error(
    proxy: FaultProxy, docker_config: Path, header: str, reason: str
) -> None:
    proxy.add(Fault(path=r"^/v2/$", headers={"WWW-Authenticate": header}))
    registry = _client(docker_config, proxy.address)
    with pytest.raises(RegistryError) as caught:
        registry.digest(ImageRef(proxy.address, "bad/challenge", "v1"))
    assert reason in str(caught.value)
    assert proxy.address in str(caught.value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>gateway</html>", "a body that is not JSON"),
        (b'{"token": ""}', "answered without a token"),
        (b'["token"]', "not a JSON object"),
        (b'{"token": "t", "expires_in": "soon"}', "not a number"),
    ],
)
def test_a_bad_token_body_is_one_clear_error(
    token_proxy: tuple[FaultProxy, FaultProxy], docker_config: Path, body: bytes, reason: str
) -> None:
    front, realm = token_proxy
    realm.add(Fault(path=r"^/token", body=body))
    registry = _client(docker_config, front.address)
    with pytest.raises(RegistryError) as caught:
        registry.digest(ImageRef(front.address, "bad/token", "v1"))
    assert reason in str(caught.value)
    assert realm.address in str(caught.value)


# -- where logins go -----------------------------------------------------------------------


def test_no_login_follows_a_redirect_to_another_host(
    basic_registry: Running, proxy: FaultProxy, other_host: RecordingServer, docker_config: Path
) -> None:
    basic_registry.pusher.image("redirect/app", "v1", b"r")
    proxy.add(
        Fault(
            path=MANIFEST,
            status=307,
            headers={
                "Location": f"{other_host.url}/v2/redirect/app/manifests/v1",
            },
        )
    )
    registry = _client(docker_config, proxy.address)
    assert registry.digest(ImageRef(proxy.address, "redirect/app", "v1")) == "sha256:" + "e" * 64
    # The registry itself got the login; the other host got the request, without it.
    assert any(s.headers.get("Authorization", "").startswith("Basic ") for s in proxy.seen)
    assert [s.path for s in other_host.seen] == ["/v2/redirect/app/manifests/v1"]
    assert all("Authorization" not in s.headers for s in other_host.seen)
    _no_secret_in(list(other_host.seen))


def test_no_login_follows_the_token_realm_to_another_host(
    token_proxy: tuple[FaultProxy, FaultProxy], other_host: RecordingServer, docker_config: Path
) -> None:
    front, realm = token_proxy
    realm.add(Fault(path=r"^/token", status=302, headers={"Location": f"{other_host.url}/token"}))
    registry = _client(docker_config, front.address)
    with pytest.raises(RegistryError):
        registry.digest(ImageRef(front.address, "redirect/token", "v1"))
    assert any(s.headers.get("Authorization", "").startswith("Basic ") for s in realm.seen)
    assert len(other_host.seen) == 1 and "Authorization" not in other_host.seen[0].headers
    _no_secret_in(list(other_host.seen))


def test_no_login_goes_to_a_plain_http_realm_off_loopback(
    proxy: FaultProxy, docker_config: Path
) -> None:
    proxy.add(
        Fault(
            path=r"^/v2/$",
            headers={
                "WWW-Authenticate": 'Bearer realm="http://tokens.invalid/token",service="x"',
            },
        )
    )
    registry = _client(docker_config, proxy.address)
    with pytest.raises(RegistryError, match=r"plain-HTTP token realm http://tokens\.invalid/token"):
        registry.digest(ImageRef(proxy.address, "realm/http", "v1"))


def test_logins_never_reach_the_logs(
    token_proxy: tuple[FaultProxy, FaultProxy],
    token_registry: Running,
    docker_config: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    front, realm = token_proxy
    pushed = token_registry.pusher.image("logs/app", "v1", b"logs").digest
    realm.add(Fault(path=r"^/token", times=1, status=429, headers={"Retry-After": "1"}))
    caplog.set_level(logging.DEBUG)
    registry = _client(docker_config, front.address, sleep=lambda _s: None)
    ref = ImageRef(front.address, "logs/app", "v1")
    assert registry.digest(ref) == pushed
    assert registry.created(ref, pushed) is not None
    with pytest.raises(RegistryError):
        registry.digest(ImageRef(front.address, "logs/missing", "v1"))
    assert caplog.records  # something was logged, and none of it is a secret
    for secret in SECRET_FORMS:
        assert secret not in caplog.text
    tokens = [s for s in realm.seen if s.path.startswith("/token")]
    assert tokens  # the token server did get the login (through the realm proxy)


def test_no_login_follows_a_downgrade_to_http(
    basic_registry: Running, other_host: RecordingServer, docker_config: Path, tmp_path: Path
) -> None:
    """An HTTPS front for the registry redirects to plain HTTP: the login stays behind."""
    from tests.support.pki import CertificateAuthority

    ca = CertificateAuthority.create(tmp_path / "ca")
    cert, key = ca.issue(tmp_path / "ca", "127.0.0.1")
    with FaultProxy(f"http://{basic_registry.host}", tls=(str(cert), str(key))) as front:
        basic_registry.pusher.image("downgrade/app", "v1", b"d")
        front.add(
            Fault(
                path=MANIFEST,
                status=301,
                headers={
                    "Location": f"{other_host.url}/v2/downgrade/app/manifests/v1",
                },
            )
        )
        registry = _client(docker_config, front.address, ca_bundle=ca.cert_path)
        assert registry.digest(ImageRef(front.address, "downgrade/app", "v1")) == (
            "sha256:" + "e" * 64
        )
        assert any(s.headers.get("Authorization", "").startswith("Basic ") for s in front.seen)
    assert other_host.url.startswith("http://")
    assert len(other_host.seen) == 1 and "Authorization" not in other_host.seen[0].headers
    _no_secret_in(list(other_host.seen))


def test_an_identity_token_falls_back_to_basic_where_there_is_no_oauth(
    token_registry: Running, token_proxy: tuple[FaultProxy, FaultProxy], docker_config: Path
) -> None:
    front, realm = token_proxy
    pushed = token_registry.pusher.image("oauth/fallback", "v1", b"fb").digest
    realm.add(Fault(path=r"^/token", method="POST", status=405))
    (docker_config / "config.json").write_text(
        json.dumps({"auths": {front.address: {"username": USER, "identitytoken": PASSWORD}}})
    )
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    assert registry.digest(ImageRef(front.address, "oauth/fallback", "v1")) == pushed
    assert [s.method for s in realm.seen] == ["POST", "GET"]
    assert "Authorization" not in realm.seen[0].headers
    assert (
        realm.seen[1].headers["Authorization"]
        == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    )
