"""Bad input to UpdateParams: one ConfigurationError naming the parameter, never a TypeError."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower import UpdateParams
from watchtower.errors import ConfigurationError

FIELDS = [f.name for f in attrs.fields(UpdateParams)]

# Values of every shape a caller might pass by mistake.
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    st.lists(st.one_of(st.text(max_size=4), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4), st.integers()), max_size=2),
)


@given(field=st.sampled_from(FIELDS), value=ANYTHING)
def test_any_value_of_any_field_is_taken_or_refused_in_one_sentence_naming_it(
    field: str, value: Any
) -> None:
    try:
        params = UpdateParams(**{field: value})
    except ConfigurationError as error:
        text = str(error)
        assert f"UpdateParams.{field} " in text
        assert text.endswith(".") and "\n" not in text
    else:
        # Taken: it reads back, and makes the same parameters again.
        assert attrs.evolve(params) == params


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        ({"stop_timeout": 30}, "UpdateParams.stop_timeout must be a timedelta, got int 30."),
        ({"check_concurrency": "4"}, "UpdateParams.check_concurrency must be an int, got str '4'."),
        (
            {"warn_on_head_failure": "sometimes"},
            "UpdateParams.warn_on_head_failure must be one of 'auto', 'always', 'never', "
            "got 'sometimes'.",
        ),
        ({"scope": None}, "UpdateParams.scope must be a str, got NoneType None."),
        ({"cleanup": "yes"}, "UpdateParams.cleanup must be a bool, got str 'yes'."),
        ({"keep_previous": True}, "UpdateParams.keep_previous must be an int, got bool True."),
        (
            {"names": ["web", 3]},
            "UpdateParams.names must be a str or a tuple of str, got list ['web', 3].",
        ),
        ({"held": {"web": 1}},
         "UpdateParams.held must be a mapping of str to str, got dict {'web': 1}."),
        ({"cooldown": timedelta(hours=-1)},
         "UpdateParams.cooldown must not be negative, got -1 day, 23:00:00."),
        ({"update_concurency": 2}, "UpdateParams has no parameter 'update_concurency'."),
    ],
)  # fmt: skip
def test_each_mistake_is_one_sentence(arguments: dict[str, Any], sentence: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{re.escape(sentence)}$"):
        UpdateParams(**arguments)


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="takes keyword arguments only"):
        UpdateParams(("web",))  # type: ignore[misc]


def test_what_the_converters_take_is_still_taken() -> None:
    assert UpdateParams(names="web").names == ("web",)
    assert UpdateParams(names=["a", "b"]).names == ("a", "b")
    assert dict(UpdateParams(held={"web": "1.0"}).held) == {"web": "1.0"}


@pytest.mark.parametrize(
    ("field", "flag"),
    [
        ("enable_labels", "--enable-containers-by-label"),
        ("disable_labels", "--disable-containers-by-label"),
    ],
)  # fmt: skip
def test_a_label_pair_names_the_parameter_and_its_flag(field: str, flag: str) -> None:
    from watchtower.selection import Selector

    with pytest.raises(ConfigurationError, match=rf"^{field} \({flag}\) takes key=value pairs"):
        Selector.from_params(UpdateParams(**{field: ("novalue",)}))


def test_only_narrows_to_the_names_as_written_not_as_patterns() -> None:
    from watchtower.selection import select
    from watchtower.testing import MemoryEngine, MemoryRegistry

    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    for name in ("web.1", "webx1", "db"):
        engine.run(name, registry.publish("example.org/app:1"))
    listed = engine.list_containers()
    chosen, _ = select(listed, UpdateParams(names=("db",)).only(["web.1"]))
    assert [c.name for c in chosen] == ["web.1"]  # a dot in a name is no wildcard
