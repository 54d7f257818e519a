"""A private Docker engine for the tests: its own data root, exec root, pidfile and socket.

``Dockerd.start()`` runs ``dockerd`` with no default bridge, no iptables and
no masquerading, so it touches nothing of the machine's own networking, and
returns once the engine answers on its unix socket. ``stop()`` removes every
container it ran and everything it wrote.

``unavailable_reason()`` says why no engine can be started here (not root,
no dockerd), or ``None``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import attrs

BINARY = "dockerd"
REQUIRED_ENV = "WATCHTOWER_E2E_REQUIRED"


def required() -> bool:
    """True when the environment says the end-to-end suite must run (``.ci/run`` sets it)."""
    return os.environ.get(REQUIRED_ENV, "").strip() not in ("", "0")


def unavailable_reason() -> str | None:
    """Why a private dockerd cannot be started on this machine, or ``None`` if it can."""
    if shutil.which(BINARY) is None:
        return "dockerd is not installed (Debian package docker.io)"
    if os.geteuid() != 0:
        return "starting dockerd needs root"
    return None


def tail(log: Path, lines: int = 15) -> str:
    """The last ``lines`` of an engine's log; empty when it cannot be read."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until_answering(
    what: str, process: subprocess.Popen[bytes], socket: Path, url: str, log: Path, timeout: float
) -> None:
    """Wait until ``process`` serves ``url`` at ``socket``; else raise, naming ``what``."""
    import docker

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start: {tail(log)}")
        if socket.exists():
            try:
                client = docker.DockerClient(base_url=url, version="auto", timeout=5)
                client.ping()
                client.close()
                return
            except Exception:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer in {timeout}s: {tail(log)}")
        time.sleep(0.1)


@attrs.define
class Dockerd:
    """A running private dockerd."""

    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def socket(self) -> Path:
        """The engine's unix socket."""
        return self.root / "docker.sock"

    @property
    def url(self) -> str:
        """The ``DOCKER_HOST`` value for this engine."""
        return f"unix://{self.socket}"

    @classmethod
    def start(cls, timeout: float = 60.0, extra_args: tuple[str, ...] = ()) -> Dockerd:
        """Start an engine in a fresh temporary directory and wait until it answers.

        ``extra_args`` are more ``dockerd`` options (``--registry-mirror=...``).

        Raises:
            RuntimeError: It did not come up; the message has the end of its log.
        """
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        # Unix socket paths are short (108 bytes): keep the root near /.
        root = Path(tempfile.mkdtemp(prefix="wt-dockerd-", dir="/tmp"))
        log_path = root / "dockerd.log"
        args = [
            BINARY,
            f"--data-root={root / 'data'}",
            f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'dockerd.pid'}",
            f"--host=unix://{root / 'docker.sock'}",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-masq=false",
            "--userland-proxy=false",
            "--log-level=warn",
            *extra_args,
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        engine = cls(root, process, log_path)
        try:
            engine._wait_ready(timeout)
        except BaseException:
            engine.stop()
            raise
        return engine

    def _wait_ready(self, timeout: float) -> None:
        wait_until_answering("dockerd", self.process, self.socket, self.url, self.log_path, timeout)

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the engine's log."""
        return tail(self.log_path, lines)

    def stop(self) -> None:
        """Remove its containers and networks, stop the engine and delete its directories."""
        if self.process.poll() is None:
            self._remove_containers_and_networks()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                # The daemon and the containerd it started share a session.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._unmount_all()
        shutil.rmtree(self.root, ignore_errors=True)

    def _remove_containers_and_networks(self) -> None:
        try:
            import docker

            client = docker.DockerClient(base_url=self.url, version="auto", timeout=30)
            for container in client.containers.list(all=True):
                with contextlib.suppress(Exception):
                    container.remove(force=True, v=True)
            # A user-defined bridge network is a host interface: remove it
            # while the engine still knows it.
            for network in client.networks.list():
                if network.name not in ("bridge", "host", "none"):
                    with contextlib.suppress(Exception):
                        network.remove()
            client.close()
        except Exception:
            pass

    def _unmount_all(self) -> None:
        # An engine killed mid-way may leave overlay and netns mounts behind,
        # which would make the directory impossible to delete.
        try:
            mounts = Path("/proc/self/mounts").read_text().splitlines()
        except OSError:
            return
        prefix = str(self.root)
        targets = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
        for target in sorted(targets, key=len, reverse=True):
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)
