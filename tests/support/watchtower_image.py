"""The watchtower image built with no network: ``nox -s image`` and the image tests both use it.

Nothing is pulled from a registry. The steps:

1. a Debian root with Python (``python3``, ``python3-venv``, ``ca-certificates``),
   made with ``mmdebstrap`` from Debian's packages and imported into the engine
   (kept there under :data:`BASE_TAG`, and reused unless asked not to);
2. the package and its ``cli``, ``apprise`` and ``mqtt`` dependencies as wheels for that
   base's Python, made on this machine with pip into a folder of the build context;
3. the checkout's ``Dockerfile`` built on them with the build arguments ``BASE``
   and ``WHEELS``, the build's network off.

Run as ``python -m tests.support.watchtower_image [--tag T] [--fresh-base]`` from
the checkout (what ``nox -s image`` does), it talks to the engine in
``$DOCKER_HOST``, else the default socket, and says so in one sentence when no
engine answers. It needs the ``docker`` package (docker-py) and nothing of watchtower.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
BASE_TAG = f"watchtower-base:{SUITE}"
TAG = "watchtower"
WHEELS = "wheels"
DEFAULT_ENGINE = "unix:///var/run/docker.sock"


class ImageBuildError(Exception):
    """A step of the image build failed; the message says which, in one sentence."""


class BaseUnavailableError(ImageBuildError):
    """The Debian base cannot be made here (no mmdebstrap, or it failed)."""


@attrs.frozen
class Built:
    """What :func:`build` made: the base's and the image's references."""

    base: str
    image: str


def _quiet(_: str) -> None:
    pass


def make_base(tar: Path, *, suite: str = SUITE) -> None:
    """Write a Debian root with :data:`BASE_PACKAGES` to ``tar`` with mmdebstrap."""
    if shutil.which("mmdebstrap") is None:
        raise BaseUnavailableError("mmdebstrap is not installed (Debian package mmdebstrap)")
    result = subprocess.run(
        ["mmdebstrap", "--variant=apt", f"--include={','.join(BASE_PACKAGES)}", suite, str(tar)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise BaseUnavailableError(f"mmdebstrap failed: {result.stderr[-2000:]}")


def has_image(api: Any, reference: str) -> bool:
    """True when the engine holds ``reference``."""
    import docker

    try:
        api.inspect_image(reference)
    except docker.errors.ImageNotFound:
        return False
    return True


def run(api: Any, image: str, command: list[str]) -> str:
    """What ``command`` prints in a throw-away container of ``image`` with no network."""
    created = api.create_container(
        image, command=command, host_config=api.create_host_config(network_mode="none")
    )
    try:
        api.start(created["Id"])
        api.wait(created["Id"], timeout=60)
        return str(api.logs(created["Id"]).decode())
    finally:
        api.remove_container(created["Id"], force=True)


def build_dockerfile(
    api: Any, what: str, say: Callable[[str], None] = _quiet, **kwargs: Any
) -> str:
    """Build an image with no network (docker-py's ``build`` arguments); its id.

    Raises :class:`ImageBuildError` with the end of the build's log when it fails.
    """
    log: list[str] = []
    for message in api.build(rm=True, forcerm=True, network_mode="none", decode=True, **kwargs):
        line = str(message.get("stream", ""))
        log.append(line)
        if line.strip():
            say(line.rstrip())
        if "error" in message:
            raise ImageBuildError(
                f"building {what} failed: {message['error']}\n{''.join(log)[-3000:]}"
            )
    return str(api.inspect_image(kwargs["tag"])["Id"])


def make_wheels(folder: Path, python_version: str, *, root: Path = REPO_ROOT) -> None:
    """The package and its ``cli``, ``apprise`` and ``mqtt`` dependencies as wheels in ``folder``.

    The dependencies are binary wheels for CPython ``python_version`` on this
    machine's architecture, whatever Python runs this.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="watchtower-source-") as scratch:
        # Built from a copy: a wheel build leaves its build/ folder in the source.
        source = Path(scratch)
        shutil.copytree(root / "watchtower", source / "watchtower")
        for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
            if (root / name).exists():
                shutil.copy(root / name, source / name)
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
        _check([*pip, "wheel", "--no-deps", "-w", str(folder), str(source)], "pip wheel")
    (own,) = folder.glob("watchtower_updater-*.whl")
    machine = platform.machine()
    platforms = [f"--platform=manylinux{tag}_{machine}" for tag in ("2014", "_2_17", "_2_28")]
    _check(
        [
            *pip,
            "download",
            "-d",
            str(folder),
            "--only-binary=:all:",
            f"--python-version={python_version}",
            "--implementation=cp",
            *platforms,
            f"{own}[cli,apprise,mqtt]",
        ],
        "pip download",
    )


def _check(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ImageBuildError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def build(
    api: Any,
    workdir: Path,
    *,
    tag: str = TAG,
    base_tag: str = BASE_TAG,
    fresh_base: bool = False,
    root: Path = REPO_ROOT,
    say: Callable[[str], None] = _quiet,
) -> Built:
    """Build the checkout's Dockerfile as ``tag`` on a local Debian base, with no network.

    ``workdir`` (empty, kept by the caller) receives the base's tar and the
    build context. The base in the engine under ``base_tag`` is reused unless
    ``fresh_base``.
    """
    if fresh_base or not has_image(api, base_tag):
        say(f"Making the Debian {SUITE} base with mmdebstrap ({', '.join(BASE_PACKAGES)})")
        tar = workdir / "base.tar"
        make_base(tar)
        repository, _, base_version = base_tag.rpartition(":")
        api.import_image_from_file(str(tar), repository=repository, tag=base_version)
        tar.unlink()
    else:
        say(f"Reusing the base {base_tag} (--fresh-base makes it again)")
    version = run(
        api, base_tag, ["python3", "-c", "import sys; print(*sys.version_info[:2], sep='.')"]
    ).strip()
    context = workdir / "context"
    say(f"Making the wheels for Python {version} in {context / WHEELS}")
    make_wheels(context / WHEELS, version, root=root)
    for name in ("Dockerfile", ".dockerignore"):
        shutil.copy(root / name, context / name)
    say(f"Building the Dockerfile as {tag} (BASE={base_tag}, WHEELS={WHEELS})")
    build_dockerfile(
        api,
        "the watchtower image",
        say,
        path=str(context),
        tag=tag,
        buildargs={"BASE": base_tag, "WHEELS": WHEELS},
    )
    return Built(base=base_tag, image=tag)


def engine_url(environ: dict[str, str] | None = None) -> str:
    """The engine to build on: ``$DOCKER_HOST``, else the default socket."""
    environ = dict(os.environ) if environ is None else environ
    return environ.get("DOCKER_HOST") or DEFAULT_ENGINE


def connect(url: str) -> Any:
    """A docker-py client of the engine at ``url`` (TLS as ``DOCKER_TLS_VERIFY`` says).

    Raises :class:`ImageBuildError` when no engine answers there.
    """
    import docker
    import requests

    kwargs = docker.utils.kwargs_from_env()
    kwargs["base_url"] = url
    try:
        api = docker.APIClient(version="auto", timeout=600, **kwargs)
        api.ping()
    except (docker.errors.DockerException, requests.RequestException):
        raise ImageBuildError(
            f"no Docker engine answers at {url}; start one, or set DOCKER_HOST to one that runs."
        ) from None
    return api


def main(argv: Sequence[str] | None = None) -> int:
    """Build the image on the engine of ``$DOCKER_HOST`` (else the default socket); 0 if built."""
    parser = argparse.ArgumentParser(
        prog="nox -s image --",
        description="Build the watchtower image with no network, on a local Debian base.",
    )
    parser.add_argument("--tag", default=TAG, help=f"the image's tag (default: {TAG})")
    parser.add_argument(
        "--fresh-base",
        action="store_true",
        help=f"make the base again even if the engine has {BASE_TAG}",
    )
    options = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        api = connect(engine_url())
        with tempfile.TemporaryDirectory(prefix="watchtower-image-") as workdir:
            built = build(
                api, Path(workdir), tag=options.tag, fresh_base=options.fresh_base, say=say
            )
    except ImageBuildError as error:
        say(f"nox -s image: {error}")
        return 1
    say(f"Built {built.image} on {built.base}; run it as the README says.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
