"""The tree of a Go text/template: its nodes as values, and the error of a bad source.

:mod:`.parse` builds it from source; :mod:`.exec` runs it.
"""

from __future__ import annotations

from typing import TypeAlias

from attrs import frozen

__all__ = [
    "Action",
    "Branch",
    "Command",
    "Field",
    "Function",
    "GoSyntaxError",
    "Jump",
    "Literal",
    "Loop",
    "Node",
    "Operand",
    "Parsed",
    "Pipe",
    "SubPipe",
    "TemplateCall",
    "Text",
    "Variable",
]


class GoSyntaxError(ValueError):
    """The source is not a Go template; the message says why and on which line."""


# --- the tree -----------------------------------------------------------------------------


@frozen
class Literal:
    """A constant: string, number, bool or nil (None)."""

    value: object


@frozen
class Field:
    """``.A.B`` on dot; ``chain`` empty is dot itself."""

    chain: tuple[str, ...]


@frozen
class Variable:
    """``$name.A.B``; ``$`` alone is the data the template was given."""

    name: str
    chain: tuple[str, ...] = ()


@frozen
class Function:
    """A function name in operand position."""

    name: str


@frozen
class SubPipe:
    """``(pipeline).A.B``."""

    pipe: Pipe
    chain: tuple[str, ...] = ()


Operand: TypeAlias = Literal | Field | Variable | Function | SubPipe


@frozen
class Command:
    """One stage of a pipeline: operands, the first of which may be a function."""

    args: tuple[Operand, ...]


@frozen
class Pipe:
    """``$a, $b := cmd | cmd``; ``assign`` is ``=`` rather than ``:=``."""

    decl: tuple[str, ...]
    cmds: tuple[Command, ...]
    assign: bool = False


@frozen
class Text:
    """Text copied as it is."""

    text: str


@frozen
class Action:
    """``{{pipeline}}``: printed unless it declares variables."""

    pipe: Pipe


@frozen
class Branch:
    """``if`` or ``with``: ``body`` when the pipe's value is true, else ``other``."""

    kind: str
    pipe: Pipe
    body: tuple[Node, ...]
    other: tuple[Node, ...]


@frozen
class Loop:
    """``range``: ``body`` per element, ``other`` when there is none."""

    pipe: Pipe
    body: tuple[Node, ...]
    other: tuple[Node, ...]


@frozen
class TemplateCall:
    """``{{template "name" pipeline}}``."""

    name: str
    pipe: Pipe | None


@frozen
class Jump:
    """``{{break}}`` or ``{{continue}}``."""

    kind: str


Node: TypeAlias = Text | Action | Branch | Loop | TemplateCall | Jump


@frozen
class Parsed:
    """A parsed template: its main body and the templates it defines."""

    body: tuple[Node, ...]
    defined: dict[str, tuple[Node, ...]]
