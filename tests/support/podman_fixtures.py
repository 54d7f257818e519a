"""A private Podman serving its Docker-compatible API, and the session fixture that runs it.

``Podman.start()`` runs ``podman system service`` rootful, with its own
storage (``--root``/``--runroot``), its own ``containers.conf`` (container
rlimits within this machine's hard limits, CNI networks under the temporary
directory, cgroupfs, file events) and its own ``registries.conf`` (the test
registries as insecure, since Podman, unlike Docker, does not trust
127.0.0.0/8 over plain HTTP). ``stop()`` removes every container it ran and
everything it wrote.

``podman_engine`` is one service for the whole session; ``dockerd`` in
:mod:`tests.support.e2e_fixtures` hands it to the tests run with
``engine_kind`` ``podman``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from . import registry as registry_support
from .dockerd import tail, wait_until_answering
from .e2e_fixtures import SESSION_PREFIX, unavailable

BINARY = "podman"

#: Where CNI's host-local plugin keeps the addresses it handed out.
CNI_ADDRESSES = Path("/var/lib/cni/networks")


def unavailable_reason() -> str | None:
    """Why Podman cannot be started here, or ``None`` if it can."""
    if shutil.which(BINARY) is None:
        return "podman is not installed (Debian package podman)"
    if os.geteuid() != 0:
        return "a rootful Podman needs root"
    return None


def _ulimit(kind: int, wanted: int) -> int:
    # Podman's default container rlimits exceed the hard limits of some
    # machines, where every start fails with "error setting rlimit"; values
    # just under the hard limit failed there too, so these stay modest.
    hard = resource.getrlimit(kind)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)


def _containers_conf(root: Path) -> str:
    nofile = _ulimit(resource.RLIMIT_NOFILE, 1024)
    nproc = _ulimit(resource.RLIMIT_NPROC, 4096)
    return f"""\
[containers]
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]

[network]
network_backend = "cni"
network_config_dir = "{root / "networks"}"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{root / "events.log"}"
tmp_dir = "{root / "tmp"}"
"""


@attrs.define
class Podman:
    """A running private Podman API service."""

    root: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    insecure: list[str] = attrs.field(factory=list)

    @property
    def socket(self) -> Path:
        """The service's unix socket."""
        return self.root / "podman.sock"

    @property
    def url(self) -> str:
        """The ``DOCKER_HOST`` value for this engine."""
        return f"unix://{self.socket}"

    @staticmethod
    def command(root: Path) -> list[str]:
        """``podman`` with this engine's storage, for its service and its clean-up."""
        return [BINARY, f"--root={root / 'storage'}", f"--runroot={root / 'run'}"]

    @staticmethod
    def environment(root: Path) -> dict[str, str]:
        """The environment that points Podman at this engine's configuration files."""
        return {
            **os.environ,
            "CONTAINERS_CONF": str(root / "containers.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(root / "registries.conf"),
        }

    @classmethod
    def start(cls, insecure: tuple[str, ...] = (), timeout: float = 60.0) -> Podman:
        """Start a service in a fresh temporary directory and wait until it answers.

        ``insecure`` are registries (``127.0.0.1:PORT``) reached over plain HTTP.

        Raises:
            RuntimeError: It did not come up; the message has the end of its log.
        """
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        # Unix socket paths are short (108 bytes): keep the root near /.
        root = Path(tempfile.mkdtemp(prefix="wt-podman-", dir="/tmp"))
        for directory in ("networks", "tmp"):
            (root / directory).mkdir()
        (root / "containers.conf").write_text(_containers_conf(root))
        log_path = root / "podman.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*cls.command(root), "system", "service", "--time=0", f"unix://{root}/podman.sock"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=cls.environment(root),
            )
        engine = cls(root, process, log_path)
        engine._write_registries(list(insecure))
        try:
            engine._wait_ready(timeout)
        except BaseException:
            engine.stop()
            raise
        return engine

    def trust(self, host: str) -> None:
        """Reach the registry ``host`` over plain HTTP from now on."""
        self._write_registries([*self.insecure, host])
        # The service reads registries.conf again on SIGHUP.
        self.process.send_signal(signal.SIGHUP)

    def _write_registries(self, hosts: list[str]) -> None:
        self.insecure = hosts
        entries = "".join(f'[[registry]]\nlocation = "{h}"\ninsecure = true\n\n' for h in hosts)
        (self.root / "registries.conf").write_text(
            f"unqualified-search-registries = []\n\n{entries}"
        )

    def _wait_ready(self, timeout: float) -> None:
        wait_until_answering("podman", self.process, self.socket, self.url, self.log_path, timeout)

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the service's log."""
        return tail(self.log_path, lines)

    def stop(self) -> None:
        """Remove its containers and networks, stop the service and delete its directories."""
        # Containers outlive the service (conmon holds them): remove them first.
        self._podman("rm", "--all", "--force", "--volumes", "--time=0")
        self._podman("network", "prune", "--force")
        # CNI's host-local addresses live outside the root, a directory for
        # each network the tests made (and named) in this session.
        for directory in CNI_ADDRESSES.glob(f"{SESSION_PREFIX}*"):
            shutil.rmtree(directory, ignore_errors=True)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._wait_for_helpers()
        self._unmount_all()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait_for_helpers(self, timeout: float = 15.0) -> None:
        # Each container's conmon runs a "podman container cleanup" when it
        # exits, which writes under the root again: wait until none is left.
        # An exec session's conmon waits 300 s (--exit-delay) before its own
        # clean-up, of a container already removed: it is ended instead.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = False
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                with contextlib.suppress(OSError):
                    argv = cmdline.read_bytes().split(b"\0")
                    if not any(str(self.root).encode() in arg for arg in argv):
                        continue
                    if argv[0].endswith(b"conmon") and b"--exec-attach" in argv:
                        os.kill(int(cmdline.parent.name), signal.SIGKILL)
                    alive = True
            if not alive:
                return
            time.sleep(0.2)

    def _podman(self, *args: str) -> str:
        done = subprocess.run(
            [*self.command(self.root), *args],
            env=self.environment(self.root),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        return done.stdout

    def _unmount_all(self) -> None:
        try:
            mounts = Path("/proc/self/mounts").read_text().splitlines()
        except OSError:
            return
        prefix = str(self.root)
        targets = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
        for target in sorted(targets, key=len, reverse=True):
            subprocess.run(["umount", "-l", target], capture_output=True, check=False)


@pytest.fixture(scope="session")
def podman_engine(e2e_registry: registry_support.RegistryServer) -> Iterator[Podman]:
    """A private Podman for the whole session, trusting the session's registry."""
    reason = unavailable_reason()
    if reason is not None:
        unavailable(reason)
    try:
        engine = Podman.start(insecure=(e2e_registry.host,))
    except RuntimeError as error:
        unavailable(f"podman did not start: {error}")
        raise
    try:
        yield engine
    finally:
        with contextlib.suppress(Exception):
            engine.stop()


__all__ = ["Podman", "podman_engine", "unavailable_reason"]
