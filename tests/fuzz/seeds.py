"""Seed corpora and dictionaries of the coverage-guided fuzz targets.

Each target's seeds are the valid inputs of the project's own test tables
(read at run time, so they cannot drift from the tables), plus the few
files under ``corpus/<target>/`` where no table holds such inputs. Each
target's dictionary is ``dicts/<target>.dict``, in libFuzzer's ``-dict=``
format: the tokens of its grammar, which ``test_fuzz_seeds.py`` checks
against the parser's source.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tests.conformance.deviations import deviation
from tests.conformance.test_cron import ACTIVATION, NEXT, NEXT_WITH_TZ, PARSE
from tests.conformance.test_reference import CASES as REFERENCE_CASES
from tests.conformance.test_reference import REPOSITORY_INFO, Refused
from tests.conformance.test_registry import PARSE_CHALLENGE
from tests.conformance.test_tokens import COMPUTE_TOKEN_EXPIRY
from tests.core.test_reference import OWN_VALID
from tests.core.test_windows import READABLE as WINDOWS
from tests.notify.test_notify_urls import APPRISE
from tests.registry.test_registry_challenge import CASES as CHALLENGE_CASES
from tests.registry.test_registry_tokens import ANSWERS
from tests.registry.test_registry_transport import CASES as TRANSPORT_CASES
from tests.registry.test_registry_transport import TOKENS
from watchtower._text import GO_UNITS
from watchtower.registry import Response

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DICTS = HERE / "dicts"


def _references() -> Iterator[str]:
    for case in REFERENCE_CASES:
        source, test, text, expected = case.values
        if not isinstance(expected, Refused) and deviation(source, test, text) is None:
            yield text
    for spellings, *_ in REPOSITORY_INFO:
        yield from spellings
    for text, *_ in OWN_VALID:
        yield text


def _responses(*, succeeded: bool = False) -> Iterator[tuple[tuple[str, str], Response]]:
    """The answers of the registry transport's scenarios (those that end in a digest)."""
    for case in TRANSPORT_CASES:
        if succeeded and not isinstance(case.expect, str):
            continue
        for request, answers in case.table.items():
            for answer in answers if isinstance(answers, list | tuple) else [answers]:
                yield request, answer


def _challenges() -> Iterator[str]:
    # Rows whose Bearer challenge has an HTTP realm, or a Basic one: what a login answers.
    for _, header, (realm, _, _) in PARSE_CHALLENGE:
        if realm.startswith("http"):
            yield header
    for header, expected in CHALLENGE_CASES:
        if any(c.scheme == "basic" or (c.realm or "").startswith("http") for c in expected):
            yield header
    for _, answer in _responses(succeeded=True):
        if "www-authenticate" in answer.headers:
            yield answer.headers["www-authenticate"]


def _schedules() -> Iterator[str]:
    for table in (ACTIVATION, NEXT, NEXT_WITH_TZ):
        for _, spec, _ in table:
            yield spec
    for spec, _, _ in PARSE:
        yield spec


def _windows() -> Iterator[str]:
    for text, *_ in WINDOWS:
        yield text
    yield "TZ=Europe/Berlin Sat 02:00/4h, Sun 03:00/1h; CRON_TZ=UTC 12:00/1m"


def _durations() -> Iterator[str]:
    # Each of Go's units, whole, fractional and chained largest first ("1h2m3s...").
    units = sorted(GO_UNITS, key=GO_UNITS.__getitem__, reverse=True)
    for unit in units:
        yield from (f"1{unit}", f"1.5{unit}", f".5{unit}")
    yield "".join(f"{n}{unit}" for n, unit in enumerate(units, 1))
    yield "90"  # a bare number counts in seconds
    for spec in _schedules():
        if spec.startswith("@every "):
            yield spec.removeprefix("@every ")


def _urls() -> Iterator[str]:
    for url, _ in APPRISE:
        yield url


def _tokens() -> Iterator[str]:
    for answer, *_ in ANSWERS:
        yield json.dumps(answer)
    for _, answer, _ in COMPUTE_TOKEN_EXPIRY:
        yield json.dumps({"token": "t", **answer})  # as the table's test completes them
    for (_, url), answer in _responses():
        if url.startswith(TOKENS) and answer.status == 200:
            yield answer.body.decode()


def _retry_afters() -> Iterator[str]:
    # The tables' delays in seconds; their other values are the unreadable cases.
    for _, answer in _responses():
        value = answer.headers.get("retry-after", "")
        if value.isascii() and value.isdigit():
            yield value


FROM_TABLES: dict[str, Callable[[], Iterable[str]]] = {
    "reference": _references,
    "challenge": _challenges,
    "schedule": _schedules,
    "duration": _durations,
    "url": _urls,
    "token": _tokens,
    "helper": lambda: (),  # no table holds helper answers: corpus/helper/
    "retry-after": _retry_afters,
    "window": _windows,
}
"""Each target's seeds drawn from the test tables."""


def seeds(target: str) -> list[str]:
    """The target's seeds: its tables' valid inputs and its committed corpus files, once each."""
    found = list(FROM_TABLES[target]())
    folder = CORPUS / target
    if folder.is_dir():
        found += [path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())]
    return list(dict.fromkeys(found))


def write_corpus(target: str, folder: Path) -> Path:
    """Write the target's seeds into ``folder``, one file each named by its hash."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds(target):
        data = seed.encode("utf-8", "surrogateescape")
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return folder


def dictionary_path(target: str) -> Path:
    """Where the target's dictionary is."""
    return DICTS / f"{target}.dict"


def dictionary(target: str) -> list[bytes]:
    """The tokens of the target's dictionary (libFuzzer's ``name="value"`` lines, ``#`` comments).

    Raises:
        ValueError: A line is not in libFuzzer's format.
    """
    tokens: list[bytes] = []
    for number, line in enumerate(dictionary_path(target).read_text("ascii").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        _, quote, value = line.partition('"')
        if not quote or not value.endswith('"'):
            raise ValueError(f"{dictionary_path(target).name}:{number} is not a quoted token")
        # libFuzzer's escapes (\\, \", \xAB) are a subset of Python's bytes literals.
        tokens.append(ast.literal_eval(f'b"{value}'))
    return tokens
