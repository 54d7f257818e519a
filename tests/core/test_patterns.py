"""Patterns from outside (tag labels, name and image patterns) run in linear time.

A table of what is accepted and how it matches, a table of what is refused and
the one sentence each road says, Python's meaning kept where both engines read
a pattern, and a hostile pattern against a long tag on the library's own path.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower import UpdateParams
from watchtower import labels as L
from watchtower._patterns import UnsupportedPatternError, compile_pattern
from watchtower.errors import ConfigurationError
from watchtower.model import Container, ImageRef
from watchtower.selection import select
from watchtower.settings import ContainerSettings
from watchtower.tags import Bound, VersionRule

LINEAR = "not supported by linear-time matching (RE2 syntax, as in Watchtower)"


def box(name: str, tag: str = "1.0.0", labels: dict[str, str] | None = None) -> Container:
    return Container(
        id="c" * 64,
        name=name,
        image=ImageRef("docker.io", "library/web", tag),
        image_id="sha256:1",
        labels=labels or {},
    )


@pytest.mark.parametrize(
    ("pattern", "text", "searched", "whole"),
    [
        (r"^1\.25\.\d+$", "1.25.3", True, True),
        (r"^1\.25\.\d+$", "1.25.3-alpine", False, False),
        ("alpine", "1.25.3-alpine", True, False),
        ("beta|rc", "2.0.0-rc1", True, False),
        (r"(?i)ALPINE", "1.0-alpine", True, False),
        ("a{,3}", "a{,3}", True, True),  # Go's reading: a literal, not Python's {0,3}
        ("(?P<n>a)b", "ab", True, True),
        # Read by RE2 (and Go) but refused by Python's re, which took them as plain names.
        ("(?<n>a)b", "ab", True, True),
        (r"\pL+", "web", True, True),
        ("[[:digit:]]+", "123", True, True),
    ],
)
def test_accepted_patterns_match_as_written(
    pattern: str, text: str, searched: bool, whole: bool
) -> None:
    """search finds the pattern anywhere, fullmatch only over the whole text."""
    compiled = compile_pattern(pattern)
    assert compiled.pattern == pattern
    assert compiled.search(text) is searched
    assert compiled.fullmatch(text) is whole
    assert VersionRule(include=pattern).include == compiled


@pytest.mark.parametrize(
    ("pattern", "sentence"),
    [
        (
            "(unclosed",
            "The tag pattern '(unclosed' is not a regular expression ('missing ): (unclosed').",
        ),
        (
            "[z-a]",
            "The tag pattern '[z-a]' is not a regular expression"
            " ('invalid character class range: z-a').",
        ),
        (
            "a**",
            "The tag pattern 'a**' is not a regular expression ('bad repetition operator: **').",
        ),
        (r"(a)\1", rf"The tag pattern '(a)\\1' uses the escape '\\1', {LINEAR}."),
        ("(?P<v>a)(?P=v)", f"The tag pattern '(?P<v>a)(?P=v)' uses the group '(?P', {LINEAR}."),
        ("1(?=\\.)", f"The tag pattern '1(?=\\\\.)' uses the group '(?=', {LINEAR}."),
        ("1(?!-rc)", f"The tag pattern '1(?!-rc)' uses the group '(?!', {LINEAR}."),
        ("(?<=v)1", f"The tag pattern '(?<=v)1' uses the group '(?<=', {LINEAR}."),
        ("(?<!v)1", f"The tag pattern '(?<!v)1' uses the group '(?<!', {LINEAR}."),
        ("(?>a+)b", f"The tag pattern '(?>a+)b' uses the group '(?>', {LINEAR}."),
        ("a++b", f"The tag pattern 'a++b' uses the repetition '++', {LINEAR}."),
        ("a*+b", f"The tag pattern 'a*+b' uses the repetition '*+', {LINEAR}."),
        ("a{1001}", f"The tag pattern 'a{{1001}}' uses the repetition '{{1001}}', {LINEAR}."),
        (r"1\Z", rf"The tag pattern '1\\Z' uses the escape '\\Z', {LINEAR}."),
        ("(?x) 1", f"The tag pattern '(?x) 1' uses the group '(?x', {LINEAR}."),
        (
            ".{1000}" * 200,
            "The tag pattern '.{1000}.{1000}.{1000}.{1000}.{1000}.{100'... (1400 characters)"
            f" is {LINEAR}: 'pattern too large - compile failed'.",
        ),
    ],
)
def test_refused_tag_patterns_are_one_sentence(pattern: str, sentence: str) -> None:
    """Broken patterns, and Python-only ones that need backtracking, are refused by name."""
    with pytest.raises(ConfigurationError) as caught:
        VersionRule(include=pattern)
    assert str(caught.value) == sentence


def test_the_python_only_kind_is_told_apart_from_the_broken_kind() -> None:
    """Python's re reads a lookahead, so it is unsupported; neither reads '(', so it is broken."""
    with pytest.raises(UnsupportedPatternError):
        compile_pattern("a(?=b)")
    with pytest.raises(ValueError) as broken:
        compile_pattern("(")
    assert type(broken.value) is ValueError


@pytest.mark.parametrize(
    ("label", "pattern", "why"),
    [
        (L.TAG_INCLUDE, "1(?!-rc)", f"uses the group '(?!', {LINEAR}"),
        (L.TAG_EXCLUDE, r"(rc)\1", rf"uses the escape '\\1', {LINEAR}"),
        (L.TAG_INCLUDE, "(", "is not a regular expression ('missing ): (')"),
    ],
)
def test_a_refused_tag_label_is_one_problem_and_no_rule(label: str, pattern: str, why: str) -> None:
    """The label road: reported once for the container, and no (wider) rule."""
    settings = ContainerSettings.read(
        box("web", labels={L.TAG_RULE: "patch", label: pattern}), UpdateParams()
    )
    assert settings.tag_rule is None
    assert settings.problems == (
        f"Container 'web' has label {label}={pattern!r}, which {why}; no tag rule is used instead.",
    )


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        (
            UpdateParams(names=("web(?!-2)",)),
            f"The names (the container names) pattern 'web(?!-2)' uses the group '(?!', {LINEAR}.",
        ),
        (
            UpdateParams(disable_names=(r"(w)\1",)),
            "The disable_names (--disable-containers) pattern "
            rf"'(w)\\1' uses the escape '\\1', {LINEAR}.",
        ),
        (
            UpdateParams(monitor_image_names=("web(?=:)",)),
            "The monitor_image_names (--monitor-image-names) pattern "
            f"'web(?=:)' uses the group '(?=', {LINEAR}.",
        ),
        (
            UpdateParams(skip_image_names=("w++",)),
            "The skip_image_names (--skip-image-names) pattern "
            f"'w++' uses the repetition '++', {LINEAR}.",
        ),
    ],
)
def test_a_python_only_name_or_image_pattern_is_refused(
    params: UpdateParams, sentence: str
) -> None:
    """Taken as a plain name it would silently stop matching what it matched before."""
    with pytest.raises(ConfigurationError) as caught:
        select([box("web")], params)
    assert str(caught.value) == sentence


def test_a_pattern_neither_engine_reads_is_still_a_plain_name() -> None:
    """As in Watchtower: a name that is no expression at all is matched as it is."""
    chosen, _ = select([box("web("), box("web")], UpdateParams(names=("web(",)))
    assert [c.name for c in chosen] == ["web("]


# Patterns both engines read the same way, over the characters of tags.
_ATOMS = st.sampled_from(["a", "b", "1", r"\.", "-", ".", "[ab]", "[0-9]", r"\d", "(a|b)", "(ab)"])
_REPEATS = st.sampled_from(["", "*", "+", "?", "{2}", "{1,2}", "*?"])
_PATTERNS = st.builds(
    lambda start, parts, end: start + "".join(parts) + end,
    st.sampled_from(["", "^"]),
    st.lists(st.tuples(_ATOMS, _REPEATS).map("".join), min_size=1, max_size=5),
    st.sampled_from(["", "$"]),
)


@given(pattern=_PATTERNS, text=st.text(alphabet="ab1.-", max_size=12))
def test_where_both_engines_read_a_pattern_they_agree(pattern: str, text: str) -> None:
    """search and fullmatch keep the meaning Python's re gave them."""
    ours, python = compile_pattern(pattern), re.compile(pattern)
    assert ours.search(text) is (python.search(text) is not None)
    assert ours.match(text) is (python.match(text) is not None)
    assert ours.fullmatch(text) is (python.fullmatch(text) is not None)


def test_a_nested_repeat_against_a_long_tag_takes_linear_time() -> None:
    """(a|a)*b, exponential for a backtracking engine, on 5000 a's: the rule, label and names."""
    hostile, suffix = "(a|a)*b", "-" + "a" * 5000
    rule = VersionRule(bound=Bound.PATCH, include=hostile)
    labelled = box("web", "1.0.0" + suffix, {L.TAG_RULE: "patch", L.TAG_EXCLUDE: hostile})
    started = time.monotonic()
    assert rule.choose("1.0.0" + suffix, ["1.0.1" + suffix]) is None
    settings = ContainerSettings.read(labelled, UpdateParams())
    assert settings.tag_rule is not None
    assert settings.tag_rule.choose("1.0.0" + suffix, ["1.0.1" + suffix]) == "1.0.1" + suffix
    assert select([box("a" * 5000)], UpdateParams(names=(hostile,))) == ([], [box("a" * 5000)])
    # The bound: far under a second; Python's re would not finish at all.
    assert time.monotonic() - started < 1.0
