"""Tag rules: reading tags as versions (tables) and choosing the next one (tables, properties)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower.errors import ConfigurationError
from watchtower.tags import Bound, TagRule, VersionRule, parse_tag

TAGS = ("1.0.0", "1.0.1", "1.1.0", "2.0.0", "1.0.2-rc1", "1.0.1-alpine", "1.1.0-alpine", "latest")


@pytest.mark.parametrize(
    ("tag", "prefix", "numbers", "pre", "suffix"),
    [
        ("1.25.3", "", (1, 25, 3), "", ""),
        ("v1.2", "v", (1, 2), "", ""),
        ("1.25.3-alpine", "", (1, 25, 3), "", "-alpine"),
        ("1.25.3-alpine3.19", "", (1, 25, 3), "", "-alpine3.19"),
        ("1.0.2-rc1", "", (1, 0, 2), "-rc1", ""),
        ("1.0.2rc1", "", (1, 0, 2), "rc1", ""),
        ("1.2.3-beta.2-alpine", "", (1, 2, 3), "-beta.2", "-alpine"),
        ("8-jdk", "", (8,), "", "-jdk"),
        ("2024.01.02", "", (2024, 1, 2), "", ""),
        ("1.0.0-a1", "", (1, 0, 0), "-a1", ""),
    ],
)
def test_a_version_tag_is_read_into_its_shape(
    tag: str, prefix: str, numbers: tuple[int, ...], pre: str, suffix: str
) -> None:
    """Prefix, numbers, pre-release and suffix are told apart."""
    parsed = parse_tag(tag)
    assert parsed is not None
    assert (parsed.prefix, parsed.numbers, parsed.prerelease, parsed.suffix) == (
        prefix,
        numbers,
        pre,
        suffix,
    )


@pytest.mark.parametrize("tag", ["latest", "stable", "alpine", "", "v", "1.2.3.4.5", "x1.2"])
def test_a_tag_that_is_no_version_is_not_read(tag: str) -> None:
    """Names and odd shapes are not versions: such a tag never moves."""
    assert parse_tag(tag) is None


@pytest.mark.parametrize(
    ("current", "rule", "expected"),
    [
        ("1.0.0", VersionRule(bound=Bound.PATCH), "1.0.1"),
        ("1.0.0", VersionRule(bound=Bound.MINOR), "1.1.0"),
        ("1.0.0", VersionRule(bound=Bound.MAJOR), "2.0.0"),
        ("1.0.0", VersionRule(bound=Bound.PATCH, prerelease=True), "1.0.2-rc1"),
        ("1.0.0-alpine", VersionRule(bound=Bound.PATCH), "1.0.1-alpine"),
        ("1.0.0-alpine", VersionRule(bound=Bound.MAJOR), "1.1.0-alpine"),
        ("2.0.0", VersionRule(bound=Bound.MAJOR), None),
        ("latest", VersionRule(bound=Bound.MAJOR), None),
        ("1.0.0", VersionRule(bound=Bound.MAJOR, exclude=r"^2\."), "1.1.0"),
        ("1.0.0", VersionRule(bound=Bound.MAJOR, include=r"^1\.0\."), "1.0.1"),
        ("1.0.2-rc1", VersionRule(bound=Bound.PATCH), None),
        ("1.0.1", VersionRule(bound=Bound.PATCH, prerelease=True), "1.0.2-rc1"),
    ],
)
def test_the_rule_picks_the_newest_tag_within_its_bound(
    current: str, rule: VersionRule, expected: str | None
) -> None:
    """Patch, minor and major land on the right tag of the same shape."""
    assert rule.choose(current, TAGS) == expected


def test_the_shape_is_kept() -> None:
    """1.25.3-alpine goes to 1.25.4-alpine, never to another variant; v and two parts stay."""
    tags = ["1.25.4-alpine", "1.26.0-bookworm", "1.26.0", "v1.26", "1.26", "v1.27.0", "1.27"]
    rule = VersionRule(bound=Bound.MAJOR)
    assert rule.choose("1.25.3-alpine", tags) == "1.25.4-alpine"
    assert rule.choose("1.25", tags) == "1.27"
    assert rule.choose("v1.25", tags) == "v1.26"
    assert rule.choose("1.25.3", tags) == "1.26.0"


def test_a_release_follows_its_own_release_candidate() -> None:
    """A container on 1.0.2-rc1 moves to 1.0.2 once it is out."""
    assert VersionRule(bound=Bound.PATCH).choose("1.0.2-rc1", ["1.0.2-rc1", "1.0.2"]) == "1.0.2"


def test_versions_order_numerically_not_as_text() -> None:
    """1.2.10 is newer than 1.2.9."""
    assert VersionRule(bound=Bound.PATCH).choose("1.2.8", ["1.2.10", "1.2.9"]) == "1.2.10"


@pytest.mark.parametrize(
    ("kwargs", "culprit"),
    [({"bound": "sideways"}, "sideways"), ({"include": "(unclosed"}, "(unclosed")],
)
def test_a_bad_rule_is_one_sentence_naming_it(kwargs: dict[str, str], culprit: str) -> None:
    """An unknown bound or a broken pattern is a ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match=re.escape(culprit)):
        VersionRule(**kwargs)  # type: ignore[arg-type]


def test_a_version_rule_is_a_tag_rule() -> None:
    """The built-in rule satisfies the protocol a user's rule implements."""
    assert isinstance(VersionRule(), TagRule)


# -- properties -----------------------------------------------------------------

_number = st.integers(min_value=0, max_value=30)
_pre = st.sampled_from(["", "-rc1", "-rc2", "-beta.1", "a1", "-alpha"])
_suffix = st.sampled_from(["", "-alpine", "-bookworm"])


@st.composite
def _tags(draw: st.DrawFn) -> str:
    parts = draw(st.integers(min_value=1, max_value=3))
    numbers = ".".join(str(draw(_number)) for _ in range(parts))
    return draw(st.sampled_from(["", "v"])) + numbers + draw(_pre) + draw(_suffix)


_rules = st.builds(
    VersionRule,
    bound=st.sampled_from(list(Bound)),
    prerelease=st.booleans(),
    exclude=st.sampled_from([None, "alpine", r"^1\."]),
)


@given(current=_tags(), tags=st.lists(_tags(), max_size=40), rule=_rules)
def test_a_rule_never_picks_an_older_version(
    current: str, tags: list[str], rule: VersionRule
) -> None:
    """Whatever it picks is listed, strictly newer, of the same shape and within the bound."""
    chosen = rule.choose(current, tags)
    if chosen is not None:
        old, new = parse_tag(current), parse_tag(chosen)
        assert old is not None and new is not None
        assert chosen in tags
        assert new.version > old.version
        assert new.shape == old.shape
        kept = {Bound.PATCH: 2, Bound.MINOR: 1, Bound.MAJOR: 0}[rule.bound]
        assert new.numbers[:kept] == old.numbers[:kept]


@given(current=_tags(), tags=st.lists(_tags(), max_size=40), bound=st.sampled_from(list(Bound)))
def test_a_prerelease_only_when_asked(current: str, tags: list[str], bound: Bound) -> None:
    """Without ``prerelease`` a pre-release tag is never the answer."""
    chosen = VersionRule(bound=bound).choose(current, tags)
    if chosen is not None:
        parsed = parse_tag(chosen)
        assert parsed is not None and not parsed.is_prerelease


@given(
    current=_tags(),
    tags=st.lists(_tags(), max_size=40),
    rule=_rules,
    data=st.data(),
)
def test_the_answer_does_not_depend_on_the_registrys_order(
    current: str, tags: list[str], rule: VersionRule, data: st.DataObject
) -> None:
    """The same tags listed in any order give the same answer."""
    shuffled = data.draw(st.permutations(tags))
    assert rule.choose(current, tags) == rule.choose(current, shuffled)
