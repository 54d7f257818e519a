"""Go's template language (``text/template``) interpreted, and what Watchtower's templates see.

The rest of :mod:`watchtower.notify` comes in through this door only:
:class:`GoTemplate` parses a source once (a bad one raises
:class:`GoSyntaxError`) and renders it many times (a failure raises
:class:`GoExecError`); :func:`data` and :func:`entries` give a template
Watchtower's values, and :data:`FUNCTIONS` its functions. Inside, the tree
(``ast``) is read from source (``parse``), run (``exec``) and printed as
Go's ``fmt`` prints (``fmt``); ``view`` is Watchtower's side.
"""

from __future__ import annotations

from .ast import GoSyntaxError
from .exec import GoExecError, GoTemplate
from .view import FUNCTIONS, data, entries

__all__ = ["FUNCTIONS", "GoExecError", "GoSyntaxError", "GoTemplate", "data", "entries"]
