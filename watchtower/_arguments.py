"""Checking what a caller passes against the annotations: one sentence naming the parameter.

:func:`checked_init` wraps an attrs class's ``__init__`` so that a value of
the wrong type, a positional argument or an unknown name raises
:class:`~watchtower.errors.ConfigurationError` naming ``Class.parameter``,
before any converter or validator sees it (they would raise ``TypeError``
about the insides). The annotations are read once, on the first call.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import attrs

from ._text import quoted
from .errors import ConfigurationError

__all__ = ["checked_init", "describe", "fits"]

C = TypeVar("C", bound=type)


def fits(value: Any, hint: Any) -> bool:
    """True when ``value`` may be given for a parameter annotated ``hint``.

    What a converter accepts counts: a string or any iterable of strings for
    ``tuple[str, ...]``, an enum's value for the enum. Forms it does not know
    are let through, to the converters and validators.
    """
    origin = typing.get_origin(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, timedelta):
        return isinstance(value, hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return isinstance(value, hint) or value in {m.value for m in hint}
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(value, str):
            return item is str
        return isinstance(value, (tuple, list, set, frozenset)) and all(
            fits(v, item) for v in value
        )
    if origin in (Mapping, dict) or hint is Mapping:
        key, item = typing.get_args(hint) or (Any, Any)
        return isinstance(value, Mapping) and all(
            fits(k, key) and fits(v, item) for k, v in value.items()
        )
    if isinstance(hint, type) and hint is not object:
        return isinstance(value, hint)
    return True


def describe(hint: Any) -> str:
    """``hint`` as a sentence names it: ``a timedelta``, ``a tuple of str``, ``a str or None``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return "None"
    if origin is tuple:
        return f"a str or a tuple of {typing.get_args(hint)[0].__name__}"
    if origin in (Mapping, dict) or hint is Mapping:
        key, item = (getattr(a, "__name__", str(a)) for a in typing.get_args(hint))
        return f"a mapping of {key} to {item}"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in hint)
    name = getattr(hint, "__name__", str(hint))
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


def _shown(value: Any) -> str:
    text = quoted(value) if isinstance(value, str) else repr(value)
    return f"{type(value).__name__} {text[:60]}"


def checked_init(names: Callable[[], dict[str, Any]] = dict) -> Callable[[C], C]:
    """A decorator: an attrs class taking keywords only, with its arguments checked first.

    ``names`` gives what its annotations name but its module imports only
    for type checking (called once, on the first check).
    """
    return functools.partial(_checked, names=names)


def _checked(cls: C, names: Callable[[], dict[str, Any]]) -> C:
    original: Callable[..., None] = cls.__init__  # type: ignore[misc]

    @functools.cache
    def hints() -> dict[str, Any]:
        resolved = typing.get_type_hints(cls, localns=names())
        return {f.alias or f.name: resolved[f.name] for f in attrs.fields(cls) if f.init}

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        name = cls.__name__
        if args:
            raise ConfigurationError(f"{name} takes keyword arguments only, got {len(args)} more.")
        known = hints()
        for key, value in kwargs.items():
            if key not in known:
                raise ConfigurationError(f"{name} has no parameter {key!r}.")
            if not fits(value, known[key]):
                raise ConfigurationError(
                    f"{name}.{key} must be {describe(known[key])}, got {_shown(value)}."
                )
        original(self, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]
    return cls
