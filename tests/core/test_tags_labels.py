"""The tag labels: read once into ContainerSettings.tag_rule; unreadable ones leave no rule."""

from __future__ import annotations

import pytest

from watchtower import UpdateParams
from watchtower import labels as L
from watchtower.model import Container, ImageRef
from watchtower.settings import ContainerSettings
from watchtower.tags import Bound, VersionRule


def read(labels: dict[str, str], params: UpdateParams | None = None) -> ContainerSettings:
    container = Container(
        id="c" * 64,
        name="web",
        image=ImageRef("docker.io", "library/web", "1.0.0"),
        image_id="sha256:1",
        labels=labels,
    )
    return ContainerSettings.read(container, params or UpdateParams())


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({}, None),
        ({L.TAG_RULE: "patch"}, VersionRule(bound=Bound.PATCH)),
        ({L.TAG_RULE: " Minor "}, VersionRule(bound=Bound.MINOR)),
        (
            {L.TAG_RULE: "major", L.TAG_PRERELEASE: "true"},
            VersionRule(prerelease=True, bound="major"),
        ),
        (
            {L.TAG_RULE: "minor", L.TAG_INCLUDE: r"^1\.", L.TAG_EXCLUDE: "rc"},
            VersionRule(bound=Bound.MINOR, include=r"^1\.", exclude="rc"),
        ),
        ({L.TAG_RULE: "none"}, None),
        ({L.TAG_RULE: ""}, None),
    ],
)
def test_the_labels_make_the_rule(labels: dict[str, str], expected: VersionRule | None) -> None:
    """Each label is read into the one rule, with no problem reported."""
    settings = read(labels)
    assert settings.tag_rule == expected
    assert settings.problems == ()


@pytest.mark.parametrize(
    ("labels", "culprit"),
    [
        ({L.TAG_RULE: "sideways"}, L.TAG_RULE),
        ({L.TAG_RULE: "minor", L.TAG_INCLUDE: "(unclosed"}, L.TAG_INCLUDE),
        ({L.TAG_RULE: "minor", L.TAG_EXCLUDE: "[z-a]"}, L.TAG_EXCLUDE),
        ({L.TAG_INCLUDE: "^1"}, L.TAG_INCLUDE),
    ],
)
def test_an_unreadable_tag_label_leaves_no_rule(labels: dict[str, str], culprit: str) -> None:
    """A bad bound or pattern is one problem naming the label, and no (wider) rule."""
    settings = read(labels)
    assert settings.tag_rule is None
    assert len(settings.problems) == 1
    assert culprit in settings.problems[0]
    assert "no tag rule" in settings.problems[0]


def test_an_unreadable_prerelease_label_means_no_prereleases() -> None:
    """tag-prerelease=maybe is reported and read as false."""
    settings = read({L.TAG_RULE: "patch", L.TAG_PRERELEASE: "maybe"})
    assert settings.tag_rule == VersionRule(bound=Bound.PATCH, prerelease=False)
    assert L.TAG_PRERELEASE in settings.problems[0]


def test_the_parameters_give_the_default_and_per_container_rules() -> None:
    """tag_rules by name first, then the label, then tag_rule; tag-rule=none opts out."""
    default, own = VersionRule(bound=Bound.MAJOR), VersionRule(bound=Bound.PATCH)
    assert read({}, UpdateParams(tag_rule=default)).tag_rule is default
    assert read({L.TAG_RULE: "minor"}, UpdateParams(tag_rule=default)).tag_rule == VersionRule()
    assert read({L.TAG_RULE: "none"}, UpdateParams(tag_rule=default)).tag_rule is None
    both = UpdateParams(tag_rule=default, tag_rules={"web": own})
    assert read({L.TAG_RULE: "minor"}, both).tag_rule is own
