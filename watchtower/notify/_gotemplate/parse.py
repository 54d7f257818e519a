"""Go text/template source parsed into a tree, as Go's ``text/template/parse`` reads it.

Watchtower's users write notification templates in Go's template language
(``{{range .}}{{.Message}}{{end}}``). :func:`parse` reads that language:
text and actions, ``{{-``/``-}}`` trimming, comments, ``if``/``else if``/
``range``/``with``/``else with``/``define``/``template``/``block``/``break``/
``continue``, variables (``$x :=``, ``$i, $e :=``, ``$x =``), pipelines,
parenthesised pipelines, field chains and literals. Like Go, it refuses a
function it does not know and an undefined variable when the template is
parsed, not when it runs; :class:`GoSyntaxError` says where.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from attrs import frozen

from .ast import (
    Action,
    Branch,
    Command,
    Field,
    Function,
    GoSyntaxError,
    Jump,
    Literal,
    Loop,
    Node,
    Operand,
    Parsed,
    Pipe,
    SubPipe,
    TemplateCall,
    Text,
    Variable,
)

__all__ = ["GoSyntaxError", "Parsed", "parse"]


# --- the lexer ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.[^']*)')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+
        |(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?))
  | (?P<field>(?:\.[A-Za-z_]\w*)+)
  | (?P<dot>\.)
  | (?P<var>\$\w*(?:\.[A-Za-z_]\w*)*)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<punct>[|(),])
    """,
    re.VERBOSE,
)

_KEYWORDS = frozenset(
    {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}
)


@frozen
class _Token:
    kind: str
    text: str
    spaced: bool  # whitespace came before it


def _lex_action(source: str, start: int, line: int) -> tuple[list[_Token], int, bool]:
    """The tokens of one action from ``start`` (after ``{{``), where it ends, and its right trim."""
    tokens: list[_Token] = []
    pos, spaced = start, True
    while True:
        if source.startswith("}}", pos):
            return tokens, pos + 2, False
        if source.startswith(" -}}", pos) or source.startswith("\t-}}", pos):
            return tokens, pos + 4, True
        if source.startswith("\n-}}", pos) or source.startswith("\r-}}", pos):
            return tokens, pos + 4, True
        match = _TOKEN.match(source, pos)
        if match is None:
            if pos >= len(source):
                raise GoSyntaxError(f"line {line}: unclosed action")
            raise GoSyntaxError(f"line {line}: unexpected {source[pos]!r} in action")
        kind = match.lastgroup or ""
        if kind == "space":
            spaced = True
        else:
            tokens.append(_Token(kind, match.group(), spaced))
            spaced = False
        pos = match.end()


_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _lex(source: str) -> list[tuple[str, object, int]]:
    """Text and actions in order: ``("text", str, line)`` and ``("action", tokens, line)``."""
    items: list[tuple[str, object, int]] = []
    pos, trim_next = 0, False
    while pos <= len(source):
        found = source.find("{{", pos)
        text = source[pos:] if found < 0 else source[pos:found]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        line = source.count("\n", 0, pos) + 1
        if found < 0:
            if text:
                items.append(("text", text, line))
            break
        inner = found + 2
        if (
            source.startswith("- ", inner)
            or source.startswith("-\t", inner)
            or (source.startswith("-\n", inner) or source.startswith("-\r", inner))
        ):
            text = text.rstrip(" \t\r\n")
            inner += 2
        if text:
            items.append(("text", text, line))
        line = source.count("\n", 0, inner) + 1
        comment = _COMMENT.match(source, inner)
        if comment is not None:
            end = comment.end()
            if source.startswith("}}", end):
                pos, trim_next = end + 2, False
            elif source.startswith(" -}}", end):
                pos, trim_next = end + 4, True
            else:
                raise GoSyntaxError(f"line {line}: comment ends before closing delimiter")
            continue
        if source.startswith("/*", inner):
            raise GoSyntaxError(f"line {line}: unclosed comment")
        tokens, pos, trim_next = _lex_action(source, inner, line)
        items.append(("action", tokens, line))
    return items


# --- literals -------------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a"}
_ESCAPES |= {"b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unquote(body: str, line: int) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = body[i + 1 : i + 2]
        if code in ("x", "u", "U"):
            size = {"x": 2, "u": 4, "U": 8}[code]
            digits = body[i + 2 : i + 2 + size]
            if len(digits) != size or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise GoSyntaxError(f"line {line}: bad escape in string")
            out.append(chr(int(digits, 16)))
            i += 2 + size
        elif code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        else:
            raise GoSyntaxError(f"line {line}: unknown escape \\{code} in string")
    return "".join(out)


def _number(text: str, line: int) -> int | float:
    clean = text.replace("_", "")
    try:
        if clean.lstrip("+-")[:2].lower() in ("0x", "0o", "0b"):
            return int(clean, 0)
        if any(c in clean for c in ".eE"):
            return float(clean)
        return int(clean)
    except ValueError:
        raise GoSyntaxError(f"line {line}: bad number syntax {text!r}") from None


# --- the parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str, functions: Collection[str]) -> None:
        self.items = _lex(source)
        self.at = 0
        self.functions = functions
        self.defined: dict[str, tuple[Node, ...]] = {}
        self.scopes: list[set[str]] = [{"$"}]
        self.loops = 0

    # A list of nodes up to one of ``stops`` (``end``, ``else``); returns the stop's tokens.
    def nodes(self, stops: Collection[str]) -> tuple[tuple[Node, ...], str, list[_Token], int]:
        nodes: list[Node] = []
        while self.at < len(self.items):
            kind, value, line = self.items[self.at]
            self.at += 1
            if kind == "text":
                assert isinstance(value, str)
                nodes.append(Text(value))
                continue
            assert isinstance(value, list)
            tokens: list[_Token] = value
            if not tokens:
                raise GoSyntaxError(f"line {line}: missing value for command")
            head = tokens[0]
            word = head.text if head.kind == "word" and head.text in _KEYWORDS else ""
            if word in ("end", "else"):
                if word not in stops:
                    raise GoSyntaxError(f"line {line}: unexpected {{{{{word}}}}}")
                return tuple(nodes), word, tokens[1:], line
            if word:
                node = self.keyword(word, tokens[1:], line)
                if node is not None:
                    nodes.append(node)
            else:
                nodes.append(Action(self.pipe(tokens, line, declare=True)))
        if stops:
            raise GoSyntaxError(f"line {self.items[-1][2] if self.items else 1}: unexpected EOF")
        return tuple(nodes), "", [], 0

    def keyword(self, word: str, rest: list[_Token], line: int) -> Node | None:
        if word in ("break", "continue"):
            if rest:
                raise GoSyntaxError(f"line {line}: unexpected {rest[0].text!r} in {word}")
            if not self.loops:
                raise GoSyntaxError(f"line {line}: {{{{{word}}}}} outside {{{{range}}}}")
            return Jump(word)
        if word == "template":
            name, pipe = self.template_head(rest, line, word)
            return TemplateCall(name, pipe)
        if word in ("define", "block"):
            name, pipe = self.template_head(rest, line, word)
            if word == "define" and pipe is not None:
                raise GoSyntaxError(f"line {line}: unexpected pipeline in define")
            saved, self.scopes, loops = self.scopes, [{"$"}], self.loops
            self.loops = 0
            body, _, after, end_line = self.nodes(("end",))
            self.scopes, self.loops = saved, loops
            if after:
                raise GoSyntaxError(f"line {end_line}: unexpected {after[0].text!r} in end")
            self.defined[name] = body
            return TemplateCall(name, pipe) if word == "block" else None
        return self.control(word, rest, line)

    def template_head(self, rest: list[_Token], line: int, word: str) -> tuple[str, Pipe | None]:
        if not rest or rest[0].kind not in ("string", "raw"):
            raise GoSyntaxError(f"line {line}: {word} needs a quoted name")
        token = rest[0]
        name = _unquote(token.text[1:-1], line) if token.kind == "string" else token.text[1:-1]
        return name, (self.pipe(rest[1:], line, declare=False) if rest[1:] else None)

    def control(self, word: str, rest: list[_Token], line: int) -> Node:
        self.scopes.append(set())
        pipe = self.pipe(rest, line, declare=True, in_range=word == "range")
        if word == "range":
            self.loops += 1
        body, stop, after, stop_line = self.nodes(("end", "else"))
        if word == "range":
            self.loops -= 1
        other: tuple[Node, ...] = ()
        if stop == "else":
            if after and word != "range" and after[0].kind == "word" and after[0].text == word:
                # ``else if`` / ``else with``: the rest of the chain is a nested branch.
                other = (self.control(word, after[1:], stop_line),)
                self.scopes.pop()
                return Branch(word, pipe, body, other)
            if after:
                raise GoSyntaxError(f"line {stop_line}: unexpected {after[0].text!r} after else")
            other, _, after, stop_line = self.nodes(("end",))
        self.scopes.pop()
        if after:
            raise GoSyntaxError(f"line {stop_line}: unexpected {after[0].text!r} in end")
        if word == "range":
            return Loop(pipe, body, other)
        return Branch(word, pipe, body, other)

    # --- pipelines ---

    def pipe(
        self, tokens: list[_Token], line: int, *, declare: bool, in_range: bool = False
    ) -> Pipe:
        decl: tuple[str, ...] = ()
        assign = False
        names = self.declared(tokens, in_range)
        if names is not None and declare:
            decl, assign = names, tokens[len(names) * 2 - 1].kind == "assign"
            tokens = tokens[len(names) * 2 :]
            if assign:
                for name in decl:
                    self.check_variable(name, line)
        cmds: list[Command] = []
        args: list[Operand] = []
        pos = 0
        while pos < len(tokens):
            token = tokens[pos]
            if token.kind == "punct" and token.text == "|":
                if not args:
                    raise GoSyntaxError(f"line {line}: missing command before |")
                cmds.append(Command(tuple(args)))
                args = []
                pos += 1
                continue
            operand, pos = self.operand(tokens, pos, line)
            args.append(operand)
        if args:
            cmds.append(Command(tuple(args)))
        elif cmds:
            raise GoSyntaxError(f"line {line}: missing command after |")
        if not cmds:
            raise GoSyntaxError(f"line {line}: missing value for command")
        for later in cmds[1:]:
            if isinstance(later.args[0], Literal):
                raise GoSyntaxError(f"line {line}: non executable command in pipeline stage")
        if decl and not assign:
            self.scopes[-1].update(decl)
        return Pipe(decl, tuple(cmds), assign)

    def declared(self, tokens: list[_Token], in_range: bool) -> tuple[str, ...] | None:
        """The variables ``$a :=`` / ``$a, $b :=`` / ``$a =`` declare, if the tokens start so."""
        if len(tokens) >= 2 and tokens[0].kind == "var" and tokens[1].kind in ("declare", "assign"):
            return (tokens[0].text,)
        if (
            in_range
            and len(tokens) >= 4
            and tokens[0].kind == "var"
            and tokens[1].text == ","
            and tokens[2].kind == "var"
            and tokens[3].kind in ("declare", "assign")
        ):
            return (tokens[0].text, tokens[2].text)
        return None

    def check_variable(self, name: str, line: int) -> None:
        if not any(name in scope for scope in self.scopes):
            raise GoSyntaxError(f"line {line}: undefined variable {name!r}")

    def operand(self, tokens: list[_Token], pos: int, line: int) -> tuple[Operand, int]:
        token = tokens[pos]
        pos += 1
        operand: Operand
        if token.kind == "punct" and token.text == "(":
            depth, end = 1, pos
            while end < len(tokens) and depth:
                if tokens[end].kind == "punct":
                    depth += {"(": 1, ")": -1}.get(tokens[end].text, 0)
                end += 1
            if depth:
                raise GoSyntaxError(f"line {line}: unclosed left paren")
            operand = SubPipe(self.pipe(tokens[pos : end - 1], line, declare=False))
            pos = end
        elif token.kind == "field":
            operand = Field(tuple(token.text[1:].split(".")))
        elif token.kind == "dot":
            operand = Field(())
        elif token.kind == "var":
            name, *chain = token.text.split(".")
            self.check_variable(name, line)
            operand = Variable(name, tuple(chain))
        elif token.kind == "word":
            if token.text in ("true", "false"):
                operand = Literal(token.text == "true")
            elif token.text == "nil":
                operand = Literal(None)
            elif token.text in _KEYWORDS:
                raise GoSyntaxError(f"line {line}: unexpected {token.text!r} in command")
            elif token.text not in self.functions:
                raise GoSyntaxError(f"line {line}: function {token.text!r} not defined")
            else:
                operand = Function(token.text)
        elif token.kind == "string":
            operand = Literal(_unquote(token.text[1:-1], line))
        elif token.kind == "raw":
            operand = Literal(token.text[1:-1])
        elif token.kind == "char":
            operand = Literal(ord(_unquote(token.text[1:-1], line)[:1] or "\0"))
        elif token.kind == "number":
            operand = Literal(_number(token.text, line))
        else:
            raise GoSyntaxError(f"line {line}: unexpected {token.text!r} in operand")
        # A field chain written right after ``)`` applies to the parenthesised value.
        while pos < len(tokens) and tokens[pos].kind == "field" and not tokens[pos].spaced:
            if not isinstance(operand, SubPipe):
                raise GoSyntaxError(f"line {line}: unexpected {tokens[pos].text!r} in operand")
            operand = SubPipe(operand.pipe, operand.chain + tuple(tokens[pos].text[1:].split(".")))
            pos += 1
        return operand, pos


def parse(source: str, functions: Collection[str]) -> Parsed:
    """The tree of ``source``, a Go template that may call ``functions``.

    Raises:
        GoSyntaxError: The source is not a Go template, or calls a function
            that is not among ``functions``, or uses an undefined variable.
    """
    parser = _Parser(source, functions)
    body, _, _, _ = parser.nodes(())
    return Parsed(body, parser.defined)
