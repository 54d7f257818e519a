"""The package as users meet it: imports, public names, examples."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import watchtower

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# Examples that need a real engine run in the end-to-end suite instead.
ENGINE_EXAMPLES = {"demo.py"}


HEAVY = ("docker", "requests", "flask", "jinja2", "prometheus_client", "apprise", "croniter")
# What serves the HTTP API, renders templates or sends notifications.
SERVING = ("flask", "werkzeug", "cheroot", "jinja2", "prometheus_client", "apprise")
_LOADED = "import sys; print(sorted(m for m in {heavy} if m in sys.modules))"
_MAIN = "from watchtower.cli import main\ntry: main({argv!r})\nexcept SystemExit: pass"


@pytest.mark.parametrize(
    "code",
    [
        "import watchtower",
        "import watchtower.cli",
        _MAIN.format(argv=["--help"]),
        _MAIN.format(argv=["--version"]),
        _MAIN.format(argv=["--health-check"]),
        "import watchtower.docker.runtime",
    ],
    ids=["import", "import-cli", "help", "version", "health-check", "docker-runtime"],
)
def test_starting_imports_no_heavy_library(code: str) -> None:
    # What a user waits for on every start: none of these is needed to say hello.
    script = code + "\n" + _LOADED.format(heavy=HEAVY + SERVING)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_help_imports_only_the_flag_table() -> None:
    code = _MAIN.format(argv=["--help"]) + (
        "\nimport sys; print(sorted(m for m in sys.modules"
        " if m.startswith('watchtower') or m.startswith('attr')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(out.stdout.strip().splitlines()[-1]))
    # Not even attrs: it alone would take --help past its start-up budget.
    assert loaded <= {
        "watchtower",
        "watchtower._text",
        "watchtower._lazy",
        "watchtower._version",
        "watchtower.clock",
        "watchtower.errors",
        "watchtower.cli",
        "watchtower.cli.args",
        "watchtower.cli.command",
        "watchtower.cli.flags",
        "watchtower.cli.values",
    }


@pytest.mark.parametrize(
    ("flags", "loaded"),
    [
        ([], ["docker"]),
        (["--notification-url", "generic://127.0.0.1:9/hook"], ["docker", "watchtower.notify"]),
    ],
    ids=["plain", "notifying"],
)
def test_a_run_imports_no_server_template_or_notification_library_it_does_not_use(
    tmp_path: Path, flags: list[str], loaded: list[str]
) -> None:
    # No engine answers, so the run stops after wiring its parts: all such a run imports.
    argv = ["--run-once", "--host", f"unix://{tmp_path}/no-engine.sock", *flags]
    heavy = (*SERVING, "docker", "watchtower.notify")
    script = _MAIN.format(argv=argv) + "\n" + _LOADED.format(heavy=heavy)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == str(loaded)


def test_import_loads_each_name_when_first_used() -> None:
    code = (
        "import sys, watchtower\n"
        "print(sorted(m for m in sys.modules if m.startswith(('watchtower', 'attr'))))\n"
        "from watchtower import update\n"
        "print('watchtower.orchestrator' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == [
        "['watchtower', 'watchtower._lazy', 'watchtower._version']",
        "True",
    ]


def test_public_names_have_docstrings() -> None:
    missing = [
        name
        for name in watchtower.__all__
        if not name.startswith("__") and not (getattr(watchtower, name).__doc__ or "").strip()
    ]
    assert missing == []


DOCUMENTED = sorted(
    {
        name
        for page in (ROOT / "docs" / "api").glob("*.rst")
        for name in re.findall(r"^\.\. automodule:: (\S+)", page.read_text(), re.MULTILINE)
    }
)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_module_is_a_module(name: str) -> None:
    # A function of the package must never shadow a module of the same name.
    importlib.import_module(name)
    parent, _, leaf = name.rpartition(".")
    assert inspect.ismodule(getattr(sys.modules[parent], leaf))


def test_the_functions_users_import() -> None:
    for name in DOCUMENTED:  # importing a submodule would rebind a shadowed name
        importlib.import_module(name)
    from watchtower import execute, plan, update

    assert all(inspect.isfunction(f) for f in (execute, plan, update))
    assert (update.__module__, plan.__module__) == ("watchtower.orchestrator", "watchtower.planner")


def test_package_is_typed() -> None:
    assert (Path(watchtower.__file__).parent / "py.typed").exists()


@pytest.mark.parametrize(
    "script", [p for p in EXAMPLES if p.name not in ENGINE_EXAMPLES], ids=lambda p: p.name
)
def test_example_runs(script: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "an example should show what it did"


def test_a_daemon_without_a_data_dir_never_loads_sqlite3() -> None:
    code = (
        "import sys\n"
        "import watchtower.cli.daemon, watchtower.cli.runner, watchtower.cli.config\n"
        "from watchtower.cli.config import load\n"
        "from watchtower.cli.history_settings import open_history\n"
        "assert open_history(load([], {}).history) is None\n"
        "print('sqlite3' in sys.modules)\n"
        "from watchtower.history import SqliteHistory\n"
        "print('sqlite3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
