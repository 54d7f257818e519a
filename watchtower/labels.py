"""Watchtower's container labels: their names, and how their values are read.

A label whose value cannot be read is a :class:`~watchtower.errors.ConfigurationError`
that names the container, the label and the value.
"""

from __future__ import annotations

import re
from datetime import timedelta

from .errors import ConfigurationError
from .model import Container

PREFIX = "com.centurylinklabs.watchtower"
WATCHTOWER = PREFIX
ENABLE = f"{PREFIX}.enable"
MONITOR_ONLY = f"{PREFIX}.monitor-only"
NO_PULL = f"{PREFIX}.no-pull"
SCOPE = f"{PREFIX}.scope"
DEPENDS_ON = f"{PREFIX}.depends-on"
STOP_SIGNAL = f"{PREFIX}.stop-signal"
STOP_TIMEOUT = f"{PREFIX}.stop-timeout"
COOLDOWN_DELAY = f"{PREFIX}.cooldown-delay"
PRE_CHECK = f"{PREFIX}.lifecycle.pre-check"
POST_CHECK = f"{PREFIX}.lifecycle.post-check"
PRE_UPDATE = f"{PREFIX}.lifecycle.pre-update"
POST_UPDATE = f"{PREFIX}.lifecycle.post-update"
PRE_UPDATE_TIMEOUT = f"{PREFIX}.lifecycle.pre-update-timeout"
POST_UPDATE_TIMEOUT = f"{PREFIX}.lifecycle.post-update-timeout"
ORIGINAL_IMAGE = "com.centurylinklabs.zodiac.original-image"
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
COMPOSE_DEPENDS_ON = "com.docker.compose.depends_on"

_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}


def read_bool(container: Container, label: str) -> bool | None:
    """The boolean value of ``label`` on ``container``, or ``None`` when it is absent.

    Accepts what Go's ``strconv.ParseBool`` accepts, and yes/no/on/off.
    """
    raw = container.labels.get(label)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(
        f"Container {container.name!r} has label {label}={raw!r}, which is not true or false."
    )


def flag_or_label(container: Container, label: str, flag: bool, label_precedence: bool) -> bool:
    """Combine a global flag with a container's boolean label, as Watchtower does.

    Without the label the flag decides. With it, the label decides alone when
    ``label_precedence`` is set; otherwise either of the two can switch it on.
    """
    value = read_bool(container, label)
    if value is None:
        return flag
    return value if label_precedence else (value or flag)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_duration(text: str) -> timedelta:
    """Parse a Go-style duration (``90s``, ``1h30m``, ``500ms``); a bare number is seconds.

    Raises:
        ValueError: ``text`` is not a duration.
    """
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    pos = 0
    total = 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m or 1h30m")
    return timedelta(seconds=total)


def read_duration(container: Container, label: str, *, bare_unit: str = "s") -> timedelta | None:
    """The duration in ``label``, or ``None`` when absent.

    A bare number counts in ``bare_unit`` (Watchtower's hook timeouts are
    minutes: ``bare_unit="m"``).
    """
    raw = container.labels.get(label)
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        text += bare_unit
    try:
        return parse_duration(text)
    except ValueError:
        raise ConfigurationError(
            f"Container {container.name!r} has label {label}={raw!r}, which is not a duration."
        ) from None


def read_list(container: Container, label: str) -> tuple[str, ...]:
    """The comma-separated names in ``label``, trimmed of spaces and a leading slash."""
    raw = container.labels.get(label, "")
    return tuple(part.strip().lstrip("/") for part in raw.split(",") if part.strip())


def is_watchtower(container: Container) -> bool:
    """True for a container labelled as a watchtower instance."""
    return container.labels.get(WATCHTOWER, "").strip().lower() == "true"


def problems(container: Container) -> list[str]:
    """One sentence for each watchtower label of ``container`` whose value is unreadable."""
    found: list[str] = []
    for label in (ENABLE, MONITOR_ONLY, NO_PULL):
        try:
            read_bool(container, label)
        except ConfigurationError as error:
            found.append(str(error))
    for label, unit in (
        (STOP_TIMEOUT, "s"),
        (COOLDOWN_DELAY, "s"),
        (PRE_UPDATE_TIMEOUT, "m"),
        (POST_UPDATE_TIMEOUT, "m"),
    ):
        try:
            read_duration(container, label, bare_unit=unit)
        except ConfigurationError as error:
            found.append(str(error))
    return found
