"""Logins found as the docker CLI finds them: config.json, helpers, REPO_USER/REPO_PASS."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from watchtower.errors import ConfigurationError, RegistryError
from watchtower.registry._credentials import (
    Credentials,
    DockerCredentials,
    auth_config,
)
from watchtower.registry._hosts import (
    api_host,
    credential_key,
    is_loopback,
    plain_http_allowed,
    split_host_port,
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _write(directory: Path, config: object) -> None:
    (directory / "config.json").write_text(json.dumps(config))


def _env(directory: Path, **extra: str) -> dict[str, str]:
    return {"DOCKER_CONFIG": str(directory), "PATH": str(directory / "bin"), **extra}


def _helper(directory: Path, name: str, script: str) -> Path:
    """A real credential helper program: ``docker-credential-<name>``."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / f"docker-credential-{name}"
    path.write_text(f"#!{sys.executable}\n{script}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


HELPER = """
import json, sys
server = sys.stdin.read().strip()
logins = {logins!r}
if sys.argv[1] != "get":
    sys.exit(2)
if server not in logins:
    print("credentials not found in native keychain")
    sys.exit(1)
with open({log!r}, "a") as log:
    log.write(server + "\\n")
user, secret = logins[server]
print(json.dumps({{"ServerURL": server, "Username": user, "Secret": secret}}))
"""


def test_auths_entries_by_host_and_by_url(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "auths": {
                "https://index.docker.io/v1/": {"auth": _b64("hubuser:hubpass")},
                "reg.example:5000": {"username": "u", "password": "p"},
                "https://other.example/v2/": {"auth": _b64("o:colon:in:pass")},
                "tok.example": {"identitytoken": "refresh-me", "auth": ""},
            }
        },
    )
    creds = DockerCredentials(environ=_env(tmp_path))
    assert creds.credentials_for("docker.io") == Credentials("hubuser", "hubpass")
    assert creds.credentials_for("index.docker.io") == Credentials("hubuser", "hubpass")
    assert creds.credentials_for("reg.example:5000") == Credentials("u", "p")
    assert creds.credentials_for("reg.example") is None  # the port is part of the host
    assert creds.credentials_for("OTHER.example") == Credentials("o", "colon:in:pass")
    assert creds.credentials_for("tok.example") == Credentials("", "", "refresh-me")
    assert creds.credentials_for("ghcr.io") is None


def test_no_config_file_means_no_login(tmp_path: Path) -> None:
    assert DockerCredentials(environ=_env(tmp_path)).credentials_for("ghcr.io") is None


def test_repo_user_and_pass_win(tmp_path: Path) -> None:
    _write(tmp_path, {"auths": {"ghcr.io": {"auth": _b64("file:login")}}})
    env = _env(tmp_path, REPO_USER="envuser", REPO_PASS="envpass")
    found = DockerCredentials(environ=env).credentials_for("ghcr.io")
    assert found == Credentials("envuser", "envpass")
    # Both are needed.
    env = _env(tmp_path, REPO_USER="envuser")
    assert DockerCredentials(environ=env).credentials_for("ghcr.io") == Credentials("file", "login")


def test_config_changes_are_picked_up(tmp_path: Path) -> None:
    creds = DockerCredentials(environ=_env(tmp_path))
    _write(tmp_path, {"auths": {"ghcr.io": {"auth": _b64("a:1")}}})
    assert creds.credentials_for("ghcr.io") == Credentials("a", "1")
    _write(tmp_path, {"auths": {"ghcr.io": {"auth": _b64("b:22")}}})
    assert creds.credentials_for("ghcr.io") == Credentials("b", "22")


def test_cred_helpers_per_registry_and_creds_store(tmp_path: Path) -> None:
    log = tmp_path / "helper.log"
    _helper(tmp_path, "pass", HELPER.format(logins={"ghcr.io": ("gh", "ghsecret")}, log=str(log)))
    _helper(
        tmp_path,
        "desktop",
        HELPER.format(
            logins={
                "https://index.docker.io/v1/": ("hub", "hubsecret"),
                "tok.example": ("<token>", "identity"),
            },
            log=str(log),
        ),
    )
    _write(
        tmp_path,
        {
            "credsStore": "desktop",
            "credHelpers": {"ghcr.io": "pass"},
            "auths": {"plain.example": {"auth": _b64("p:q")}},
        },
    )
    creds = DockerCredentials(environ=_env(tmp_path))
    assert creds.credentials_for("ghcr.io") == Credentials("gh", "ghsecret")
    assert creds.credentials_for("docker.io") == Credentials("hub", "hubsecret")
    assert creds.credentials_for("tok.example") == Credentials("", "", "identity")
    # Not in the store: the file's own entry.
    assert creds.credentials_for("plain.example") == Credentials("p", "q")
    # Answers are cached: a second round runs no helper.
    before = log.read_text()
    assert creds.credentials_for("ghcr.io") == Credentials("gh", "ghsecret")
    assert creds.credentials_for("docker.io") == Credentials("hub", "hubsecret")
    assert log.read_text() == before
    assert before.splitlines() == ["ghcr.io", "https://index.docker.io/v1/", "tok.example"]


def test_helper_answers_expire_with_the_injected_clock(tmp_path: Path) -> None:
    log = tmp_path / "helper.log"
    _helper(tmp_path, "pass", HELPER.format(logins={"ghcr.io": ("gh", "s")}, log=str(log)))
    _write(tmp_path, {"credHelpers": {"ghcr.io": "pass"}})
    now = [0.0]
    creds = DockerCredentials(
        environ=_env(tmp_path), cache_for=timedelta(seconds=60), clock=lambda: now[0]
    )
    creds.credentials_for("ghcr.io")
    now[0] = 59.0
    creds.credentials_for("ghcr.io")
    now[0] = 61.0
    creds.credentials_for("ghcr.io")
    assert log.read_text().splitlines() == ["ghcr.io", "ghcr.io"]


def test_a_missing_helper_is_a_clear_error(tmp_path: Path) -> None:
    _write(tmp_path, {"credHelpers": {"ghcr.io": "nosuch"}})
    with pytest.raises(ConfigurationError) as caught:
        DockerCredentials(environ=_env(tmp_path)).credentials_for("ghcr.io")
    message = str(caught.value)
    assert "docker-credential-nosuch" in message and "not installed" in message
    assert str(tmp_path / "config.json") in message


def test_a_helper_that_hangs_is_stopped(tmp_path: Path) -> None:
    _helper(tmp_path, "slow", "import time\ntime.sleep(30)\n")
    _write(tmp_path, {"credsStore": "slow"})
    creds = DockerCredentials(environ=_env(tmp_path), helper_timeout=timedelta(seconds=0.5))
    with pytest.raises(RegistryError, match=r"did not answer for ghcr\.io within 0\.5s"):
        creds.credentials_for("ghcr.io")


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("import sys\nsys.stderr.write('keychain locked\\n')\nsys.exit(3)\n", "keychain locked"),
        ("print('not json')\n", "not JSON"),
        ("print('[1]')\n", "not a JSON object"),
    ],
)
def test_a_failing_helper_is_one_clear_error(tmp_path: Path, script: str, reason: str) -> None:
    _helper(tmp_path, "bad", script)
    _write(tmp_path, {"credsStore": "bad"})
    with pytest.raises(RegistryError, match=reason) as caught:
        DockerCredentials(environ=_env(tmp_path)).credentials_for("ghcr.io")
    assert "docker-credential-bad" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "is not a JSON object"),
        ('{"auths": []}', "'auths'"),
        ('{"credHelpers": {"x": 1}}', "'credHelpers'"),
        ('{"credsStore": 5}', "'credsStore'"),
        ('{"auths": {"ghcr.io": {"auth": "bm9jb2xvbg=="}}}', "does not decode to user:password"),
        ('{"auths": {"ghcr.io": {"auth": "***"}}}', "does not decode to user:password"),
    ],
)
def test_malformed_config_is_one_clear_error(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(ConfigurationError, match=reason) as caught:
        DockerCredentials(environ=_env(tmp_path)).credentials_for("ghcr.io")
    assert str(tmp_path / "config.json") in str(caught.value)


def test_default_config_dir_is_home_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    creds = DockerCredentials(environ={"PATH": os.defpath})
    assert creds.config_path == tmp_path / ".docker" / "config.json"


def test_secrets_never_show_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    creds = Credentials("user", "hunter2-password", "identity-xyz")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("watchtower").debug("using %r", creds)
    for text in (repr(creds), str(creds), caplog.text, creds.identity):
        assert "hunter2-password" not in text and "identity-xyz" not in text
    assert Credentials("user", "a").identity != Credentials("user", "b").identity


def test_auth_config_for_docker_py() -> None:
    assert auth_config(Credentials("u", "p"), "docker.io") == {
        "username": "u",
        "password": "p",
        "serveraddress": "https://index.docker.io/v1/",
    }
    assert auth_config(Credentials("", "", "tok"), "ghcr.io") == {
        "identitytoken": "tok",
        "serveraddress": "ghcr.io",
    }
    assert auth_config(Credentials("u", "p")) == {"username": "u", "password": "p"}


def test_basic_authorization() -> None:
    assert Credentials("u", "p").basic_authorization() == "Basic " + _b64("u:p")
    assert Credentials("u", "", "tok").basic_authorization() == "Basic " + _b64("u:tok")


def test_the_registry_package_does_not_import_requests() -> None:
    import subprocess

    code = "import sys, watchtower.registry; sys.exit(1 if 'requests' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    code = "import sys, watchtower; sys.exit(1 if 'requests' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


HOSTS = [
    ("docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"),
    ("index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"),
    ("ghcr.io", "ghcr.io", "ghcr.io"),
    ("Reg.Example:5000", "reg.example:5000", "reg.example:5000"),
    ("127.0.0.1:5000", "127.0.0.1:5000", "127.0.0.1:5000"),
]


@pytest.mark.parametrize(("domain", "api", "key"), HOSTS)
def test_hosts(domain: str, api: str, key: str) -> None:
    assert api_host(domain) == api
    assert credential_key(domain) == key


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("127.8.9.10", True),
        ("localhost:80", True),
        ("[::1]:5000", True),
        ("::1", True),
        ("10.0.0.1:5000", False),
        ("ghcr.io", False),
        ("localhost.example", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plain_http_only_for_loopback_or_insecure() -> None:
    assert plain_http_allowed("127.0.0.1:5000", ())
    assert not plain_http_allowed("reg.example:5000", ())
    assert plain_http_allowed("reg.example:5000", ["reg.example:5000"])
    assert plain_http_allowed("reg.example:5000", ["reg.example"])
    assert not plain_http_allowed("reg.example:5000", ["reg.example:6000"])
    assert split_host_port("[::1]:5000") == ("::1", 5000)
