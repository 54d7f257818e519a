"""Secret flags: values read from the files they name, and hidden where they are shown.

As in Watchtower, a secret flag (a token, a password, a notification URL)
may name a file instead of holding the value; a list flag's file holds one
value a line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import ConfigurationError
from .args import split_list
from .flags import FLAGS, Split
from .values import FlagValues, as_mapping, flag_values

__all__ = ["read_secrets", "without_secrets"]

_SECRET_KEYS = frozenset(flag.key for flag in FLAGS if flag.secret)


def without_secrets(values: Mapping[str, object]) -> dict[str, object]:
    """``values`` with the value of each secret flag that is set shown as ``***``."""
    return {k: "***" if k in _SECRET_KEYS and v else v for k, v in values.items()}


def _is_file_path(value: str) -> bool:
    # As Watchtower: a value with a colon other than a drive letter's is
    # never a path (it is a URL or a token), else it is one if it exists.
    colon = value.find(":")
    if colon not in (-1, 1):
        return False
    return os.path.exists(value)


def _read_secret(option: str, value: str) -> str:
    try:
        return Path(value).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigurationError(
            f"{option} names the file {value!r}, which cannot be read: {error.strerror}."
        ) from None


def _secret_list(option: str, values: Sequence[str]) -> tuple[str, ...]:
    result: list[str] = []
    for value in values:
        if value and _is_file_path(value):
            for line in _read_secret(option, value).splitlines():
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if option == "--notification-url" and "://" not in line:
                    raise ConfigurationError(
                        f"{option} file {value!r} has a line that is not a URL: {line!r}."
                    )
                result.extend(split_list(line, Split.URLS) if "," in line else [line])
        else:
            result.append(value)
    return tuple(result)


def read_secrets(values: FlagValues) -> FlagValues:
    """``values`` with each secret flag that names a file replaced by the file's content."""
    resolved = dict(as_mapping(values))
    for flag in FLAGS:
        if not flag.secret:
            continue
        value = resolved[flag.key]
        if isinstance(value, tuple):
            resolved[flag.key] = _secret_list(flag.option, value)
        elif isinstance(value, str) and value and _is_file_path(value):
            resolved[flag.key] = _read_secret(flag.option, value)
    return flag_values(resolved)
