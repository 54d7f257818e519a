"""Values printed as Go's ``fmt`` prints them: :func:`sprint`, :func:`sprintln`, :func:`sprintf`.

A Go template prints every value with ``fmt``: ``true`` rather than
``True``, ``[a b]`` for a list, ``map[k:v]`` for a map (keys sorted),
``<nil>`` for nil and ``1e+06`` for a large float. These functions write
Python values the same way, for :mod:`.exec`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from ..._text import go_duration

__all__ = ["NO_VALUE", "go_type", "sprint", "sprintf", "sprintln"]


class _NoValue:
    """What a missing map key or an unset field gives: printed ``<no value>``."""

    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


NO_VALUE = _NoValue()
"""A missing map key read with ``.key``: Go prints it ``<no value>``."""


def go_type(value: object) -> str:
    """The Go type a value stands for, in error messages and ``%T``."""
    if value is None or value is NO_VALUE:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return getattr(value, "go_name", "string")
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    if isinstance(value, datetime):
        return "time.Time"
    return str(getattr(value, "go_name", type(value).__name__))


def _float(value: float, fmt: str = "v", precision: int | None = None) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if fmt in ("e", "E", "f", "F") or precision is not None:
        fmt = fmt if fmt != "v" else "g"
        text = f"{value:.{6 if precision is None else precision}{fmt}}"
        return re.sub(r"([eE][+-])(\d)$", r"\g<1>0\2", text)
    # %v and %g with the shortest digits: the exponent form below 1e-4 and from 1e6.
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    count = len(digits)
    point = count + exponent - 1
    if point < -4 or point >= 6:
        mantissa = "".join(map(str, digits))
        mantissa = mantissa[0] + ("." + mantissa[1:] if count > 1 else "")
        text = f"{mantissa}e{'-' if point < 0 else '+'}{abs(point):02d}"
    else:
        text = format(Decimal(repr(abs(value))).normalize(), "f")
    return ("-" if sign else "") + text


def _time(value: datetime) -> str:
    # Go's Time.String: 2006-01-02 15:04:05.999999999 -0700 MST.
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    zone = value.tzname() or ""
    numeric = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return f"{text} {numeric} {zone if zone and zone != 'UTC+00:00' else 'UTC'}"


def to_string(value: object) -> str:
    """``%v`` of one value."""
    if value is None:
        return "<nil>"
    if value is NO_VALUE:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, datetime):
        return _time(value)
    if isinstance(value, timedelta):
        return go_duration(value)
    if isinstance(value, Mapping):
        pairs = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{to_string(k)}:{to_string(v)}" for k, v in pairs) + "]"
    if isinstance(value, Sequence):
        return "[" + " ".join(to_string(item) for item in value) + "]"
    return str(value)


def sprint(*values: object) -> str:
    """``fmt.Sprint``: a space between two operands when neither is a string."""
    out = []
    for i, value in enumerate(values):
        if i and not isinstance(value, str) and not isinstance(values[i - 1], str):
            out.append(" ")
        out.append(to_string(value))
    return "".join(out)


def sprintln(*values: object) -> str:
    """``fmt.Sprintln``: spaces between all operands, and a newline."""
    return " ".join(to_string(value) for value in values) + "\n"


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])")


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out) + '"'


def _verb(verb: str, flags: str, precision: int | None, value: object) -> str | None:
    """One value under one verb, or None when the verb does not fit the value."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if verb == "v":
        if flags.count("+") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:+}"
        return to_string(value)
    if verb == "T":
        return go_type(value)
    if verb == "t":
        return ("true" if value else "false") if isinstance(value, bool) else None
    if verb == "s":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        text = to_string(value)
        return text[:precision] if precision is not None else text
    if verb == "q":
        if isinstance(value, str):
            return _quote(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return "'" + chr(value) + "'"
        return None
    if verb in "dbox" + "X" and isinstance(value, int) and not isinstance(value, bool):
        base = {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}[verb]
        text = format(value, ("+" if "+" in flags else "") + base)
        return ("0x" if verb == "x" else "0X") + text if "#" in flags and verb in "xX" else text
    if verb in "xX" and isinstance(value, str):
        text = value.encode().hex()
        return text.upper() if verb == "X" else text
    if verb == "c" and isinstance(value, int) and not isinstance(value, bool):
        return chr(value)
    if verb in "eEfFgG" and isinstance(value, (int, float)) and number:
        text = _float(float(value), verb if verb != "G" else "g", precision)
        text = text.upper() if verb in "EG" else text
        return "+" + text if "+" in flags and not text.startswith("-") else text
    return None


def sprintf(format_: str, *args: object) -> str:
    """``fmt.Sprintf`` for the verbs templates use: v s q d x X o b c t f e g T and %%."""
    out: list[str] = []
    pos, used = 0, 0
    for match in _VERB.finditer(format_):
        out.append(format_[pos : match.start()])
        pos = match.end()
        flags, width_text, precision_text, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        width = precision = None
        if width_text == "*":
            width, used = (args[used] if used < len(args) else 0), used + 1
        elif width_text:
            width = int(width_text)
        if precision_text == "*":
            precision, used = (args[used] if used < len(args) else 0), used + 1
        elif precision_text is not None:
            precision = int(precision_text)
        elif match.group(0).find(".") >= 0:
            precision = 0
        if used >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        value = args[used]
        used += 1
        text = _verb(verb, flags, precision if isinstance(precision, int) else None, value)
        if text is None:
            text = f"%!{verb}({go_type(value)}={to_string(value)})"
        if isinstance(width, int) and len(text) < width:
            if "-" in flags:
                text = text.ljust(width)
            elif "0" in flags and verb not in "sqvtT":
                sign = text[0] if text[:1] in "+-" else ""
                text = sign + text[len(sign) :].rjust(width - len(sign), "0")
            else:
                text = text.rjust(width)
        out.append(text)
    out.append(format_[pos:])
    if used < len(args):
        extra = ", ".join(f"{go_type(a)}={to_string(a)}" for a in args[used:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


_LAYOUT = re.compile(
    r"January|Jan|Monday|Mon|2006|MST|Z07:00:00|Z07:00|Z0700|Z07|-07:00:00|-07:00|-0700|-07"
    r"|[.,](?:0+|9+)(?!\d)|01|02|_2|06|15|03|04|05|PM|pm|1|2|3|4|5"
)


def _zone(value: datetime, token: str) -> str:
    offset = value.utcoffset() or timedelta(0)
    if token.startswith("Z") and not offset:
        return "Z"
    seconds = int(offset.total_seconds())
    sign, seconds = ("-" if seconds < 0 else "+"), abs(seconds)
    hours, minutes, rest = seconds // 3600, seconds // 60 % 60, seconds % 60
    colon = ":" in token
    text = f"{sign}{hours:02d}"
    if token.lstrip("Z-") not in ("07",):
        text += f"{':' if colon else ''}{minutes:02d}"
    if token.endswith(":00:00"):
        text += f":{rest:02d}"
    return text


def time_format(value: datetime, layout: str) -> str:
    """Go's ``Time.Format(layout)``: the reference time ``Mon Jan 2 15:04:05 MST 2006``."""

    def one(match: re.Match[str]) -> str:
        token = match.group()
        if token[0] in ".," and len(token) > 1:
            digits = f"{value.microsecond:06d}000"[: len(token) - 1]
            if token[1] == "9":
                digits = digits.rstrip("0")
                return token[0] + digits if digits else ""
            return token[0] + digits
        if token in ("MST",):
            name = value.tzname() or ""
            return "UTC" if name in ("UTC", "UTC+00:00", "") else name
        if token[0] in "Z-" and len(token) > 1:
            return _zone(value, token)
        table = {
            "January": "%B",
            "Jan": "%b",
            "Monday": "%A",
            "Mon": "%a",
            "2006": "%Y",
            "06": "%y",
            "01": "%m",
            "02": "%d",
            "15": "%H",
            "03": "%I",
            "04": "%M",
            "05": "%S",
            "PM": "%p",
        }
        if token in table:
            return value.strftime(table[token])
        if token == "pm":
            return value.strftime("%p").lower()
        if token == "_2":
            return f"{value.day:2d}"
        numbers = {
            "1": value.month,
            "2": value.day,
            "3": value.hour % 12 or 12,
            "4": value.minute,
            "5": value.second,
        }
        return str(numbers[token])

    return _LAYOUT.sub(one, layout)
