"""Parsing ``WWW-Authenticate`` headers into challenges (RFC 7235).

A registry answers ``GET /v2/`` with 401 and one or more challenges, such as
``Bearer realm="https://auth.example/token",service="registry"``. Values may
be quoted, quoted values may hold commas and escaped quotes, and one header
may carry several challenges separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from attrs import field, frozen

from .._text import quoted
from ..errors import RegistryError


class MalformedChallengeError(RegistryError):
    """A ``WWW-Authenticate`` header that does not follow RFC 7235."""


def _params(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@frozen
class Challenge:
    """One authentication challenge.

    Attributes:
        scheme: The auth scheme, lower case (``bearer``, ``basic``).
        params: Its parameters with lower-case names (``realm``, ``service``,
            ``scope``); values as sent, unquoted.
        token68: The bare token some schemes carry instead of parameters.
    """

    scheme: str
    params: Mapping[str, str] = field(factory=dict, converter=_params)
    token68: str | None = None

    @property
    def realm(self) -> str | None:
        """The ``realm`` parameter, if any."""
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        """The ``service`` parameter, if any."""
        return self.params.get("service")


_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN_RE = re.compile(_TOKEN)
_TOKEN68_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_WS = " \t"


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def token(self) -> str | None:
        match = _TOKEN_RE.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def quoted(self) -> str:
        # Called with the opening quote at self.pos.
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    break
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise MalformedChallengeError(
            f"unterminated quoted string at position {start} of {quoted(self.text)}"
        )

    def fail(self, what: str) -> MalformedChallengeError:
        return MalformedChallengeError(f"{what} at position {self.pos} of {quoted(self.text)}")


def _is_param_start(scanner: _Scanner) -> bool:
    """True when a ``name=`` follows (a parameter), not a new scheme."""
    match = _TOKEN_RE.match(scanner.text, scanner.pos)
    if match is None:
        return False
    rest = match.end()
    while rest < len(scanner.text) and scanner.text[rest] in _WS:
        rest += 1
    if rest >= len(scanner.text) or scanner.text[rest] != "=":
        return False
    # ``token68`` values end in ``=`` too: "abc==" is a token68, "abc=x" a parameter.
    after = rest + 1
    while after < len(scanner.text) and scanner.text[after] == "=":
        after += 1
    tail = scanner.text[after:].lstrip(_WS)
    return after == rest + 1 and not (tail == "" or tail.startswith(","))


def parse_challenges(header: str) -> tuple[Challenge, ...]:
    """Parse a ``WWW-Authenticate`` value into its challenges, in order.

    Raises:
        MalformedChallengeError: The header is empty or breaks RFC 7235; the
            message says where.
    """
    scanner = _Scanner(header)
    challenges: list[Challenge] = []
    scanner.skip_ws()
    while not scanner.at_end():
        if scanner.peek() == ",":  # empty list elements are allowed
            scanner.pos += 1
            scanner.skip_ws()
            continue
        scheme = scanner.token()
        if scheme is None:
            raise scanner.fail("expected an auth scheme")
        params: dict[str, str] = {}
        token68: str | None = None
        had_space = scanner.peek() in _WS and scanner.peek() != ""
        scanner.skip_ws()
        if had_space and not scanner.at_end() and scanner.peek() != ",":
            if _is_param_start(scanner):
                _parse_params(scanner, params)
            else:
                match = _TOKEN68_RE.match(scanner.text, scanner.pos)
                if match is None:
                    raise scanner.fail("expected parameters or a token")
                token68 = match.group()
                scanner.pos = match.end()
                scanner.skip_ws()
        elif not scanner.at_end() and scanner.peek() != ",":
            raise scanner.fail("expected a space after the auth scheme")
        if not scanner.at_end():
            if scanner.peek() != ",":
                raise scanner.fail("expected a comma")
            scanner.pos += 1
            scanner.skip_ws()
        challenges.append(Challenge(scheme.lower(), params, token68))
    if not challenges:
        raise MalformedChallengeError(f"no challenge in {quoted(header)}")
    return tuple(challenges)


def _parse_params(scanner: _Scanner, params: dict[str, str]) -> None:
    """Parse ``name=value`` pairs until the next scheme or the end."""
    while True:
        name = scanner.token()
        if name is None:
            raise scanner.fail("expected a parameter name")
        scanner.skip_ws()
        if scanner.peek() != "=":
            raise scanner.fail(f"expected '=' after {quoted(name)}")
        scanner.pos += 1
        scanner.skip_ws()
        if scanner.peek() == '"':
            value = scanner.quoted()
        else:
            token = scanner.token()
            if token is None:
                raise scanner.fail(f"expected a value for {quoted(name)}")
            value = token
        key = name.lower()
        if key in params:
            raise scanner.fail(f"parameter {quoted(name)} repeated")
        params[key] = value
        scanner.skip_ws()
        if scanner.at_end():
            return
        if scanner.peek() != ",":
            raise scanner.fail("expected a comma")
        # A comma ends this parameter; what follows is another one or a new challenge.
        save = scanner.pos
        scanner.pos += 1
        scanner.skip_ws()
        while scanner.peek() == ",":
            scanner.pos += 1
            scanner.skip_ws()
        if scanner.at_end() or not _is_param_start(scanner):
            scanner.pos = save
            return


_PREFERENCE = ("bearer", "basic")


def pick_challenge(challenges: Sequence[Challenge]) -> Challenge | None:
    """The challenge to answer: Bearer before Basic, others ignored."""
    for scheme in _PREFERENCE:
        for challenge in challenges:
            if challenge.scheme == scheme:
                return challenge
    return None
