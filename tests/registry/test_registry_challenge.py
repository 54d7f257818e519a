"""The WWW-Authenticate parser: a table of real and tricky headers, errors, and a round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower.errors import RegistryError
from watchtower.registry._challenge import (
    Challenge,
    MalformedChallengeError,
    parse_challenges,
    pick_challenge,
)

CASES = [
    (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
        [
            Challenge(
                "bearer", {"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}
            )
        ],
    ),
    (
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull"',
        [
            Challenge(
                "bearer",
                {
                    "realm": "https://ghcr.io/token",
                    "service": "ghcr.io",
                    "scope": "repository:o/a:pull",
                },
            )
        ],
    ),
    ('Basic realm="Registry Realm"', [Challenge("basic", {"realm": "Registry Realm"})]),
    ("basic realm=simple", [Challenge("basic", {"realm": "simple"})]),
    ("Basic", [Challenge("basic")]),
    # Commas inside quotes, escaped quotes, odd spacing and case.
    (
        'BEARER  Realm = "https://a/t?x=1,2" , Service="s\\"q", scope="repository:a:pull,push"',
        [
            Challenge(
                "bearer",
                {"realm": "https://a/t?x=1,2", "service": 's"q', "scope": "repository:a:pull,push"},
            )
        ],
    ),
    # Several challenges in one header.
    (
        'Basic realm="r1", Bearer realm="https://t/token",service="svc"',
        [
            Challenge("basic", {"realm": "r1"}),
            Challenge("bearer", {"realm": "https://t/token", "service": "svc"}),
        ],
    ),
    (
        'Negotiate, Bearer realm="https://t",error="insufficient_scope"',
        [
            Challenge("negotiate"),
            Challenge("bearer", {"realm": "https://t", "error": "insufficient_scope"}),
        ],
    ),
    (
        "Negotiate abc123==, Basic realm=x",
        [Challenge("negotiate", token68="abc123=="), Challenge("basic", {"realm": "x"})],
    ),
    ('Bearer realm=""', [Challenge("bearer", {"realm": ""})]),
    (", Basic realm=x,", [Challenge("basic", {"realm": "x"})]),
]


@pytest.mark.parametrize(("header", "expected"), CASES)
def test_parses(header: str, expected: list[Challenge]) -> None:
    assert list(parse_challenges(header)) == expected


BAD = [
    ("", "no challenge"),
    ("   ", "no challenge"),
    ('Bearer realm="https://unterminated', "unterminated quoted string"),
    ('Bearer realm="a" junk', "expected a comma"),
    ("Bearer realm=a b=c", "expected a comma"),
    ('Bearer realm="a",realm="b"', "repeated"),
    ("=foo", "expected an auth scheme"),
    ('Bearer "quoted"', "expected parameters or a token"),
    ("Bearer realm=a,,=b", "expected"),
]


@pytest.mark.parametrize(("header", "reason"), BAD)
def test_malformed_headers_raise_one_clear_registry_error(header: str, reason: str) -> None:
    with pytest.raises(MalformedChallengeError) as caught:
        parse_challenges(header)
    assert isinstance(caught.value, RegistryError)
    assert reason in str(caught.value)
    assert repr(header) in str(caught.value)


def test_bearer_is_preferred_over_basic_and_unknown_schemes_are_ignored() -> None:
    both = parse_challenges('Basic realm=x, Bearer realm="https://t"')
    assert pick_challenge(both) == Challenge("bearer", {"realm": "https://t"})
    assert pick_challenge(parse_challenges("Negotiate, Basic realm=x")) == Challenge(
        "basic", {"realm": "x"}
    )
    assert pick_challenge(parse_challenges("Negotiate abc")) is None


_token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+!#$%&'*^`|",
    min_size=1,
    max_size=8,
)
_value = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(
    st.lists(
        st.tuples(_token, st.dictionaries(_token.map(str.lower), _value, max_size=4)),
        min_size=1,
        max_size=4,
    )
)
def test_rendered_challenges_parse_back(challenges: list[tuple[str, dict[str, str]]]) -> None:
    rendered = ", ".join(
        scheme + (" " + ", ".join(f"{k}={_quote(v)}" for k, v in params.items()) if params else "")
        for scheme, params in challenges
    )
    parsed = parse_challenges(rendered)
    assert [(c.scheme, dict(c.params)) for c in parsed] == [
        (scheme.lower(), params) for scheme, params in challenges
    ]
