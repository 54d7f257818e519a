"""Reading and explaining the command line: :func:`parse_args` and :func:`format_help`.

:func:`parse_args` reads a command line and an environment by the flag table
(:data:`~watchtower.cli.flags.FLAGS`) into a :class:`Parsed` with the
precedence flag > environment > default, the way the maintained fork does
(pflag and its ``ApplyEnvToFlags``): a bool flag takes no separate argument
(``--cleanup`` or ``--cleanup=false``), short flags may be grouped
(``-Rc``), list flags split on commas and spaces, a flag with a
:attr:`~watchtower.cli.flags.Flag.bare` value takes it when given alone
(``--insecure-registry``), and ``--`` ends the flags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from .._text import go_duration, parse_bool, parse_duration
from ..errors import ConfigurationError
from .flags import FLAGS, Flag, FlagValue, Kind, Split, by_name
from .values import FlagValues, flag_values

__all__ = ["Parsed", "format_help", "parse_args", "split_list"]

# Variables whose mere presence means true (https://no-color.org).
_PRESENCE_ENV = frozenset({"NO_COLOR"})

_BY_SHORT = {flag.short: flag for flag in FLAGS if flag.short}


# A frozen dataclass, not attrs, for the same reason as the flag table's Flag.
@dataclass(frozen=True, slots=True)
class Parsed:
    """A command line and an environment, read.

    Attributes:
        values: Every flag's value by :attr:`~watchtower.cli.flags.Flag.key`.
        sources: Where each value came from: ``flag``, ``env:<NAME>`` or ``default``.
        names: The positional arguments: container names.
        help: True when ``--help`` was asked for.
        version: True when ``--version`` was asked for.
    """

    values: FlagValues
    sources: Mapping[str, str]
    names: tuple[str, ...] = ()
    help: bool = False
    version: bool = False

    def given(self, name: str) -> bool:
        """True when the flag was set on the command line or in the environment."""
        return self.sources[name.replace("-", "_")] != "default"


def split_list(text: str, how: Split) -> list[str]:
    """Split a list flag's text the way the fork does."""
    if how is Split.COMMA:
        return [part.strip() for part in text.split(",") if part.strip()]
    if how in (Split.URLS, Split.NONE):
        return _split_urls(text)
    return [part for part in re.split(r"[, ]+", text) if part.strip()]


def _split_urls(text: str) -> list[str]:
    # A comma starts a new URL only when what follows looks like one
    # (has "://"); otherwise it belongs to the previous URL's query.
    result: list[str] = []
    for chunk in text.split(" "):
        for index, part in enumerate(chunk.split(",")):
            part = part.strip()
            if not part:
                continue
            if index > 0 and result and "://" not in part:
                result[-1] += "," + part
            else:
                result.append(part)
    return result


def _convert(flag: Flag, text: str, where: str) -> FlagValue:
    """One textual value of ``flag`` as a value of its kind.

    Raises:
        ConfigurationError: The text is not a value of the flag's kind.
    """
    if flag.kind is Kind.BOOL:
        try:
            return parse_bool(text)
        except ValueError:
            raise ConfigurationError(f"{where} expects true or false, got {text!r}.") from None
    if flag.kind is Kind.INT:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigurationError(f"{where} expects a whole number, got {text!r}.") from None
    if flag.kind is Kind.DURATION:
        if text.strip().startswith("-"):
            raise ConfigurationError(f"{where} must not be negative, got {text!r}.")
        try:
            return parse_duration(text)
        except ValueError as error:
            raise ConfigurationError(f"{where} {error}.") from None
    if flag.kind is Kind.LIST:
        return tuple(split_list(text, flag.split))
    return text


def _items(flag: Flag, text: str) -> tuple[str, ...]:
    """The items of one occurrence of a list flag on the command line."""
    if flag.split is Split.NONE:
        return (text,)
    if flag.split is Split.COMMA:
        return tuple(split_list(text, flag.split))
    # pflag's StringSlice reads each occurrence as CSV.
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _env_value(flag: Flag, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The first of ``flag``'s variables that is set (and not empty), with its text."""
    for key in flag.env:
        raw = environ.get(key)
        if raw is None:
            continue
        if key in _PRESENCE_ENV:
            return key, "true"
        if raw == "":
            continue
        return key, raw
    return None


@dataclass(frozen=True, slots=True)
class _Setting:
    """One value given to a flag on the command line, as typed, and how errors name it."""

    flag: Flag
    text: str
    where: str


@dataclass(frozen=True, slots=True)
class _Name:
    """One positional argument: a container name."""

    text: str


_Token = _Setting | _Name | Literal["help", "version"]


def _long(arg: str, following: str | None) -> tuple[_Setting, int]:
    """The setting of one ``--name[=value]``, and how many following arguments it took (0 or 1)."""
    name, eq, inline = arg[2:].partition("=")
    try:
        flag = by_name(name)
    except KeyError:
        raise ConfigurationError(f"Unknown flag --{name}; see watchtower --help.") from None
    if flag.kind is Kind.BOOL:
        return _Setting(flag, inline if eq else "true", flag.option), 0
    if flag.bare and not eq:
        # pflag's NoOptDefVal: alone, the flag never takes the next argument as its value.
        return _Setting(flag, flag.bare, flag.option), 0
    if eq:
        return _Setting(flag, inline, flag.option), 0
    if following is None:
        raise ConfigurationError(f"{flag.option} needs a value.")
    return _Setting(flag, following, flag.option), 1


def _cluster(cluster: str, following: str | None) -> tuple[list[_Setting], int]:
    """The settings of grouped short flags (``-Rc``, ``-i30``, ``-i 30``), and arguments taken."""
    settings: list[_Setting] = []
    position = 0
    while position < len(cluster):
        letter = cluster[position]
        position += 1
        short = _BY_SHORT.get(letter)
        if short is None:
            raise ConfigurationError(f"Unknown flag -{letter}; see watchtower --help.")
        where = f"-{letter} ({short.option})"
        rest = cluster[position:]
        if short.kind is Kind.BOOL:
            if rest.startswith("="):
                settings.append(_Setting(short, rest[1:], where))
                break
            settings.append(_Setting(short, "true", where))
            continue
        if rest:
            settings.append(_Setting(short, rest.removeprefix("="), where))
            break
        if following is None:
            raise ConfigurationError(f"{where} needs a value.")
        settings.append(_Setting(short, following, where))
        return settings, 1
    return settings, 0


def _tokens(argv: Sequence[str]) -> Iterator[_Token]:
    """The arguments' settings, names and requests for help or the version, in order."""
    # A generator: each setting is converted before the next argument is read, so the
    # first bad argument is the one reported.
    args = list(argv)
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        following = args[index] if index < len(args) else None
        taken = 0
        if arg == "--":
            yield from (_Name(name) for name in args[index:])
            return
        if arg in ("--help", "-h"):
            yield "help"
        elif arg == "--version":
            yield "version"
        elif arg.startswith("--"):
            setting, taken = _long(arg, following)
            yield setting
        elif arg.startswith("-") and len(arg) > 1:
            settings, taken = _cluster(arg[1:], following)
            yield from settings
        else:
            yield _Name(arg)
        index += taken


@dataclass(frozen=True, slots=True)
class _CommandLine:
    """What the arguments alone say: the values they set by key, the names, the requests."""

    given: Mapping[str, FlagValue]
    names: tuple[str, ...]
    help: bool
    version: bool


def _command_line(argv: Sequence[str]) -> _CommandLine:
    """Read the arguments: a list flag gathers every occurrence, any other keeps the last."""
    given: dict[str, FlagValue] = {}
    lists: dict[str, tuple[str, ...]] = {}
    names: list[str] = []
    wants_help = wants_version = False
    for token in _tokens(argv):
        if isinstance(token, _Setting):
            flag = token.flag
            if flag.kind is Kind.LIST:
                lists[flag.key] = lists.get(flag.key, ()) + _items(flag, token.text)
            else:
                given[flag.key] = _convert(flag, token.text, token.where)
        elif isinstance(token, _Name):
            names.append(token.text)
        elif token == "help":
            wants_help = True
        else:
            wants_version = True
    given.update(lists)
    return _CommandLine(given, tuple(names), wants_help, wants_version)


def _fallback(flag: Flag, environ: Mapping[str, str]) -> tuple[FlagValue, str]:
    """The value of a flag the arguments do not set, and its source: environment, else default."""
    found = _env_value(flag, environ)
    if found is None:
        return flag.default, "default"
    key, raw = found
    return _convert(flag, raw, f"{key}={raw!r} ({flag.option})"), f"env:{key}"


def parse_args(argv: Sequence[str], environ: Mapping[str, str]) -> Parsed:
    """Read a command line and an environment: flag > environment > default.

    Args:
        argv: The arguments, without the program name.
        environ: The environment variables.

    Raises:
        ConfigurationError: An unknown flag, a missing value or a value of
            the wrong type, in one sentence naming it.
    """
    line = _command_line(argv)
    values: dict[str, FlagValue] = {}
    sources: dict[str, str] = {}
    for flag in FLAGS:
        if flag.key in line.given:
            values[flag.key], sources[flag.key] = line.given[flag.key], "flag"
        else:
            values[flag.key], sources[flag.key] = _fallback(flag, environ)
    return Parsed(flag_values(values), sources, line.names, line.help, line.version)


# The help's layout: the names' column, at most this wide or a third of the width;
# a longer name puts its text on the next line, as argparse does.
_NAMES_MAX = 34
# The narrowest layout: the longest flag with its kind (49 characters) fits on its line.
_NARROWEST = 50
# A no-break space keeps "(default: x)" whole: textwrap breaks at ASCII whitespace only.
_GLUE = "\xa0"


def _default(flag: Flag) -> str:
    """A flag's default as ``--help`` shows it: ``30s``, ``86400``, ``false``, ``none``."""
    value = flag.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return go_duration(value)
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    return str(value) if value != "" else "none"


def format_help(width: int | None = None) -> str:
    """The text of ``watchtower --help``, wrapped to ``width`` columns.

    ``width`` is the terminal's by default (``COLUMNS`` first, then the
    terminal, else 80), and no less than 50. A line is longer only where a
    word alone is (an environment variable, a URL): words are never broken.
    """
    import shutil
    import textwrap

    width = max(_NARROWEST, width or shutil.get_terminal_size().columns)
    column = min(_NAMES_MAX, width // 3)

    def wrap(text: str, indent: int) -> list[str]:
        return textwrap.wrap(
            text, max(1, width - indent), break_long_words=False, break_on_hyphens=False
        )

    lines = [*wrap("Usage: watchtower [flags] [container names...]", 0), ""]
    lines += wrap("Keeps running containers on the images their registries currently serve.", 0)
    group = None
    for flag in FLAGS:
        if flag.group != group:
            group = flag.group
            lines += ["", f"{group.capitalize()} flags:"]
        names = (f"-{flag.short}, " if flag.short else "    ") + flag.option
        if flag.kind is not Kind.BOOL:
            names += f" {flag.kind.value}"
        names = f"  {names}"
        text = flag.help
        if flag.env:
            text += f" [{', '.join(flag.env)}]"
        if flag.deprecated:
            text += f" (deprecated: {flag.deprecated})"
        default = f"(default: {_default(flag)})"
        if len(default) <= width - column:  # kept whole where it fits
            default = default.replace(" ", _GLUE)
        text += f" {default}"
        body = [line.replace(_GLUE, " ") for line in wrap(text, column)]
        if len(names) + 1 > column:  # too long for its column: the text goes below
            lines.append(names)
        else:
            lines.append(f"{names:<{column}}{body.pop(0)}")
        lines += [" " * column + line for line in body]
    return "\n".join(lines) + "\n"
