"""The README's two set-up commands on a fresh Debian machine: ``nox -s fresh -- SUITE``.

A Debian root of ``SUITE`` (``bookworm``, ``trixie``) is made with
``mmdebstrap`` with only Python added, as a new machine has it, and started as
root with the host's network. A copy of the checkout goes into it, and there
``bash scripts/demo --setup-only`` and then ``bash .ci/run --setup-only`` must
succeed as written: no sudo, Debian's own Python (which refuses pip installs,
PEP 668) left as it was. Then the command in ``.venv`` must answer
``--version`` and the system interpreter must still refuse a pip install.

It talks to the engine in ``$DOCKER_HOST``, else the default socket; the
container fetches from Debian's packages and the Python package index.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .watchtower_image import (
    REPO_ROOT,
    ImageBuildError,
    connect,
    engine_url,
    has_image,
)

CERT = "/etc/ssl/host-pip-cert.pem"

#: What runs in the container, as root; it prints the last line only if every step worked.
SCRIPT = r"""
set -eu
cd /checkout
# A pip install into the system Python would write under /usr/local/lib.
system() { find /usr/local/lib 2>/dev/null | sort; }
before=$(system)
bash scripts/demo --setup-only
bash .ci/run --setup-only
.venv/bin/watchtower --version
[ "$(system)" = "$before" ] || { echo "the system Python was changed:" >&2; system >&2; exit 1; }
echo "The system Python is as it was."
"""


def _checkout_tar(root: Path) -> bytes:
    """The checkout's tracked and new files (``git ls-files``) as a tar under ``checkout/``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in filter(None, listed):
            path = root / name.decode()
            if path.is_file():
                tar.add(path, arcname=f"checkout/{name.decode()}")
    return buffer.getvalue()


def check(api: Any, suite: str, say: Callable[[str], None]) -> None:
    """Run the set-up commands in a fresh ``suite`` container.

    Raises :class:`ImageBuildError` when the root cannot be made or a command fails.
    """
    base = f"watchtower-fresh:{suite}"
    if not has_image(api, base):
        say(f"Making a Debian {suite} root with Python (mmdebstrap)")
        with tempfile.TemporaryDirectory(prefix="watchtower-fresh-") as scratch:
            tar = Path(scratch) / "root.tar"
            made = subprocess.run(
                ["mmdebstrap", "--variant=apt", "--include=python3", suite, str(tar)],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if made.returncode != 0:
                raise ImageBuildError(f"mmdebstrap {suite} failed: {made.stderr[-2000:]}")
            api.import_image_from_file(str(tar), repository="watchtower-fresh", tag=suite)
    # A machine whose outside connections pass a proxy of its own trusts that
    # proxy's certificate (pip's ``PIP_CERT``): the container is given the same.
    binds, environment = {}, {}
    cert = os.environ.get("PIP_CERT")
    if cert and Path(cert).is_file():
        binds[str(Path(cert).resolve())] = {"bind": CERT, "mode": "ro"}
        environment["PIP_CERT"] = CERT
    container = api.create_container(
        base,
        command=["bash", "-c", SCRIPT],
        environment=environment,
        host_config=api.create_host_config(network_mode="host", binds=binds),
    )["Id"]
    try:
        api.put_archive(container, "/", _checkout_tar(REPO_ROOT))
        say(f"Running the README's set-up commands in a fresh Debian {suite} container")
        api.start(container)
        for chunk in api.logs(container, stream=True, follow=True):
            say(chunk.decode(errors="replace").rstrip())
        status = api.wait(container, timeout=3600)["StatusCode"]
        if status != 0:
            raise ImageBuildError(f"the set-up commands failed on Debian {suite} (exit {status})")
    finally:
        api.remove_container(container, force=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the set-up commands on a fresh Debian ``SUITE``; 0 if they work as written."""
    parser = argparse.ArgumentParser(
        prog="nox -s fresh --",
        description="Run the README's set-up commands in a fresh Debian container.",
    )
    parser.add_argument("suite", nargs="?", default="trixie", help="bookworm or trixie")
    options = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        check(connect(engine_url()), options.suite, say)
    except ImageBuildError as error:
        say(f"nox -s fresh: {error}")
        return 1
    say(f"The README's set-up commands work on a fresh Debian {options.suite}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
