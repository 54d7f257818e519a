"""Which containers are in scope: a table over Watchtower's filters."""

from __future__ import annotations

import pytest

from watchtower import UpdateParams
from watchtower import labels as L
from watchtower.errors import ConfigurationError
from watchtower.model import Container, ImageRef
from watchtower.selection import parse_label_pairs, select


def box(name: str, image: str = "web", labels: dict[str, str] | None = None) -> Container:
    ref = ImageRef("docker.io", image if "/" in image else f"library/{image}", "latest")
    return Container(id=name * 4, name=name, image=ref, image_id="sha256:1", labels=labels or {})


FLEET = [
    box("web"),
    box("web-2"),
    box("db", "postgres"),
    box("off", labels={L.ENABLE: "false"}),
    box("on", labels={L.ENABLE: "true"}),
    box("scoped", labels={L.SCOPE: "blue"}),
    box("none-scope", labels={L.SCOPE: "none"}),
    box("team", "acme/api", labels={"team": "a", "tier": "front"}),
]
ALL_UNSCOPED = ["web", "web-2", "db", "on", "none-scope", "team"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (UpdateParams(), ALL_UNSCOPED),
        (UpdateParams(names=("web",)), ["web"]),
        (UpdateParams(names=("/web",)), ["web"]),
        (UpdateParams(names=("web.*",)), ["web", "web-2"]),
        (UpdateParams(names=("eb",)), []),  # a pattern matches the whole name
        (UpdateParams(names=("web[",)), []),  # not an expression: taken literally
        (UpdateParams(disable_names=("web", "db")), ["web-2", "on", "none-scope", "team"]),
        (UpdateParams(disable_names=("w.*",)), ["db", "on", "none-scope", "team"]),
        (UpdateParams(label_enable=True), ["on"]),
        (UpdateParams(names=("off",)), []),  # the disable label always wins
        (UpdateParams(scope="blue"), ["scoped"]),
        (UpdateParams(scope="none"), ALL_UNSCOPED),
        (UpdateParams(monitor_image_names=("postgres",)), ["db"]),
        (UpdateParams(monitor_image_names=("acme/.*",)), ["team"]),
        (UpdateParams(monitor_image_names=("postgres:latest",)), ["db"]),
        (UpdateParams(skip_image_names=("web",)), ["db", "team"]),
        (UpdateParams(enable_labels=("team=a",)), ["team"]),
        (UpdateParams(enable_labels=("team=b",)), []),
        (UpdateParams(enable_labels=("tier=",)), ["team"]),  # empty value: any value
        (UpdateParams(disable_labels=("team=",)), ALL_UNSCOPED[:-1]),
    ],
)
def test_selection_table(params: UpdateParams, expected: list[str]) -> None:
    chosen, left_out = select(FLEET, params)
    assert [c.name for c in chosen] == expected
    assert len(chosen) + len(left_out) == len(FLEET)


def test_unreadable_enable_label_counts_as_absent() -> None:
    typo = [box("typo", labels={L.ENABLE: "ture"})]
    assert [c.name for c in select(typo, UpdateParams())[0]] == ["typo"]
    assert select(typo, UpdateParams(label_enable=True))[0] == []


def test_empty_enable_label_means_false() -> None:
    assert select([box("empty", labels={L.ENABLE: ""})], UpdateParams())[0] == []


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (["a=1", " b = 2 ", ""], {"a": "1", "b": "2"}),
        (["a="], {"a": ""}),
        (["a=b=c"], {"a": "b=c"}),
    ],
)
def test_label_pairs(pairs: list[str], expected: dict[str, str]) -> None:
    assert parse_label_pairs(pairs, "opt") == expected


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("novalue", "opt takes key=value pairs, and 'novalue' has no '='."),
        ("=x", "opt has a pair with an empty key: '=x'."),
    ],
)
def test_bad_label_pairs(pair: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_label_pairs([pair], "opt")
    assert str(info.value) == message
