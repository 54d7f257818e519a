"""Every parser of outside text raises only its documented error, whatever it is given.

The near misses start from a few samples and from the seeds of the
coverage-guided targets (``seeds.py``): the valid inputs of the test tables.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower._text import LONG_UNITS, load_json, parse_bool, parse_duration
from watchtower.cli.config import load, parse_cooldown
from watchtower.errors import ConfigurationError, InvalidReferenceError, RegistryError
from watchtower.labels import (
    COMPOSE_DEPENDS_ON,
    COOLDOWN_DELAY,
    DEPENDS_ON,
    ENABLE,
    MONITOR_ONLY,
    NO_PULL,
    PRE_UPDATE_TIMEOUT,
    SCHEDULE,
    SCOPE,
    STOP_SIGNAL,
    STOP_TIMEOUT,
    WINDOW,
)
from watchtower.model import Container, ImageRef
from watchtower.notify._shoutrrr import redact
from watchtower.notify._targets import translate
from watchtower.params import UpdateParams
from watchtower.reference import parse_reference
from watchtower.registry import DockerCredentials
from watchtower.registry._auth import challenge_from
from watchtower.registry._credentials import _helper_answer
from watchtower.registry._tokens import token_from_answer
from watchtower.schedules import parse_schedule
from watchtower.settings import ContainerSettings
from watchtower.windows import parse_windows

from .conftest import PROFILE
from .seeds import seeds
from .strategies import near, text

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@PROFILE
@given(
    near(
        "nginx",
        "docker.io/library/nginx:1.25",
        "reg:5000/a/b@sha256:" + "a" * 64,
        *seeds("reference"),
    )
)
def test_image_references(value: str) -> None:
    try:
        parsed = parse_reference(value)
    except InvalidReferenceError as error:
        assert "\n" not in str(error)
    else:
        assert parse_reference(parsed.familiar) == parsed


@PROFILE
@given(
    near(
        'Bearer realm="https://auth.example/token",service="reg",scope="a b"',
        "Basic x=1",
        *seeds("challenge"),
    )
)
def test_www_authenticate(value: str) -> None:
    try:
        challenge_from("reg.example", value)
    except RegistryError as error:
        assert "reg.example" in str(error)


@PROFILE
@given(
    near("0 0 4 * * *", "*/5 * * * *", "@every 1h30m", "@daily", "0 0 0 29 2 *", *seeds("schedule"))
)
def test_schedules(value: str) -> None:
    try:
        schedule = parse_schedule(value)
    except ConfigurationError as error:
        assert "\n" not in str(error)
    else:
        # Whatever start accepts, the scheduler can compute its next time.
        assert schedule.next_after(NOW) > NOW


@PROFILE
@given(near("90s", "1h30m", "500ms", "1.5h", "3d", "1w", *seeds("duration")))
def test_durations(value: str) -> None:
    for units in ({}, {"units": LONG_UNITS}):
        try:
            parse_duration(value, **units)  # type: ignore[arg-type]
        except ValueError as error:
            assert repr(value)[:20] in str(error) or len(value) > 20
    with contextlib.suppress(ConfigurationError):
        parse_cooldown(value)


@PROFILE
@given(near("Sat 02:00/4h", "TZ=Europe/Berlin Mon-Fri 22:30/90m; 02:00/30m", *seeds("window")))
def test_windows(value: str) -> None:
    try:
        windows = parse_windows(value)
    except ConfigurationError as error:
        assert "\n" not in str(error)
    else:
        # Whatever is accepted opens again, and is open at its opening.
        for window in windows:
            opens = window.next_opening(NOW)
            assert opens > NOW and window.occurrence(opens) is not None


@PROFILE
@given(near("true", "false", "yes", "0"))
def test_booleans(value: str) -> None:
    with contextlib.suppress(ValueError):
        assert parse_bool(value) in (True, False)


_LABELS = [
    ENABLE,
    MONITOR_ONLY,
    NO_PULL,
    SCOPE,
    DEPENDS_ON,
    STOP_SIGNAL,
    STOP_TIMEOUT,
    COOLDOWN_DELAY,
    PRE_UPDATE_TIMEOUT,
    COMPOSE_DEPENDS_ON,
    WINDOW,
    SCHEDULE,
]


@PROFILE
@given(
    st.dictionaries(
        st.sampled_from(_LABELS),
        near("true", "30s", "SIGTERM", "a,b", "{}", "Sat 02:00/4h", "0 3 * * *"),
    )
)
def test_labels_are_read_whatever_their_values(labels: dict[str, str]) -> None:
    container = Container(
        id="c" * 64,
        name="web",
        image=ImageRef("docker.io", "library/nginx", "latest"),
        image_id="sha256:" + "b" * 64,
        labels=labels,
    )
    settings = ContainerSettings.read(container, UpdateParams())
    assert all("\n" not in problem for problem in settings.problems)


@PROFILE
@given(
    near(
        "discord://token@12345",
        "smtp://u:p@mail.example.com:587/?from=a@x.test&to=b@x.test",
        "generic+https://example.com/hook?token=x&@X-H=v",
        "telegram://123:abc@telegram?chats=1",
        "slack://a/b/c",
        *seeds("url"),
    )
)
def test_notification_urls(value: str) -> None:
    shown = redact(value)
    assert "\n" not in shown or "\n" in value
    try:
        translate(value)
    except ConfigurationError as error:
        assert "\n" not in str(error) or "\n" in value


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-(10**30), max_value=10**30)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


@PROFILE
@given(
    st.one_of(
        _JSON,
        st.fixed_dictionaries(
            {"token": st.one_of(text, st.just("t"))},
            optional={
                "expires_in": st.one_of(
                    st.floats(), st.integers(-(10**30), 10**30), text, st.booleans()
                ),
                "issued_at": near("2026-01-01T00:00:00Z", "2025-12-31T23:59:59.123+01:00"),
            },
        ),
    )
)
def test_token_answers(answer: Any) -> None:
    try:
        token = token_from_answer(answer, NOW, source="The token server t.example")
    except RegistryError as error:
        assert "t.example" in str(error)
    else:
        assert token.expires_at >= token.issued_at  # 1e-74 s rounds to nothing


@PROFILE
@given(st.one_of(text, st.integers(1, 50_000).map(lambda n: "[" * n + "]" * n)))
def test_json_from_outside(value: str) -> None:
    with contextlib.suppress(ValueError):
        load_json(value)


_AUTHS = st.fixed_dictionaries(
    {},
    optional={
        "auths": st.dictionaries(
            near("reg.example", "https://index.docker.io/v1/"),
            st.dictionaries(
                st.sampled_from(["auth", "username", "password", "identitytoken"]),
                st.one_of(near("dTpw", "YWxpY2U6czNjcmV0"), _JSON),
            ),
            max_size=3,
        ),
        "credHelpers": _JSON,
        "credsStore": _JSON,
    },
)


@PROFILE
@given(
    st.one_of(
        _AUTHS.map(json.dumps),
        _JSON.map(json.dumps),
        text,
        st.integers(1, 20_000).map(lambda n: '{"auths":' + "[" * n),
    )
)
def test_docker_config(tmp_path_factory: pytest.TempPathFactory, content: str) -> None:
    folder = tmp_path_factory.mktemp("config")
    (folder / "config.json").write_text(content, encoding="utf-8", errors="surrogatepass")
    credentials = DockerCredentials(folder, environ={"PATH": ""})
    try:
        credentials.credentials_for("reg.example")
    except (ConfigurationError, RegistryError) as error:
        assert str(folder) in str(error) or "credential helper" in str(error)


@PROFILE
@given(
    st.one_of(
        st.fixed_dictionaries(
            {}, optional={"Username": _JSON, "Secret": _JSON, "ServerURL": _JSON}
        ).map(json.dumps),
        _JSON.map(json.dumps),
        text,
    )
)
def test_credential_helper_answers(output: str) -> None:
    try:
        found = _helper_answer(output, "docker-credential-fuzz", "reg.example")
    except RegistryError as error:
        assert "docker-credential-fuzz" in str(error)  # and never the answer, which holds secrets
    else:
        assert found is None or found.secret


_FLAGS = [
    "--schedule",
    "--interval",
    "--stop-timeout",
    "--http-api-port",
    "--notifications-level",
    "--notification-url",
    "--log-level",
    "--cooldown-delay",
    "--scope",
    "--notification-template",
]


@PROFILE
@given(st.lists(st.tuples(st.sampled_from(_FLAGS), near("5", "1h", "x://y", "0 0 * * * *"))))
def test_command_lines(pairs: list[tuple[str, str]]) -> None:
    argv = [part for flag, value in pairs for part in (flag, value)]
    try:
        load(argv, {})
    except ConfigurationError as error:
        assert "\n" not in str(error).strip() or any("\n" in v for _, v in pairs)
