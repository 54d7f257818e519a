"""Coverage-guided fuzzing of the parsers with atheris, for ``nox -s fuzz``.

Run ``python tests/fuzz/atheris_targets.py TARGET -max_total_time=60``: the
target gets atheris' bytes as text, and anything but its documented error
is a crash that atheris reports with the input that caused it. Not
collected by pytest (its name does not start with ``test_``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import datetime, timezone

import atheris

with atheris.instrument_imports():
    from watchtower._text import load_json, parse_duration
    from watchtower.cli.schedule import parse_schedule
    from watchtower.errors import WatchtowerError
    from watchtower.notify._shoutrrr import redact
    from watchtower.notify._targets import translate
    from watchtower.reference import parse_reference
    from watchtower.registry._auth import challenge_from
    from watchtower.registry._credentials import _helper_answer
    from watchtower.registry._http import retry_after
    from watchtower.registry._tokens import token_from_answer

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _token(text: str) -> object:
    try:
        answer = load_json(text)
    except ValueError:
        return None
    return token_from_answer(answer, NOW)


TARGETS: dict[str, Callable[[str], object]] = {
    "reference": parse_reference,
    "challenge": lambda text: challenge_from("reg.example", text),
    "schedule": parse_schedule,
    "duration": parse_duration,
    "url": lambda text: (redact(text), translate(text)),
    "token": _token,
    "helper": lambda text: _helper_answer(text, "docker-credential-x", "reg.example"),
    "retry-after": lambda text: retry_after(text, NOW),
}


def main() -> None:
    target = TARGETS[sys.argv.pop(1)]

    def one(data: bytes) -> None:
        text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
        with contextlib.suppress(ValueError, WatchtowerError):
            target(text)  # the documented errors; anything else is a finding

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
