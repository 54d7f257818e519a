"""Every parser takes time linear in its input: 100 KB of its worst characters included.

Each parser reads 10 KB and then 100 KB of a repeated unit chosen to upset
it; ten times the input may take at most about ten times as long (with a
generous margin for a busy machine), never a hundred.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from watchtower._text import load_json, parse_duration
from watchtower.cli.api import _parse_time
from watchtower.errors import WatchtowerError
from watchtower.labels import DEPENDS_ON
from watchtower.model import Container, ImageRef
from watchtower.notify._shoutrrr import redact
from watchtower.notify._targets import translate
from watchtower.params import UpdateParams
from watchtower.reference import parse_reference
from watchtower.registry._auth import challenge_from
from watchtower.registry._client import _ratelimit_remaining
from watchtower.registry._credentials import _helper_answer
from watchtower.registry._http import retry_after
from watchtower.registry._tokens import token_from_answer
from watchtower.schedules import parse_schedule
from watchtower.settings import ContainerSettings

from .strategies import huge

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _labels(value: str) -> object:
    container = Container(
        id="c" * 64,
        name="web",
        image=ImageRef("docker.io", "library/nginx", "latest"),
        image_id="sha256:" + "b" * 64,
        labels={DEPENDS_ON: value},
    )
    return ContainerSettings.read(container, UpdateParams())


PARSERS: dict[str, tuple[Callable[[str], object], tuple[str, ...]]] = {
    "image reference": (parse_reference, ("a/", "a:", "@", "a.", "a-", "A")),
    "WWW-Authenticate": (
        lambda v: challenge_from("reg.example", v),
        ('Bearer realm="', "a=b,", '\\"', ",", "Bearer "),
    ),
    "schedule": (parse_schedule, ("* ", "1,", "@every 1h", "*/")),
    "duration": (parse_duration, ("1h", "1", ".", "1.")),
    "notification URL": (translate, ("a@", "%", "?a=b&", "discord://a")),
    "redaction": (redact, ("a@", "[", "a.", ":")),
    "JSON": (load_json, ("[", '"\\u', "1", "{")),
    "token answer": (
        lambda v: token_from_answer({"token": v, "issued_at": v}, NOW),
        ("2026-01-01T", "9"),
    ),
    "Retry-After": (lambda v: retry_after(v, NOW), ("9", "Wed, ")),
    "ratelimit-remaining": (_ratelimit_remaining, ("9", ";")),
    "API time": (_parse_time, ("9", "2026-")),
    "labels": (_labels, ("a,", " ", ",")),
    "credential helper answer": (
        lambda v: _helper_answer(v, "docker-credential-x", "reg.example"),
        ('{"Secret":"', "[", '{"a":'),
    ),
}


def _cost(parse: Callable[[str], object], value: str) -> float:
    started = time.perf_counter()
    try:
        parse(value)
    except (ValueError, WatchtowerError) as error:
        # One sentence naming the value, not the value itself 100 KB long.
        assert len(str(error)) < 2000, str(error)[:300]
    return time.perf_counter() - started


@pytest.mark.parametrize("name", PARSERS)
def test_time_is_linear_in_the_input(name: str) -> None:
    parse, units = PARSERS[name]
    for unit in units:
        small = min(_cost(parse, huge(unit, 10_000)) for _ in range(3))
        large = min(_cost(parse, huge(unit, 100_000)) for _ in range(2))
        assert large < 30 * small + 0.25, f"{name} on {unit!r}: {small:.4f}s then {large:.4f}s"
