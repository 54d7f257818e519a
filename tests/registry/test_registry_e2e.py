"""HttpRegistry against a real docker-registry: anonymous, htpasswd, token auth, TLS.

Digests must equal what the push printed, and the registry's own access log
must show the fewest requests: one challenge per registry and one token per
repository on a cold cache, one HEAD per distinct image; on a warm cache one
HEAD per image and nothing else.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.registry_fixtures import PASSWORD, USER, Running, write_login
from watchtower import UpdateParams
from watchtower.errors import ConfigurationError, RegistryError
from watchtower.model import ImageRef
from watchtower.protocols import Registry
from watchtower.registry import DockerCredentials, HttpRegistry, Platform
from watchtower.staleness import remote_digests

pytestmark = pytest.mark.registry


@pytest.fixture(params=["anonymous", "basic", "token"])
def running(request: pytest.FixtureRequest) -> Running:
    fixture: Running = request.getfixturevalue(f"{request.param}_registry")
    return fixture


def _client(running: Running, config_dir: Path, **options: object) -> HttpRegistry:
    if running.mode != "anonymous":
        write_login(config_dir, running.host)
    return HttpRegistry(credentials=DockerCredentials(config_dir, environ={}), **options)  # type: ignore[arg-type]


def _push(running: Running, prefix: str, count: int) -> dict[ImageRef, str]:
    pushed = {}
    for i in range(count):
        repo = f"{prefix}/{running.mode}-{i}"
        pushed[ImageRef(running.host, repo, "v1")] = running.pusher.image(
            repo, "v1", f"{prefix} {i}".encode()
        ).digest
    return pushed


def test_it_is_a_registry(tmp_path: Path) -> None:
    assert isinstance(HttpRegistry(credentials=DockerCredentials(tmp_path, environ={})), Registry)


def test_digests_and_request_counts_cold_then_warm(running: Running, docker_config: Path) -> None:
    pushed = _push(running, "counts", 6)
    registry = _client(running, docker_config)
    concurrency = UpdateParams().check_concurrency
    heads = sorted(f"HEAD /v2/{ref.path}/manifests/v1" for ref in pushed)

    mark = running.log_mark()
    tokens_before = running.tokens.count() if running.tokens else 0
    # Every reference twice: each distinct image is still asked once.
    cold = remote_digests(registry, [*pushed, *pushed], concurrency)
    assert dict(cold) == pushed
    assert sorted(running.requests_since(mark)) == sorted(["GET /v2/", *heads])
    if running.tokens is not None:
        asked = running.tokens.requests[tokens_before:]
        assert sorted(r.scopes for r in asked) == sorted(
            (f"repository:{ref.path}:pull",) for ref in pushed
        )
        assert all(r.user == USER and r.method == "GET" for r in asked)

    mark = running.log_mark()
    tokens_before = running.tokens.count() if running.tokens else 0
    warm = remote_digests(registry, list(pushed), concurrency)
    assert dict(warm) == pushed
    assert sorted(running.requests_since(mark)) == heads
    if running.tokens is not None:
        assert running.tokens.count() == tokens_before


def test_a_new_tag_is_seen_at_once(running: Running, docker_config: Path) -> None:
    registry = _client(running, docker_config)
    repo = f"moving/{running.mode}"
    ref = ImageRef(running.host, repo, "latest")
    first = running.pusher.image(repo, "latest", b"one").digest
    assert registry.digest(ref) == first
    second = running.pusher.image(repo, "latest", b"two").digest
    assert second != first
    assert registry.digest(ref) == second


def test_a_missing_tag_is_one_clear_error(running: Running, docker_config: Path) -> None:
    registry = _client(running, docker_config)
    running.pusher.image(f"missing/{running.mode}", "v1", b"x")
    with pytest.raises(RegistryError) as caught:
        registry.digest(ImageRef(running.host, f"missing/{running.mode}", "nope"))
    assert "404" in str(caught.value) and f"missing/{running.mode}:nope" in str(caught.value)


def test_a_wrong_password_is_refused_clearly(basic_registry: Running, docker_config: Path) -> None:
    write_login(docker_config, basic_registry.host, password="wrong")
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    basic_registry.pusher.image("refused/basic", "v1", b"x")
    with pytest.raises(RegistryError, match="refused access") as caught:
        registry.digest(ImageRef(basic_registry.host, "refused/basic", "v1"))
    assert "wrong" not in str(caught.value)


def test_basic_auth_without_a_login_is_one_clear_error(
    basic_registry: Running, docker_config: Path
) -> None:
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    with pytest.raises(RegistryError, match="asks for a login and none is configured"):
        registry.digest(ImageRef(basic_registry.host, "any/thing", "v1"))


def test_token_auth_without_a_login_is_refused(
    token_registry: Running, docker_config: Path
) -> None:
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    with pytest.raises(RegistryError, match="refused anonymous access"):
        registry.digest(ImageRef(token_registry.host, "any/thing", "v1"))


def test_repo_user_and_repo_pass(token_registry: Running, docker_config: Path) -> None:
    pushed = token_registry.pusher.image("env/login", "v1", b"env").digest
    creds = DockerCredentials(docker_config, environ={"REPO_USER": USER, "REPO_PASS": PASSWORD})
    assert (
        HttpRegistry(credentials=creds).digest(ImageRef(token_registry.host, "env/login", "v1"))
        == pushed
    )


def test_an_identity_token_is_exchanged_over_oauth(
    token_registry: Running, docker_config: Path
) -> None:
    pushed = token_registry.pusher.image("oauth/app", "v1", b"oauth").digest
    (docker_config / "config.json").write_text(
        json.dumps(
            {"auths": {token_registry.host: {"auth": "", "identitytoken": "refresh-" + PASSWORD}}}
        )
    )
    assert token_registry.tokens is not None
    before = token_registry.tokens.count()
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    assert registry.digest(ImageRef(token_registry.host, "oauth/app", "v1")) == pushed
    (asked,) = token_registry.tokens.requests[before:]
    assert asked.method == "POST" and asked.user == USER
    assert "grant_type=refresh_token" in asked.body
    assert "Authorization" not in asked.headers


def test_created_of_an_image_and_of_an_index(anonymous_registry: Running) -> None:
    registry = HttpRegistry(
        credentials=DockerCredentials("/nonexistent", environ={}),
        platform=Platform.parse("linux/arm64"),
    )
    single = anonymous_registry.pusher.image(
        "age/single", "v1", b"age", created="2025-03-04T05:06:07.123456789Z"
    )
    ref = ImageRef(anonymous_registry.host, "age/single", "v1")
    assert registry.created(ref, single.digest) == datetime(
        2025, 3, 4, 5, 6, 7, 123456, tzinfo=timezone.utc
    )
    index = anonymous_registry.pusher.index(
        "age/multi",
        "v1",
        {
            "linux/amd64": (b"amd", "2025-01-01T00:00:00Z"),
            "linux/arm64": (b"arm", "2025-02-02T00:00:00Z"),
        },
    )
    multi = ImageRef(anonymous_registry.host, "age/multi", "v1")
    assert registry.digest(multi) == index
    assert registry.created(multi, index) == datetime(2025, 2, 2, tzinfo=timezone.utc)
    riscv = HttpRegistry(
        credentials=DockerCredentials("/nonexistent", environ={}),
        platform=Platform.parse("linux/riscv64"),
    )
    with pytest.raises(RegistryError, match="no image for the platform linux/riscv64"):
        riscv.created(multi, index)


def test_created_behind_token_auth(token_registry: Running, docker_config: Path) -> None:
    pushed = token_registry.pusher.image("age/token", "v1", b"t", created="2024-12-24T18:00:00Z")
    registry = _client(token_registry, docker_config)
    ref = ImageRef(token_registry.host, "age/token", "v1")
    assert registry.digest(ref) == pushed.digest
    assert registry.created(ref, pushed.digest) == datetime(2024, 12, 24, 18, tzinfo=timezone.utc)


# -- TLS ---------------------------------------------------------------------------------


def test_tls_is_verified_by_default(tls_registry: Running, docker_config: Path) -> None:
    tls_registry.pusher.image("tls/app", "v1", b"tls")
    registry = HttpRegistry(credentials=DockerCredentials(docker_config, environ={}))
    with pytest.raises(RegistryError, match="is not trusted") as caught:
        registry.digest(ImageRef(tls_registry.host, "tls/app", "v1"))
    assert tls_registry.host in str(caught.value)


def test_tls_with_the_ca_bundle(tls_registry: Running, docker_config: Path) -> None:
    assert tls_registry.ca is not None
    pushed = tls_registry.pusher.image("tls/ca", "v1", b"ca").digest
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}),
        ca_bundle=tls_registry.ca.cert_path,
    )
    mark = tls_registry.log_mark()
    assert registry.digest(ImageRef(tls_registry.host, "tls/ca", "v1")) == pushed
    assert tls_registry.requests_since(mark) == ["GET /v2/", "HEAD /v2/tls/ca/manifests/v1"]


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_to_an_insecure_registry(tls_registry: Running, docker_config: Path) -> None:
    pushed = tls_registry.pusher.image("tls/insecure", "v1", b"insecure").digest
    registry = HttpRegistry(
        credentials=DockerCredentials(docker_config, environ={}),
        insecure_registries=[tls_registry.host],
    )
    assert registry.digest(ImageRef(tls_registry.host, "tls/insecure", "v1")) == pushed


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "does not exist"),
        (b"not a certificate\n", "not a readable PEM"),
        (b"", "not a readable PEM"),
    ],
)
def test_a_bad_ca_bundle_fails_at_construction(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_bytes(content)
    with pytest.raises(ConfigurationError, match=reason) as caught:
        HttpRegistry(ca_bundle=bundle, credentials=DockerCredentials(tmp_path, environ={}))
    assert str(bundle) in str(caught.value)
