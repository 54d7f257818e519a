"""The coverage-guided fuzz targets: each parser of outside text, and where its grammar lives.

A target takes text and either returns what it read (``None`` where the
parser's answer for unreadable text is ``None``) or raises its documented
error, :class:`ValueError` or :class:`~watchtower.errors.WatchtowerError`;
anything else is a finding. ``grammar`` names the modules whose source
holds the tokens the parser recognises: the words of the target's
dictionary (``dicts/<name>.dict``) must each occur there. Shared by
``atheris_targets.py`` and the tests of the seeds, which must not need
atheris.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from attrs import frozen

from watchtower._text import load_json, parse_duration
from watchtower.notify._shoutrrr import redact
from watchtower.notify._targets import translate
from watchtower.reference import parse_reference
from watchtower.registry._auth import challenge_from
from watchtower.registry._credentials import _helper_answer
from watchtower.registry._http import retry_after
from watchtower.registry._tokens import Token, token_from_answer
from watchtower.schedules import parse_schedule
from watchtower.windows import parse_windows

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

JSON_GRAMMAR = ("watchtower._text", "json.decoder", "json.scanner")
"""Where JSON's own tokens live: our reader and the standard library's."""


@frozen
class Target:
    """One parser as a fuzz target.

    Attributes:
        parse: Reads the text; ``None`` or a documented error when it cannot.
        grammar: The modules whose source spells the parser's tokens.
    """

    parse: Callable[[str], object]
    grammar: tuple[str, ...]


def _token(text: str) -> Token | None:
    try:
        answer = load_json(text)
    except ValueError:
        return None
    return token_from_answer(answer, NOW)


TARGETS: dict[str, Target] = {
    "reference": Target(parse_reference, ("watchtower.reference",)),
    "challenge": Target(
        lambda text: challenge_from("reg.example", text),
        ("watchtower.registry._challenge", "watchtower.registry._auth"),
    ),
    "schedule": Target(parse_schedule, ("watchtower.schedules", "watchtower.windows")),
    "duration": Target(parse_duration, ("watchtower._text",)),
    "url": Target(
        lambda text: (redact(text), translate(text)),
        (
            "watchtower.notify._shoutrrr",
            "watchtower.notify._targets",
            "watchtower.notify._catalogue",
            "watchtower.notify._services",
            "watchtower.notify._xmpp",
        ),
    ),
    "token": Target(_token, ("watchtower.registry._tokens", *JSON_GRAMMAR)),
    "helper": Target(
        lambda text: _helper_answer(text, "docker-credential-x", "reg.example"),
        ("watchtower.registry._credentials", *JSON_GRAMMAR),
    ),
    "retry-after": Target(
        lambda text: retry_after(text, NOW), ("watchtower.registry._http", "email._parseaddr")
    ),
    "window": Target(parse_windows, ("watchtower.windows", "watchtower._text")),
}
"""Every target by the name ``atheris_targets.py`` takes."""
