"""A parsed Go template run against data, as Go's ``text/template`` runs it.

:class:`GoTemplate` parses once (:mod:`.parse`) and renders many times.
Data is plain Python (dicts are Go maps, lists and tuples are slices) or
objects with a ``go_field(name)`` method (Go structs and their methods); a
template reaches nothing else. The built-in functions are Go's (``and``,
``or``, ``not``, ``len``, ``index``, ``slice``, ``print``, ``printf``,
``println``, ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``html``,
``js``, ``urlquery``); the caller adds its own. A failure while rendering
raises :class:`GoExecError` with Go's wording.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

from .ast import (
    Action,
    Branch,
    Command,
    Field,
    Function,
    Jump,
    Literal,
    Loop,
    Node,
    Pipe,
    SubPipe,
    TemplateCall,
    Text,
    Variable,
)
from .fmt import NO_VALUE, go_type, sprint, sprintf, sprintln, time_format, to_string
from .parse import parse

__all__ = ["BUILTINS", "GoExecError", "GoTemplate", "truth"]

# Nested template calls allowed before a render gives up (Go allows far more, but
# Python's own stack is the limit here).
_MAX_DEPTH = 100


class GoExecError(Exception):
    """A Go template failed while rendering; the message is Go's."""


class _Jump(Exception):
    """``break`` or ``continue``, unwinding to the nearest range."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def truth(value: object) -> bool:
    """Go's truth: false, 0, nil, and empty strings, slices and maps are false."""
    if value is None or value is NO_VALUE:
        return False
    if isinstance(value, (bool, int, float, str, Mapping, list, tuple)):
        return bool(value)
    return True


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _basic(value: object, name: str) -> object:
    if value is NO_VALUE:
        value = None
    if value is None or isinstance(value, (bool, int, float, str)):
        return str.__str__(value) if isinstance(value, str) else value
    raise GoExecError(f"error calling {name}: invalid type for comparison")


def _eq(first: object, *others: object) -> bool:
    if not others:
        raise GoExecError("wrong number of args for eq: want at least 2 got 1")
    a = _basic(first, "eq")
    for other in others:
        b = _basic(other, "eq")
        if a is None or b is None:
            if a is b:
                return True
            continue
        if _number(a) and _number(b):
            if a == b:
                return True
        elif type(a) is not type(b):
            raise GoExecError("error calling eq: incompatible types for comparison")
        elif a == b:
            return True
    return False


def _less(name: str, a: object, b: object) -> bool:
    a, b = _basic(a, name), _basic(b, name)
    if _number(a) and _number(b):
        return bool(a < b)  # type: ignore[operator]
    if isinstance(a, str) and isinstance(b, str):
        return a < b
    raise GoExecError(f"error calling {name}: incompatible types for comparison")


def _len(value: object) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (Mapping, list, tuple)):
        return len(value)
    raise GoExecError(f"error calling len: len of type {go_type(value)}")


def _index(item: object, *indexes: object) -> object:
    for key in indexes:
        if item is None or item is NO_VALUE:
            raise GoExecError("error calling index: index of untyped nil")
        if isinstance(item, Mapping):
            # A missing key is the map's zero value, which Go prints ``<no value>``.
            item = item.get(key, NO_VALUE)
        elif isinstance(item, (list, tuple, str)):
            if not _number(key) or isinstance(key, float):
                raise GoExecError(f"error calling index: cannot index slice/array with {key!r}")
            assert isinstance(key, int)
            if not 0 <= key < len(item):
                raise GoExecError(f"error calling index: index out of range: {key}")
            item = item[key] if not isinstance(item, str) else item.encode()[key]
        else:
            raise GoExecError(f"error calling index: can't index item of type {go_type(item)}")
    return item


def _slice(item: object, *indexes: object) -> object:
    if not isinstance(item, (str, list, tuple)):
        raise GoExecError(f"error calling slice: can't slice item of type {go_type(item)}")
    if len(indexes) > 3 or any(not isinstance(i, int) for i in indexes):
        raise GoExecError("error calling slice: bad slice indexes")
    bounds = [int(i) for i in indexes]  # type: ignore[call-overload]
    start = bounds[0] if bounds else 0
    end = bounds[1] if len(bounds) > 1 else len(item)
    if not 0 <= start <= end <= len(item):
        raise GoExecError(f"error calling slice: index out of range: {start}:{end}")
    return item[start:end]


def _js(*args: object) -> str:
    text = sprint(*args)
    table = {"\\": "\\\\", "'": "\\'", '"': "\\u0022", "<": "\\u003C", ">": "\\u003E"}
    table |= {"&": "\\u0026", "=": "\\u003D", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(table.get(ch, ch) for ch in text)


def _html(*args: object) -> str:
    text = sprint(*args).replace("\0", "\ufffd")
    return html.escape(text, quote=False).replace("'", "&#39;").replace('"', "&#34;")


BUILTINS: Mapping[str, Callable[..., Any]] = {
    "not": lambda value: not truth(value),
    "len": _len,
    "index": _index,
    "slice": _slice,
    "print": sprint,
    "println": sprintln,
    "printf": sprintf,
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": lambda a, b: _less("lt", a, b),
    "le": lambda a, b: _less("le", a, b) or _eq(a, b),
    "gt": lambda a, b: not (_less("gt", a, b) or _eq(a, b)),
    "ge": lambda a, b: not _less("ge", a, b),
    "html": _html,
    "js": _js,
    "urlquery": lambda *args: quote_plus(sprint(*args)),
}
"""Go's built-in template functions, but ``and``, ``or`` and ``call`` (handled by the runner)."""

_LAZY = ("and", "or")


_TIME_FIELDS: Mapping[str, Callable[[datetime], object]] = {
    "Unix": lambda t: int(t.timestamp()),
    "UTC": lambda t: t.astimezone(timezone.utc),
    "String": to_string,
    "Year": lambda t: t.year,
    "Day": lambda t: t.day,
    "Hour": lambda t: t.hour,
    "Minute": lambda t: t.minute,
    "Second": lambda t: t.second,
}


def _field(value: object, name: str) -> object:
    if value is None or value is NO_VALUE:
        raise GoExecError(f"nil pointer evaluating interface {{}}.{name}")
    if isinstance(value, Mapping):
        return value.get(name, NO_VALUE)
    if isinstance(value, datetime) and name in _TIME_FIELDS:
        return _TIME_FIELDS[name](value)
    lookup = getattr(value, "go_field", None)
    if lookup is not None:
        try:
            return lookup(name)
        except KeyError:
            pass
    raise GoExecError(f"can't evaluate field {name} in type {go_type(value)}")


def _without_last(operand: Field | Variable | SubPipe) -> Field | Variable | SubPipe:
    if isinstance(operand, Field):
        return Field(operand.chain[:-1])
    if isinstance(operand, Variable):
        return Variable(operand.name, operand.chain[:-1])
    return SubPipe(operand.pipe, operand.chain[:-1])


def _method(receiver: object, name: str, args: list[object]) -> object:
    if isinstance(receiver, datetime) and name == "Format" and len(args) == 1:
        if not isinstance(args[0], str):
            raise GoExecError("wrong type for value; expected string")
        return time_format(receiver, args[0])
    raise GoExecError(f"can't give argument to non-function {name} of type {go_type(receiver)}")


class _Run:
    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]],
        defined: Any,
        max_chars: int | None,
        deadline: float | None,
    ) -> None:
        self.functions = functions
        self.defined = defined
        self.out: list[str] = []
        self.depth = 0
        self.size = 0
        self.max_chars = max_chars
        self.deadline = deadline

    def emit(self, text: str) -> None:
        self.size += len(text)
        if self.max_chars is not None and self.size > self.max_chars:
            raise GoExecError(f"renders more than {self.max_chars} characters")
        self.out.append(text)

    def nodes(self, nodes: Sequence[Node], dot: object, scope: list[list[Any]]) -> None:
        mark = len(scope)
        try:
            for node in nodes:
                self.node(node, dot, scope)
        finally:
            del scope[mark:]

    def node(self, node: Node, dot: object, scope: list[list[Any]]) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise GoExecError("takes too long to render")
        if isinstance(node, Text):
            self.emit(node.text)
        elif isinstance(node, Action):
            value = self.pipe(node.pipe, dot, scope)
            if not node.pipe.decl:
                # Go prints a nil interface value as ``<no value>``, not fmt's ``<nil>``.
                self.emit("<no value>" if value is None else to_string(value))
        elif isinstance(node, Branch):
            mark = len(scope)
            value = self.pipe(node.pipe, dot, scope)
            try:
                if truth(value):
                    self.nodes(node.body, value if node.kind == "with" else dot, scope)
                else:
                    self.nodes(node.other, dot, scope)
            finally:
                del scope[mark:]
        elif isinstance(node, Loop):
            self.loop(node, dot, scope)
        elif isinstance(node, TemplateCall):
            self.call_template(node, dot, scope)
        else:
            assert isinstance(node, Jump)
            raise _Jump(node.kind)

    def loop(self, node: Loop, dot: object, scope: list[list[Any]]) -> None:
        mark = len(scope)
        value = self.pipe(node.pipe, dot, scope, declare=False)
        if value is None or value is NO_VALUE:
            pairs: list[tuple[object, object]] = []
        elif isinstance(value, Mapping):
            pairs = [(key, value[key]) for key in sorted(value, key=str)]
        elif isinstance(value, (list, tuple)):
            pairs = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            pairs = [(i, i) for i in range(value)]
        else:
            raise GoExecError(f"range can't iterate over {to_string(value)}")
        try:
            for key, element in pairs:
                names = node.pipe.decl
                if len(names) == 1:
                    self.set(scope, names[0], element, node.pipe.assign)
                elif len(names) == 2:
                    self.set(scope, names[0], key, node.pipe.assign)
                    self.set(scope, names[1], element, node.pipe.assign)
                try:
                    self.nodes(node.body, element, scope)
                except _Jump as jump:
                    if jump.kind == "break":
                        break
            if not pairs:
                self.nodes(node.other, dot, scope)
        finally:
            del scope[mark:]

    def call_template(self, node: TemplateCall, dot: object, scope: list[list[Any]]) -> None:
        if node.name not in self.defined:
            raise GoExecError(f'no such template "{node.name}"')
        value = self.pipe(node.pipe, dot, scope) if node.pipe is not None else None
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise GoExecError("exceeded maximum template depth")
        try:
            self.nodes(self.defined[node.name], value, [["$", value]])
        finally:
            self.depth -= 1

    @staticmethod
    def set(scope: list[list[Any]], name: str, value: object, assign: bool) -> None:
        if assign:
            for slot in reversed(scope):
                if slot[0] == name:
                    slot[1] = value
                    return
        scope.append([name, value])

    def pipe(
        self, pipe: Pipe, dot: object, scope: list[list[Any]], *, declare: bool = True
    ) -> object:
        value: object = None
        for i, command in enumerate(pipe.cmds):
            value = self.command(command, dot, scope, (value,) if i else ())
        if declare:
            for name in pipe.decl:
                self.set(scope, name, value, pipe.assign)
        return value

    def command(
        self, command: Command, dot: object, scope: list[list[Any]], piped: tuple[object, ...]
    ) -> object:
        head, rest = command.args[0], command.args[1:]
        if isinstance(head, Function):
            if head.name in _LAZY:
                return self.lazy(head.name, [*rest], dot, scope, piped)
            args = [self.operand(arg, dot, scope) for arg in rest] + list(piped)
            try:
                return self.functions[head.name](*args)
            except GoExecError:
                raise
            except TypeError:
                raise GoExecError(
                    f"wrong number of args for {head.name}: got {len(args)}"
                ) from None
            except (ValueError, OverflowError, LookupError) as exc:
                raise GoExecError(f"error calling {head.name}: {exc}") from exc
        if rest or piped:
            chain = getattr(head, "chain", ())
            if not chain or not isinstance(head, (Field, Variable, SubPipe)):
                raise GoExecError(f"can't give argument to non-function {self.describe(head)}")
            # ``.Time.Format "2006"``: the last name of the chain is a method with arguments.
            receiver = self.operand(_without_last(head), dot, scope)
            args = [self.operand(arg, dot, scope) for arg in rest] + list(piped)
            return _method(receiver, chain[-1], args)
        return self.operand(head, dot, scope)

    def lazy(
        self,
        name: str,
        rest: list[Any],
        dot: object,
        scope: list[list[Any]],
        piped: tuple[object, ...],
    ) -> object:
        if len(rest) + len(piped) < 1:
            raise GoExecError(f"wrong number of args for {name}: want at least 1 got 0")
        value: object = None
        for arg in rest:
            value = self.operand(arg, dot, scope)
            if truth(value) == (name == "or"):
                return value
        # The piped value, when there is one, is the last argument.
        return piped[-1] if piped else value

    @staticmethod
    def describe(operand: object) -> str:
        if isinstance(operand, Field):
            return "." + ".".join(operand.chain)
        if isinstance(operand, Variable):
            return ".".join((operand.name, *operand.chain))
        if isinstance(operand, Literal):
            return to_string(operand.value)
        return "(pipeline)"

    def operand(self, operand: object, dot: object, scope: list[list[Any]]) -> object:
        chain: tuple[str, ...] = ()
        value: object
        if isinstance(operand, Literal):
            return operand.value
        if isinstance(operand, Field):
            value, chain = dot, operand.chain
        elif isinstance(operand, Variable):
            for name, found in reversed(scope):
                if name == operand.name:
                    value = found
                    break
            else:
                raise GoExecError(f"undefined variable: {operand.name}")
            chain = operand.chain
        elif isinstance(operand, SubPipe):
            value, chain = self.pipe(operand.pipe, dot, scope, declare=False), operand.chain
        else:
            assert isinstance(operand, Function)
            return self.command(Command((operand,)), dot, scope, ())
        for name in chain:
            value = _field(value, name)
        return value


class GoTemplate:
    """A Go text/template, parsed once.

    Args:
        source: The template.
        functions: Functions besides Go's built-ins, by name.

    Raises:
        GoSyntaxError: ``source`` is not a Go template.
    """

    def __init__(self, source: str, functions: Mapping[str, Callable[..., Any]] = {}) -> None:
        self.functions: Mapping[str, Callable[..., Any]] = {**BUILTINS, **functions}
        self.tree = parse(source, {*self.functions, *_LAZY})

    def render(
        self, data: object, *, max_chars: int | None = None, deadline: float | None = None
    ) -> str:
        """The text for ``data`` (the template's dot and ``$``).

        Args:
            data: The template's dot.
            max_chars: The longest text it may render.
            deadline: The :func:`time.monotonic` time by which it must be done,
                checked at each node.

        Raises:
            GoExecError: The template failed on this data, or passed a bound.
        """
        run = _Run(self.functions, self.tree.defined, max_chars, deadline)
        try:
            run.nodes(self.tree.body, data, [["$", data]])
        except RecursionError:
            raise GoExecError("exceeded maximum template depth") from None
        return "".join(run.out)
