"""The README's container commands, run with a stand-in ``docker``, and ``nox -s image``'s wiring.

The ``docker run`` block is run by bash in a scratch folder with ``docker``
replaced by a function that records its arguments: every file it mounts must
exist by then as a file (else Docker would create a directory in its place),
whether or not the machine has registry logins. No engine is needed.
"""

from __future__ import annotations

import ast
import itertools
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import watchtower_image

REPO_ROOT = Path(__file__).resolve().parents[2]
SOCKET = "/var/run/docker.sock"  # the engine's own; it exists wherever an engine runs


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


def _code_blocks(section: str) -> list[str]:
    """The section's indented code blocks, unindented."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in section.splitlines():
        if line.startswith("    "):
            if current is None:
                current = []
                blocks.append(current)
            current.append(line[4:])
        elif line.strip():
            current = None
        elif current is not None:
            current.append("")
    return ["\n".join(block).strip() for block in blocks]


def _run_block() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [
        b for b in _code_blocks(_section(readme, "Run it as a container")) if "docker run" in b
    ]
    return block


def _mounts(arguments: list[str]) -> dict[str, str]:
    """Each ``-v SRC:DST[:MODE]`` of a docker run, as DST -> SRC."""
    found: dict[str, str] = {}
    for flag, value in itertools.pairwise(arguments):
        if flag in ("-v", "--volume"):
            source, target = value.split(":")[:2]
            found[target] = source
    return found


def _run_readme(tmp_path: Path, *, logins: bool) -> tuple[list[str], Path, Path]:
    """Run the README's block; the arguments its ``docker run`` got, the folder, HOME."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    if logins:
        (home / ".docker").mkdir()
        (home / ".docker" / "config.json").write_text("{}")
    record = tmp_path / "docker-run.args"
    stand_in = f'docker() {{ printf "%s\\0" "$@" > {str(record)!r}; }}\nset -eu\n'
    subprocess.run(
        ["bash", "-c", stand_in + _run_block()],
        cwd=work,
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
        check=True,
        timeout=30,
    )
    arguments = record.read_bytes().decode().split("\0")[:-1]
    assert arguments[0] == "run", arguments
    return arguments, work, home


@pytest.mark.parametrize("logins", [False, True], ids=["no-logins", "logins"])
def test_every_file_the_readme_mounts_exists_before_docker_run(
    tmp_path: Path, logins: bool
) -> None:
    arguments, _, home = _run_readme(tmp_path, logins=logins)
    mounts = _mounts(arguments)
    assert mounts.pop("/var/run/docker.sock") == SOCKET
    # The history's named volume: the engine makes it, it is no file of the host.
    assert mounts.pop("/data") == "watchtower-data"
    assert mounts, "the README mounts no files"
    for target, source in mounts.items():
        assert Path(source).is_file(), f"{source} (mounted at {target}) is not a file"
    if not logins:
        assert not (home / ".docker").exists(), "the README creates ~/.docker"
        assert "DOCKER_CONFIG=/config" not in arguments
    else:
        assert mounts["/config/config.json"] == str(home / ".docker" / "config.json")
        assert "DOCKER_CONFIG=/config" in arguments


def test_the_secrets_the_readme_writes_are_readable_by_their_owner_alone(
    tmp_path: Path,
) -> None:
    arguments, _, _ = _run_readme(tmp_path, logins=False)
    mounts = _mounts(arguments)
    for target in ("/run/secrets/notification_url", "/run/secrets/api_token"):
        secret = Path(mounts[target])
        assert secret.read_text().strip(), f"{secret} is empty"
        assert stat.S_IMODE(secret.stat().st_mode) & 0o077 == 0, f"{secret} is readable by others"
        variable = {
            "/run/secrets/notification_url": "WATCHTOWER_NOTIFICATION_URL",
            "/run/secrets/api_token": "WATCHTOWER_HTTP_API_TOKEN",
        }[target]
        assert f"{variable}={target}" in arguments


_VALUED = frozenset({"--name", "--restart", "-v", "--volume", "-e", "--env"})
_BARE = frozenset({"-d", "--detach"})


def _image(arguments: list[str]) -> str:
    """The image a ``docker run`` names: its first argument that is no option."""
    rest = iter(arguments[1:])
    for argument in rest:
        if argument in _VALUED:
            next(rest)
        elif argument not in _BARE:
            assert not argument.startswith("-"), f"an option this test does not know: {argument}"
            return argument
    raise AssertionError(f"no image in {arguments}")


def test_the_readme_runs_the_image_nox_builds(tmp_path: Path) -> None:
    arguments, _, _ = _run_readme(tmp_path, logins=False)
    assert _image(arguments) == watchtower_image.TAG


def _strings(tree: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _function(path: Path, name: str) -> ast.FunctionDef:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    (found,) = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name]
    return found


def _calls(tree: ast.AST) -> set[str]:
    """The names called in ``tree``, as written (``build``, ``image_build.build``)."""
    return {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}


def test_nox_image_and_the_image_test_build_the_same_way() -> None:
    session = _function(REPO_ROOT / "noxfile.py", "image")
    assert watchtower_image.__name__ in _strings(session)
    assert "build" in _calls(_function(Path(watchtower_image.__file__), "main"))
    fixture = _function(REPO_ROOT / "tests" / "image" / "test_image_e2e.py", "built_image")
    assert "image_build.build" in _calls(fixture)


@pytest.mark.parametrize(
    ("environ", "url"),
    [
        ({}, "unix:///var/run/docker.sock"),
        ({"DOCKER_HOST": ""}, "unix:///var/run/docker.sock"),
        ({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}, "unix:///run/user/1000/docker.sock"),
        ({"DOCKER_HOST": "tcp://127.0.0.1:2375"}, "tcp://127.0.0.1:2375"),
    ],
)
def test_the_engine_is_docker_host_else_the_default_socket(
    environ: dict[str, str], url: str
) -> None:
    assert watchtower_image.engine_url(environ) == url


def test_with_no_engine_the_build_says_so_in_one_sentence(tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/no-engine.sock"
    result = subprocess.run(
        [sys.executable, "-m", watchtower_image.__name__],
        cwd=REPO_ROOT,
        env={**os.environ, "DOCKER_HOST": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"nox -s image: no Docker engine answers at {url}; start one, or set DOCKER_HOST"
        " to one that runs."
    ]
