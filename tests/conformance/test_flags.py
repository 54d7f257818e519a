"""The fork's internal/flags/flags_test.go: how the environment reaches the flags.

Source: nicholas-fedor/watchtower internal/flags/flags_test.go, the tests
named on each function, run against :func:`watchtower.cli.args.parse_args`,
:func:`watchtower.cli.config.load` and the command's exit code.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.conformance.deviations import deviation
from watchtower.cli.args import parse_args
from watchtower.cli.command import main
from watchtower.cli.config import load
from watchtower.errors import ConfigurationError

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


# TestGetSecretsFromFiles: (case, files by placeholder, environment, argv, flag, expected).
# A value naming an existing file is replaced by the file's content; for the URL
# list, each non-empty line is one value, in place.
SECRETS = [
    (
        "string value",
        {},
        {"WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PASSWORD": "supersecretstring"},
        [],
        "notification_email_server_password",
        "supersecretstring",
    ),
    (
        "file value",
        {"password.txt": "megasecretstring"},
        {"WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PASSWORD": "password.txt"},
        [],
        "notification_email_server_password",
        "megasecretstring",
    ),
    (
        "slice with file",
        {"urls.txt": "\ndiscord://entry2\n\ntelegram://entry3"},
        {},
        ["--notification-url", "discord://entry1", "--notification-url", "urls.txt"],
        "notification_url",
        ("discord://entry1", "discord://entry2", "telegram://entry3"),
    ),
    (
        "empty lines",
        {"urls.txt": "discord://entry1\n\ntelegram://entry2\n  \nslack://entry3"},
        {},
        ["--notification-url", "urls.txt"],
        "notification_url",
        ("discord://entry1", "telegram://entry2", "slack://entry3"),
    ),
    (
        "urls with trailing newlines",
        {
            "urls.txt": "telegram://1234567890:AAEJ_AAAAABBBBBccccccccdddddddd@telegram/"
            "?channels=123456789&parseMode=html\nsmtp://test\n"
        },
        {},
        ["--notification-url", "urls.txt"],
        "notification_url",
        (
            "telegram://1234567890:AAEJ_AAAAABBBBBccccccccdddddddd@telegram/"
            "?channels=123456789&parseMode=html",
            "smtp://test",
        ),
    ),
    (
        "special chars",
        {"urls.txt": "smtp://user:pass@host:25?key=value\nslack://token@channel"},
        {},
        ["--notification-url", "urls.txt"],
        "notification_url",
        ("smtp://user:pass@host:25?key=value", "slack://token@channel"),
    ),
    (
        "non-existent file",
        {},
        {"WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PASSWORD": "/nonexistent/file"},
        [],
        "notification_email_server_password",
        "/nonexistent/file",
    ),
    (
        "mixed values",
        {"urls.txt": "discord://fileentry1\ntelegram://fileentry2"},
        {},
        [
            *("--notification-url", "discord://direct1"),
            *("--notification-url", "urls.txt"),
            *("--notification-url", "discord://direct2"),
        ],
        "notification_url",
        ("discord://direct1", "discord://fileentry1", "telegram://fileentry2", "discord://direct2"),
    ),
]


@pytest.mark.parametrize(
    ("case", "files", "environ", "argv", "key", "expected"), SECRETS, ids=[c[0] for c in SECRETS]
)
def test_get_secrets_from_files(
    tmp_path: Path,
    case: str,
    files: dict[str, str],
    environ: dict[str, str],
    argv: list[str],
    key: str,
    expected: object,
) -> None:
    """TestGetSecretsFromFiles."""
    paths = {}
    for placeholder, content in files.items():
        paths[placeholder] = str(tmp_path / placeholder)
        (tmp_path / placeholder).write_text(content)
    config = load(
        [paths.get(arg, arg) for arg in argv],
        {name: paths.get(value, value) for name, value in environ.items()},
    )
    assert config.notifications[key] == expected


# TestProcessFlagAliases: (case, environment, argv, porcelain, schedule, log level).
# The fork turns --porcelain into a logger:// notification with a porcelain
# template; here it is a format of its own, written on stdout: what is
# checked is what the user gets, the format, the schedule and the level.
ALIASES = [
    (
        "porcelain v1 with interval and trace",
        {},
        ["--porcelain", "v1", "--interval", "10", "--trace"],
        "v1",
        "every 10 seconds",
        "trace",
    ),
    (
        "porcelain json with interval",
        {},
        ["--porcelain", "json", "--interval", "10"],
        "json",
        "every 10 seconds",
        "info",
    ),
    ("log level from environment", {"WATCHTOWER_DEBUG": "true"}, [], "", "every 1 day", "debug"),
    ("schedule from environment", {"WATCHTOWER_SCHEDULE": "@hourly"}, [], "", "@hourly", "info"),
]


@pytest.mark.parametrize(
    ("case", "environ", "argv", "porcelain", "schedule", "level"),
    ALIASES,
    ids=[c[0] for c in ALIASES],
)
def test_process_flag_aliases(
    case: str, environ: dict[str, str], argv: list[str], porcelain: str, schedule: str, level: str
) -> None:
    """TestProcessFlagAliases."""
    config = load(argv, environ)
    assert (config.porcelain, str(config.schedule), config.log_level) == (
        porcelain,
        schedule,
        level,
    )


# TestProcessFlagAliases_FatalCases and TestSetupLogging's errors: exit 2 with one sentence.
FATAL = [
    (
        "TestProcessFlagAliases_FatalCases",
        "schedule and interval conflict",
        ["--schedule", "@hourly", "--interval", "10"],
        "cannot be used together",
    ),
    (
        "TestProcessFlagAliases_FatalCases",
        "invalid porcelain version",
        ["--porcelain", "v2"],
        "--porcelain 'v2' is not one of v1, json.",
    ),
    ("TestSetupLogging", "invalid format", ["--log-format", "cowsay"], "--log-format 'cowsay'"),
    ("TestSetupLogging", "invalid log level", ["--log-level", "gossip"], "--log-level 'gossip'"),
]


@pytest.mark.parametrize(("test", "case", "argv", "message"), FATAL, ids=[c[1] for c in FATAL])
def test_fatal_cases(
    capsys: pytest.CaptureFixture[str], test: str, case: str, argv: list[str], message: str
) -> None:
    assert main(argv, {}) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


# TestSetupLogging's valid rows: (case, argv, format, level).
SETUP_LOGGING = [
    ("default format", [], "auto", "info"),
    ("JSON format", ["--log-format", "JSON"], "json", "info"),
    ("pretty format", ["--log-format", "pretty"], "pretty", "info"),
    ("logfmt format", ["--log-format", "logfmt"], "logfmt", "info"),
    ("debug level", ["--log-level", "debug"], "auto", "debug"),
    (
        "json format with debug level",
        ["--log-format", "json", "--log-level", "debug"],
        "json",
        "debug",
    ),
]


@pytest.mark.parametrize(
    ("case", "argv", "fmt", "level"), SETUP_LOGGING, ids=[c[0] for c in SETUP_LOGGING]
)
def test_setup_logging(case: str, argv: list[str], fmt: str, level: str) -> None:
    """TestSetupLogging: the format and the level the logger is configured with."""
    config = load(argv, {})
    assert (config.log_format, config.log_level) == (fmt, level)


# containrrr/watchtower's later --insecure-registry is a boolean (every registry's TLS
# unchecked, docs/update-flow.md); ours names hosts after '=' and, alone, is that boolean.
# (case, argv, environ, hosts, every registry, run once, container names)
INSECURE_REGISTRY = [
    ("bare, before another flag", ["--insecure-registry", "--run-once"], {}, (), True, True, ()),
    ("bare, last", ["--run-once", "--insecure-registry"], {}, (), True, True, ()),
    ("bare, before a name", ["--insecure-registry", "web"], {}, (), True, False, ("web",)),
    ("=true", ["--insecure-registry=true"], {}, (), True, False, ()),
    ("=false", ["--insecure-registry=false"], {}, (), False, False, ()),
    ("one host", ["--insecure-registry=reg:5000"], {}, ("reg:5000",), False, False, ()),
    (
        "repeated hosts",
        ["--insecure-registry=a:5000", "--insecure-registry=b,c"],
        {},
        ("a:5000", "b", "c"),
        False,
        False,
        (),
    ),
    ("environment true", [], {"WATCHTOWER_INSECURE_REGISTRY": "true"}, (), True, False, ()),
    ("environment false", [], {"WATCHTOWER_INSECURE_REGISTRY": "false"}, (), False, False, ()),
    (
        "environment hosts",
        [],
        {"WATCHTOWER_INSECURE_REGISTRY": "a:5000 b"},
        ("a:5000", "b"),
        False,
        False,
        (),
    ),
    ("not given", [], {}, (), False, False, ()),
]


@pytest.mark.parametrize(
    ("case", "argv", "environ", "hosts", "every", "run_once", "names"),
    INSECURE_REGISTRY,
    ids=[c[0] for c in INSECURE_REGISTRY],
)
def test_insecure_registry_alone_is_the_boolean(
    case: str,
    argv: list[str],
    environ: dict[str, str],
    hosts: tuple[str, ...],
    every: bool,
    run_once: bool,
    names: tuple[str, ...],
) -> None:
    config = load(argv, environ)
    assert (config.insecure_registries, config.registry_tls_skip) == (hosts, every)
    assert (config.run_once, config.params.names) == (run_once, names)
    warned = any(w.startswith("--insecure-registry:") for w in config.warnings)
    assert warned is every


@pytest.mark.parametrize(
    "argv",
    [["--insecure-registry", "reg:5000"], ["--insecure-registry", "10.0.0.2:5000", "web"]],
)
def test_a_registry_address_written_as_a_name_is_refused_with_the_form_that_works(
    argv: list[str],
) -> None:
    """The spaced form reads the address as a container name, which would select nothing."""
    with pytest.raises(ConfigurationError) as caught:
        load(argv, {})
    address = argv[1]
    assert str(caught.value) == (
        f"{address!r} is a registry's address, not a container name; to trust that "
        f"registry without TLS write --insecure-registry={address}."
    )
