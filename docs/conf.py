"""Sphinx configuration for watchtower's documentation."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from typing import Any

sys.path.insert(0, os.path.abspath(".."))

from watchtower import __version__

project = "watchtower"
version = release = __version__
author = "The watchtower authors"
copyright = "2026, The watchtower authors"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.extlinks",
    "sphinx.ext.viewcode",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# Plain links to the documentation of what we build on; no inventory is
# fetched (the docs build without network).
extlinks = {
    "python": ("https://docs.python.org/3/library/%s.html", "%s"),
    "requests": ("https://requests.readthedocs.io/en/latest/%s", "%s"),
    "dockerpy": ("https://docker-py.readthedocs.io/en/stable/%s", "%s"),
}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"watchtower {release}"
html_css_files = ["tables.css"]
html_static_path = ["_static"]
suppress_warnings = ["ref.python"]

# ``sphinx -n`` (nitpicky) reports every reference it cannot resolve. The
# project's own names must all resolve; names of the standard library and of
# the packages we build on have no inventory here (nothing is fetched), and
# type variables and private helpers are not documented on purpose.
_FOREIGN = (
    "cheroot",
    "collections",
    "concurrent",
    "datetime",
    "docker",
    "email",
    "enum",
    "flask",
    "ipaddress",
    "jinja2",
    "json",
    "logging",
    "packaging",
    "pathlib",
    "prometheus_client",
    "re",
    "requests",
    "smtplib",
    "socket",
    "ssl",
    "threading",
    "typing",
    "typing_extensions",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_FOREIGN)})(\..+)?"),
    (r"py:class", r"(datetime|timedelta|Path|CollectorRegistry|WSGIApplication|HTTPConnection)"),
    (r"py:class", r"tzinfo"),  # datetime's, in the windows' signatures
    (r"py:class", r"IPNetwork"),  # the API's alias of ipaddress' networks
    (r"py:class", r"watchtower\.(staleness\.[KVE]|fleet\.T|cli\.runner\.T)"),  # type variables
    (r"py:class", r"watchtower\.(.+\.)?_\w+(\..+)?"),  # private helpers in signatures
    (r"py:class", r"Emitter"),  # the private emitter, in the Replacer's signature
    (r"py:class", r"_Read"),  # a private type alias, in signatures
]


def _canonical(name: str) -> str | None:
    """Where the object named ``name`` is defined, for a re-export or a relative name."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except (ImportError, AttributeError):
            continue
        owner, qualname = inspect.getmodule(obj), getattr(obj, "__qualname__", None)
        return f"{owner.__name__}.{qualname}" if owner is not None and qualname else None
    return None


def _resolve_reexport(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a reference to a name of ours that is documented elsewhere.

    ``watchtower.update`` is documented as ``watchtower.orchestrator.update``;
    ``ImageInUseError`` in a module that does not import it is
    ``watchtower.errors.ImageInUseError``, the one documented name it can be.
    """
    target = node["reftarget"]
    if node.get("refdomain") != "py" or not target.replace(".", "").isidentifier():
        return None
    module, cls = node.get("py:module"), node.get("py:class")
    names = [target]
    if module and not target.startswith("watchtower"):
        names += [f"{module}.{cls}.{target}"] if cls else []
        names.append(f"{module}.{target}")
    candidates = [c for c in map(_canonical, names) if c]
    domain = env.get_domain("py")
    leaf = target.rpartition(".")[2]
    for tail in ([f".{cls}.{leaf}"] if cls else []) + [f".{leaf}"]:
        # The one public documented name that ends so (autodoc also records
        # a class under its private defining module).
        documented = [
            n
            for n in domain.objects
            if n.startswith("watchtower.") and n.endswith(tail) and "._" not in n
        ]
        if len(documented) == 1:
            candidates += documented
            break
    for candidate in candidates:
        if candidate == target:
            continue
        resolved = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], candidate, node, contnode
        )
        if resolved is not None:
            return resolved
    return None


# In a table, a literal may break after a separator that a letter follows
# (``WATCHTOWER_`` / ``WARN_ON_HEAD_FAILURE``, ``unix:///var/`` / ``run/``), and
# nowhere else. Sphinx puts each word of a literal in a ``span.pre`` that
# never wraps (not even after a hyphen, as in ``-S``); the word is cut into
# such spans with a <wbr> between them, the only place a line can end. This
# is done to the page, not the doctree, so that search indexes words whole.
_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL)
_PRE = re.compile(r'<span class="pre">([^<]*)</span>')
_AFTER_SEPARATOR = re.compile(r"(?<=[A-Za-z0-9/][_\-/.])(?=[A-Za-z])")


def _breakable_literals(html: str) -> str:
    """``html`` with the literals of its tables breakable after their separators only."""

    def in_literal(pre: re.Match[str]) -> str:
        pieces = _AFTER_SEPARATOR.split(pre[1])
        return "<wbr>".join(f'<span class="pre">{piece}</span>' for piece in pieces)

    return _TABLE.sub(lambda table: _PRE.sub(in_literal, table[0]), html)


def _break_literals_in_tables(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Let the literals of the page's tables wrap between words only."""
    if "body" in context:
        context["body"] = _breakable_literals(context["body"])


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_reexport)
    app.connect("html-page-context", _break_literals_in_tables)
