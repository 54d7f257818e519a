"""The README's set-up commands on Debian's own Python, which refuses pip installs (PEP 668).

``scripts/demo --setup-only`` and ``.ci/run --setup-only`` run in a copy of the
checkout with ``PYTHON=/usr/bin/python3``: the first makes ``.venv`` and the
second reuses it, each installs into it, and the system interpreter's packages
are the same afterwards. Their apt step has nothing to do here (the packages are
installed; ``.ci/run`` installed them), which each asserts before it runs.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support import dockerd as dockerd_support
from tests.support import fresh_debian

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")
# What a checkout holds that is not the project's: the copy leaves it out.
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", ".nox", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", "_build",
    "build", "dist",
)  # fmt: skip


def _unmet(reason: str) -> None:
    if dockerd_support.required():
        pytest.fail(f"the set-up scripts must be checked here, but {reason}")
    pytest.skip(reason)


def apt_packages(script: Path) -> list[str]:
    """The Debian packages a script names to ``apt_packages`` (continued lines joined)."""
    text = script.read_text().replace("\\\n", " ")
    (line,) = re.findall(r"^apt_packages (.+)$", text, flags=re.MULTILINE)
    return line.split()


def _installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Status}", package],
        capture_output=True,
        text=True,
    )
    return result.stdout == "installed"


def _system_packages() -> tuple[str, list[str]]:
    """What the system interpreter has: pip's list, and the names in its site directories."""
    # Without pip (Debian's python3-pip) the listing is the error, the same both times.
    listing = subprocess.run(
        [str(SYSTEM_PYTHON), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
    )
    return listing.stdout + listing.stderr, _site_names()


def _site_names() -> list[str]:
    sites = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import site; print('\\n'.join(site.getsitepackages()))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(str(p) for site in sites if Path(site).is_dir() for p in Path(site).iterdir())


@pytest.fixture(scope="module")
def system_before() -> tuple[str, list[str]]:
    """The system interpreter's packages before the scripts run; it must be a PEP 668 one."""
    if not SYSTEM_PYTHON.exists():
        _unmet(f"there is no {SYSTEM_PYTHON}")
    marker = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not (Path(marker) / "EXTERNALLY-MANAGED").exists():
        _unmet(f"{SYSTEM_PYTHON} is not externally managed (PEP 668)")
    return _system_packages()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this checkout without its environments and build leftovers."""
    copy = tmp_path_factory.mktemp("setup") / "checkout"
    shutil.copytree(ROOT, copy, ignore=LEFT_OUT)
    return copy


def _clean_env() -> dict[str, str]:
    """This environment without what would point a process at another environment."""
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


def _run_setup(checkout: Path, script: str) -> subprocess.CompletedProcess[str]:
    missing = [p for p in apt_packages(checkout / script) if not _installed(p)]
    if missing:
        # The script would install them: a test installs nothing into the system.
        _unmet(f"the Debian packages {', '.join(missing)} are not installed")
    return subprocess.run(
        ["bash", script, "--setup-only"],
        cwd=checkout,
        env={**_clean_env(), "PYTHON": str(SYSTEM_PYTHON)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo_setup(system_before: object, checkout: Path) -> subprocess.CompletedProcess[str]:
    """``scripts/demo --setup-only`` in the fresh copy."""
    return _run_setup(checkout, "scripts/demo")


@pytest.fixture(scope="module")
def ci_setup(
    demo_setup: subprocess.CompletedProcess[str], checkout: Path
) -> subprocess.CompletedProcess[str]:
    """``.ci/run --setup-only`` in the same copy, after the demo's set-up."""
    return _run_setup(checkout, ".ci/run")


def _in_venv(checkout: Path, code: str) -> str:
    result = subprocess.run(
        [str(checkout / ".venv/bin/python"), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.e2e
def test_the_system_interpreter_refuses_pip_installs(system_before: object) -> None:
    result = subprocess.run(
        [str(SYSTEM_PYTHON), "-m", "pip", "install", "--no-index", "watchtower-updater"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "No module named pip" in result.stderr:
        _unmet(f"{SYSTEM_PYTHON} has no pip to refuse anything")
    assert result.returncode != 0
    assert "externally-managed-environment" in result.stderr


@pytest.mark.e2e
def test_the_demo_script_makes_the_venv_with_python_and_installs_the_command(
    demo_setup: subprocess.CompletedProcess[str], checkout: Path
) -> None:
    assert demo_setup.returncode == 0, demo_setup.stdout + demo_setup.stderr
    assert f"Making .venv with {SYSTEM_PYTHON}" in demo_setup.stdout
    assert "Installing from apt" not in demo_setup.stdout  # every package is installed
    config = (checkout / ".venv/pyvenv.cfg").read_text()
    assert f"home = {SYSTEM_PYTHON.parent}" in config.splitlines()
    where = _in_venv(checkout, "import sys, watchtower; print(sys.prefix, watchtower.__file__)")
    assert where == f"{checkout / '.venv'} {checkout / 'watchtower/__init__.py'}"
    version = subprocess.run(
        [str(checkout / ".venv/bin/watchtower"), "--version"],
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("watchtower ")


@pytest.mark.e2e
def test_the_ci_script_reuses_the_venv_and_installs_the_tools(
    ci_setup: subprocess.CompletedProcess[str], checkout: Path
) -> None:
    assert ci_setup.returncode == 0, ci_setup.stdout + ci_setup.stderr
    assert "Making .venv" not in ci_setup.stdout
    assert "Installing from apt" not in ci_setup.stdout
    assert "Installing into .venv: -e .[cli,test,apprise,mqtt]" in ci_setup.stdout
    tools = ("pytest", "ruff", "mypy", "sphinx", "nox", "apprise", "paho.mqtt")
    found = _in_venv(
        checkout,
        f"import importlib.util as u; print([u.find_spec(m) is not None for m in {tools!r}])",
    )
    assert found == str([True] * len(tools))


@pytest.mark.e2e
def test_the_system_interpreter_is_left_alone(
    system_before: tuple[str, list[str]], ci_setup: object
) -> None:
    assert _system_packages() == system_before


@pytest.mark.parametrize("script", ["scripts/demo", ".ci/run"])
def test_the_readme_names_the_debian_packages_each_script_installs(script: str) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## On a fresh machine")
    section = readme[start : readme.index("\n## ", start)]
    assert f"    bash {script}\n" in section
    named = set(re.findall(r"`([a-z0-9.+-]+)`", section))
    assert set(apt_packages(ROOT / script)) <= named


def test_the_fresh_debian_check_runs_the_readmes_commands_on_a_copy_of_the_checkout() -> None:
    readme = (ROOT / "README.md").read_text()
    for script in ("scripts/demo", ".ci/run"):
        assert f"    bash {script}\n" in readme
        assert f"\nbash {script} --setup-only\n" in fresh_debian.SCRIPT
    with tarfile.open(fileobj=io.BytesIO(fresh_debian._checkout_tar(ROOT))) as tar:
        names = set(tar.getnames())
    assert {"checkout/scripts/demo", "checkout/.ci/run", "checkout/pyproject.toml"} <= names
    assert not any(name.startswith(("checkout/.venv/", "checkout/.git/")) for name in names)
