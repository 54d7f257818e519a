"""Checking what a caller passes against the annotations: one sentence naming the parameter.

:func:`checked_init` wraps an attrs class's ``__init__`` so that a value of
the wrong type, a positional argument or an unknown name raises
:class:`~watchtower.errors.ConfigurationError` naming ``Class.parameter``,
before any converter or validator sees it (they would raise ``TypeError``
about the insides). The annotations are read once, on the first call; a
class they name that the module imports only for type checkers (a
Protocol, often) is not checked, so no module is imported for the check.
"""

from __future__ import annotations

import builtins
import enum
import functools
import sys
import types
import typing
from collections.abc import Callable, Hashable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import attrs

from ._text import quoted
from .errors import ConfigurationError

__all__ = ["checked_init", "describe", "fits"]

C = TypeVar("C", bound=type)


def fits(value: Any, hint: Any) -> bool:
    """True when ``value`` may be given for a parameter annotated ``hint``.

    What a converter accepts counts: a string, or a tuple, list or set of
    strings, for ``tuple[str, ...]``; an enum's value for the enum. Forms it
    does not know are let through, to the converters and validators.
    """
    origin = typing.get_origin(hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, timedelta):
        return isinstance(value, hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = {m.value for m in hint}
        return isinstance(value, hint) or (isinstance(value, Hashable) and value in values)
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
    if getattr(hint, "_stands_in", False):
        # Not imported to be checked, and maybe a Protocol any class may follow.
        return True
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


class _Unresolved(dict[str, Any]):
    """The names an annotation uses that its module imports only for type checkers."""

    def __init__(self, module: dict[str, Any]) -> None:
        super().__init__()
        self.module = module

    def __missing__(self, key: str) -> Any:
        if key in self.module or hasattr(builtins, key):
            raise KeyError(key)  # found in the module's own names, or the builtins
        # A stand-in class of that name, which any value fits.
        return type(key, (), {"_stands_in": True})


def _resolved(cls: type) -> dict[str, Any]:
    module = vars(sys.modules[cls.__module__])
    names = _Unresolved(module)
    return {
        f.alias or f.name: eval(f.type, module, names) if isinstance(f.type, str) else f.type
        for f in attrs.fields(cls)
        if f.init
    }


def checked_init(cls: C) -> C:
    """``cls`` (an attrs class taking keywords only) with its arguments checked first."""
    original: Callable[..., None] = cls.__init__  # type: ignore[misc]
    hints = functools.cache(lambda: _resolved(cls))

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
