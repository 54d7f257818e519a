"""The distribution as a new user meets it: missing extras, the sdist, the metadata."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# What the cli extra brings; None in sys.modules makes an import of it fail.
CLI_MODULES = ("docker", "requests", "croniter", "jinja2", "prometheus_client", "flask", "cheroot")


def _without(modules: tuple[str, ...], code: str) -> subprocess.CompletedProcess[str]:
    blocker = "".join(f"sys.modules[{m!r}] = None; " for m in modules)
    return subprocess.run(
        [sys.executable, "-c", f"import sys; {blocker}{code}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_the_command_without_the_cli_extra_names_it_in_one_sentence() -> None:
    result = _without(
        CLI_MODULES, "from watchtower.cli import main; sys.exit(main(['--run-once']))"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("watchtower: The command needs the 'cli' extra")
    assert line.endswith("pip install 'watchtower-updater[cli]'")


# What a user without an extra runs, and the one line it must print: the error is
# a MissingExtraError, which is an ImportError too.
WITHOUT_AN_EXTRA = [
    pytest.param(
        "docker",
        "import watchtower.docker",
        "watchtower.docker needs the 'docker' extra, which is not installed "
        "(no module named 'docker'): pip install 'watchtower-updater[docker]'",
        id="watchtower.docker",
    ),
    pytest.param(
        "requests",
        "from watchtower.registry import HttpRegistry; HttpRegistry()",
        "The registry's default transport (RequestsTransport) needs the 'registry' extra, "
        "which is not installed (no module named 'requests'): "
        "pip install 'watchtower-updater[registry]'",
        id="HttpRegistry",
    ),
    pytest.param(
        "jinja2",
        # Go's template language needs nothing; Jinja2 needs jinja2.
        "from watchtower.notify import Template\n"
        "Template('{{range .}}{{.Message}}{{end}}')\n"
        "Template('{{ report.updated | length }}', name='mine')",
        "The Jinja2 template mine needs the 'cli' extra, which is not installed "
        "(no module named 'jinja2'): pip install 'watchtower-updater[cli]'",
        id="Jinja2 template",
    ),
]


@pytest.mark.parametrize(("module", "code", "sentence"), WITHOUT_AN_EXTRA)
def test_a_part_without_its_extra_names_the_extra(module: str, code: str, sentence: str) -> None:
    body = "\n".join(f"    {line}" for line in code.splitlines())
    result = _without(
        (module,),
        "from watchtower.errors import MissingExtraError\n"
        f"try:\n{body}\n"
        "except MissingExtraError as error:\n"
        "    print(isinstance(error, ImportError), error)\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"True {sentence}"


def test_the_all_extra_holds_every_other_extra() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    (everything,) = extras["all"]
    named = set(everything.partition("[")[2].rstrip("]").split(","))
    assert named == set(extras) - {"all", "test"}


def test_the_metadata_a_packager_reads() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    classifiers = set(project["classifiers"])
    assert {"Programming Language :: Python :: 3.10", "Development Status :: 3 - Alpha"} <= (
        classifiers
    )
    assert any(c.startswith("Intended Audience ::") for c in classifiers)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and the wheel built from it, as ``nox -s build`` makes them."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0 and "No module named build" in result.stderr:
        pytest.fail("the 'build' package is needed (it is in the test extra)")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def sdist(dist: Path) -> list[str]:
    """The names in the sdist, as a packager builds it."""
    (archive,) = dist.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        return [name.partition("/")[2] for name in tar.getnames()]


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    """The wheel, built from the sdist."""
    (built,) = dist.glob("*.whl")
    return built


def test_the_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    package = ROOT / "watchtower"
    on_disk = {
        f"watchtower/{path.relative_to(package)}"
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.startswith("watchtower/")}
    # The templates, the static files, py.typed and the subpackages among them.
    assert {
        "watchtower/py.typed",
        "watchtower/cli/web/templates/status.html",
        "watchtower/cli/web/static/status.js",
        "watchtower/notify/_gotemplate/__init__.py",
    } <= on_disk
    assert in_wheel == on_disk


def test_the_wheel_installs_and_its_script_runs(wheel: Path, tmp_path: Path) -> None:
    # Without this checkout on the path, where its metadata would say it is installed.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", str(wheel)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    answer = subprocess.run(
        [str(venv / "bin/watchtower"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == ["watchtower", wheel.name.split("-")[1]]


@pytest.mark.parametrize(
    "path",
    [
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "Dockerfile",
        ".ci/run",
        "scripts/demo",
        "scripts/venv.sh",
        "tests/conftest.py",
        "tests/support/dockerd.py",
        "tests/core/test_update.py",
        "tests/fuzz/dicts/reference.dict",
        "tests/fuzz/corpus/helper/login.json",
        "docs/conf.py",
        "docs/index.rst",
        "examples/compose.yaml",
        "examples/in_memory.py",
        "watchtower/py.typed",
    ],
)
def test_the_sdist_carries_what_a_packager_needs(sdist: list[str], path: str) -> None:
    assert path in sdist


def test_the_sdist_leaves_out_build_leftovers(sdist: list[str]) -> None:
    assert not [n for n in sdist if "__pycache__" in n or n.startswith("docs/_build")]


def _docker_run(text: str) -> tuple[list[str], dict[str, str]]:
    """The watchtower arguments and the ``-e`` variables of the ``docker run`` line in ``text``."""
    start = text.index("docker run -d --name watchtower")
    line = text[start : text.index("\n\n", start)].replace("\\\n", " ")
    words = line.split()
    env = dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "-e")
    return words[words.index("watchtower", words.index("--name") + 2) + 1 :], env


@pytest.mark.parametrize("page", ["README.md", "docs/install.rst"])
def test_the_docker_run_line_names_only_real_flags_and_variables(page: str) -> None:
    from watchtower.cli.args import parse_args
    from watchtower.cli.flags import FLAGS

    text = (ROOT / page).read_text()
    args, env = _docker_run(text)
    known = {name for flag in FLAGS for name in flag.env}
    assert {n for n in env if n.startswith("WATCHTOWER_")} <= known
    parsed = parse_args(args, env)  # raises on an unknown flag or a bad value
    assert parsed.values["interval"] == 300
    # The logins are mounted, with DOCKER_CONFIG naming them, only where they exist.
    assert '-v "$HOME/.docker/config.json:/config/config.json:ro" -e DOCKER_CONFIG=/config' in text
    assert '"${logins[@]}"' in text


def test_the_compose_example_names_only_real_variables() -> None:
    import yaml

    from watchtower.cli.flags import FLAGS

    service = yaml.safe_load((ROOT / "examples/compose.yaml").read_text())["services"]["watchtower"]
    known = {name for flag in FLAGS for name in flag.env}
    assert {n for n in service["environment"] if n.startswith("WATCHTOWER_")} <= known
    assert "/var/run/docker.sock:/var/run/docker.sock" in service["volumes"]
    assert "ports" not in service  # a published port would block the self-update


def test_the_compose_example_never_makes_a_directory_in_a_file_s_place() -> None:
    """A bind mount of a file that is missing must stop compose, not become a directory."""
    import yaml

    service = yaml.safe_load((ROOT / "examples/compose.yaml").read_text())["services"]["watchtower"]
    files = [v for v in service["volumes"] if isinstance(v, dict) and v["type"] == "bind"]
    assert [v["target"] for v in files] == ["/config/config.json"]
    assert all(v["bind"]["create_host_path"] is False and v["read_only"] for v in files)
    # The socket is the only short-form mount of a host path: it exists wherever an
    # engine runs. Named volumes (the history's) are the engine's to make.
    short = [v for v in service["volumes"] if isinstance(v, str)]
    assert [v for v in short if v.startswith(("/", ".", "$", "~"))] == [
        "/var/run/docker.sock:/var/run/docker.sock"
    ]
