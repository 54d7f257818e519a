"""The fork's internal/flags/flags_test.go: how the environment reaches the flags.

Source: nicholas-fedor/watchtower internal/flags/flags_test.go, the tests
named on each function, run against :func:`watchtower.cli.args.parse_args`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conformance.deviations import deviation
from watchtower.cli.args import parse_args
from watchtower.cli.config import load

SOURCE = "nicholas-fedor/watchtower internal/flags/flags_test.go"


def test_apply_env_to_flags_empty_bool_env_does_not_enable() -> None:
    """TestApplyEnvToFlags_EmptyBoolEnvDoesNotEnable."""
    parsed = parse_args([], {"WATCHTOWER_CLEANUP": "", "WATCHTOWER_DEBUG": "", "NO_COLOR": ""})
    assert parsed.values["cleanup"] is False
    assert parsed.values["debug"] is False
    assert parsed.values["no_color"] is True


@pytest.mark.parametrize("value", ["", "0", "false", "true", "1"])
def test_apply_env_to_flags_no_color_presence_always_enables(value: str) -> None:
    """TestApplyEnvToFlags_NOColorPresenceAlwaysEnables."""
    assert parse_args([], {}).values["no_color"] is False
    assert parse_args([], {"NO_COLOR": value}).values["no_color"] is True


def test_apply_env_to_flags_does_not_mark_changed() -> None:
    """TestApplyEnvToFlags_DoesNotMarkChanged: the values, and the CLI winning over the env."""
    environ = {
        "WATCHTOWER_HTTP_API_HOST": "127.0.0.1",
        "WATCHTOWER_HTTP_API_PORT": "9090",
        "WATCHTOWER_HTTP_API_RATE_LIMIT": "30",
        "WATCHTOWER_TIMEOUT": "45",
        "WATCHTOWER_NOTIFICATION_URL": "slack://hook discord://token",
    }
    parsed = parse_args([], environ)
    assert parsed.values["http_api_host"] == "127.0.0.1"
    assert parsed.values["http_api_port"] == "9090"
    assert parsed.values["stop_timeout"] == timedelta(seconds=45)
    assert parsed.values["notification_url"] == ("slack://hook", "discord://token")
    assert parsed.sources["http_api_host"] == "env:WATCHTOWER_HTTP_API_HOST"

    cli = parse_args(
        ["--http-api-host", "192.168.1.1"], {**environ, "WATCHTOWER_HTTP_API_HOST": "10.0.0.1"}
    )
    assert cli.values["http_api_host"] == "192.168.1.1"
    assert cli.sources["http_api_host"] == "flag"


TLS_UNIX = (
    "TLS verification is enabled but DOCKER_HOST uses local socket 'unix://'. TLS is not "
    "applicable for local sockets. Consider disabling TLS verification."
)
TLS_HTTP = (
    "TLS verification is enabled but DOCKER_HOST uses insecure scheme 'http://'. Consider "
    "using 'https://' or disable TLS verification."
)
# TestEnvConfig: (case, environment, flags, (host, tls, api version, cert path), warning)
ENV_CONFIG = [
    (
        "defaults",
        {"DOCKER_TLS_VERIFY": "", "DOCKER_HOST": "", "DOCKER_CERT_PATH": ""},
        [],
        ("unix:///var/run/docker.sock", False, "", ""),
        "",
    ),
    (
        "custom",
        {},
        [
            *("--host", "some-custom-docker-host", "--tlsverify"),
            *("--api-version", "1.99", "--cert-path", "/path/to/certs"),
        ],
        ("some-custom-docker-host", True, "1.99", "/path/to/certs"),
        "",
    ),
    (
        "tls host conversion",
        {"DOCKER_HOST": "tcp://example.com:2376", "DOCKER_TLS_VERIFY": "1"},
        [],
        ("https://example.com:2376", True, "", ""),
        "",
    ),
    (
        "cert path from env",
        {"DOCKER_CERT_PATH": "/env/cert/path"},
        [],
        ("unix:///var/run/docker.sock", False, "", "/env/cert/path"),
        "",
    ),
    (
        "tls warnings http with tls",
        {"DOCKER_TLS_VERIFY": "1"},
        ["--host", "http://example.com"],
        ("http://example.com", True, "", ""),
        TLS_HTTP,
    ),
    (
        "tls warnings unix with tls",
        {"DOCKER_TLS_VERIFY": "1"},
        ["--host", "unix:///var/run/docker.sock"],
        ("unix:///var/run/docker.sock", True, "", ""),
        TLS_UNIX,
    ),
    (
        "tls warnings https with tls",
        {"DOCKER_TLS_VERIFY": "1"},
        ["--host", "https://example.com"],
        ("https://example.com", True, "", ""),
        "",
    ),
    (
        "tls warnings unix without tls",
        {},
        ["--host", "unix:///var/run/docker.sock"],
        ("unix:///var/run/docker.sock", False, "", ""),
        "",
    ),
    (
        "docker host env var",
        {"DOCKER_HOST": "unix:///var/run/docker.sock"},
        [],
        ("unix:///var/run/docker.sock", False, "", ""),
        "",
    ),
    (
        "docker tls verify env var",
        {"DOCKER_TLS_VERIFY": "1"},
        [],
        ("unix:///var/run/docker.sock", True, "", ""),
        TLS_UNIX,
    ),
    (
        "docker cert path env var",
        {"DOCKER_CERT_PATH": "/env/certs"},
        [],
        ("unix:///var/run/docker.sock", False, "", "/env/certs"),
        "",
    ),
]


@pytest.mark.parametrize(
    ("case", "environ", "argv", "expected", "warning"), ENV_CONFIG, ids=[c[0] for c in ENV_CONFIG]
)
def test_env_config(
    case: str,
    environ: dict[str, str],
    argv: list[str],
    expected: tuple[str, bool, str, str],
    warning: str,
) -> None:
    """TestEnvConfig: the engine address, TLS, API version and certificates, and the warnings."""
    config = load(argv, environ)
    actual = (
        config.docker_host,
        config.docker_tls_verify,
        config.docker_api_version,
        config.docker_cert_path,
    )
    marked = deviation(SOURCE, "TestEnvConfig", case)
    if marked is not None:
        assert (marked.theirs, config.docker_host) == (expected[0], marked.ours)
        actual = (expected[0], *actual[1:])
    assert actual == expected
    assert config.warnings == ((warning,) if warning else ())
