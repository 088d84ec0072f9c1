"""A disposable single Elasticsearch node that a fault scenario may kill and restart.

It runs the same server as ``scripts/test-elasticsearch`` (the cached integ-test zip in
``.cache/elasticsearch/``) with its own configuration, data and port, so killing it never disturbs the
shared test node. ``kill()`` sends SIGKILL to the server process, as an out-of-memory kill or a crashed
host would; ``start()`` again reuses the data folder and port, so the node recovers what it had
acknowledged (its translog is synced on every request by default).
"""

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Final

import urllib3

from hybridwatch.errors import HybridwatchError

log = logging.getLogger(__name__)

ROOT: Final = Path(__file__).resolve().parent.parent
ES_VERSION: Final = os.environ.get("HYBRIDWATCH_TEST_ES_VERSION", "9.5.0")
ES_HOME: Final = ROOT / ".cache" / "elasticsearch" / f"elasticsearch-{ES_VERSION}"
#: The system user the server runs as when we are root (Elasticsearch refuses root); the test script's.
ES_USER: Final = "hybridwatch-es"
#: A cold start on a busy 2-core machine takes 20-60 s; a recovery after SIGKILL about as long.
STARTUP_TIMEOUT_S: Final = 240.0
HEALTHY_QUERY: Final = "wait_for_status=yellow&timeout=1s"
#: Heap as the shared test node; C1-only JIT, because this node lives for a minute and a few thousand
#: documents, so a faster start (measured about a third less on a busy 2-core machine) beats peak speed.
JAVA_OPTS: Final = "-Xms512m -Xmx512m -XX:TieredStopAtLevel=1"


class NodeError(HybridwatchError):
    """The disposable node could not be started (no server unpacked, no Java 21+, not healthy in time)."""


def find_java() -> Path:
    """A Java 21+ home, looked up like ``scripts/test-elasticsearch`` does."""
    candidates = [os.environ.get("ES_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    candidates += [str(p) for p in sorted(Path("/usr/lib/jvm").glob("*"))]
    for candidate in filter(None, candidates):
        java = Path(candidate) / "bin" / "java"
        if not java.exists():
            continue
        version = subprocess.run([str(java), "-version"], capture_output=True, text=True).stderr
        major = version.split('"')[1].split(".")[0] if '"' in version else "0"
        if major.isdigit() and int(major) >= 21:
            return Path(candidate)
    raise NodeError("no Java 21+ found (set ES_JAVA_HOME); Elasticsearch 9 needs it")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DisposableNode:
    """One Elasticsearch node in a folder of its own; start, kill -9, start again, stop."""

    def __init__(self) -> None:
        # Not under the caller's (pytest's) temporary folder: those are private to their owner, and as
        # root the server runs as another user, which must reach its configuration and data.
        self.workdir = Path(tempfile.mkdtemp(prefix="hybridwatch-faults-es-"))
        self.workdir.chmod(0o755)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._pid_file = self.workdir / "pid"

    @property
    def pid(self) -> int | None:
        try:
            return int(self._pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def start(self) -> str:
        """Start the node (keeping earlier data) and wait until it is healthy; return its URL."""
        if not (ES_HOME / "bin" / "elasticsearch").exists():
            raise NodeError(f"{ES_HOME} is missing; run `scripts/test-elasticsearch start` once to unpack it")
        config = self.workdir / "config"
        if not config.exists():
            shutil.copytree(ES_HOME / "config", config)
        for folder in ("data", "logs"):
            (self.workdir / folder).mkdir(parents=True, exist_ok=True)
        self._pid_file.unlink(missing_ok=True)
        as_user: list[str] = []
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", ES_USER, str(self.workdir)], check=True)
            as_user = ["runuser", "-u", ES_USER, "--"]
        env = {
            **os.environ,
            "ES_JAVA_HOME": str(find_java()),
            "ES_JAVA_OPTS": JAVA_OPTS,
            "ES_PATH_CONF": str(config),
        }
        command = [
            *as_user,
            "env",
            f"ES_JAVA_HOME={env['ES_JAVA_HOME']}",
            f"ES_JAVA_OPTS={env['ES_JAVA_OPTS']}",
            f"ES_PATH_CONF={config}",
            str(ES_HOME / "bin" / "elasticsearch"),
            "-d",
            "-p",
            str(self._pid_file),
            "-Ecluster.name=hybridwatch-faults",
            "-Enode.name=fault-node",
            "-Ediscovery.type=single-node",
            "-Enetwork.host=127.0.0.1",
            f"-Ehttp.port={self.port}",
            "-Ecluster.routing.allocation.disk.threshold_enabled=false",
            "-Expack.security.enabled=false",
            f"-Epath.data={self.workdir / 'data'}",
            f"-Epath.logs={self.workdir / 'logs'}",
        ]
        with (self.workdir / "stdout.log").open("ab") as out:
            started = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=300)
        if started.returncode != 0:
            raise NodeError(f"Elasticsearch did not start; see {self.workdir / 'stdout.log'}")
        self._wait_healthy()
        return self.url

    def _wait_healthy(self) -> None:
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1.0, read=5.0), retries=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                response = http.request("GET", f"{self.url}/_cluster/health?{HEALTHY_QUERY}")
                if response.status == 200:
                    log.info("disposable Elasticsearch ready at %s", self.url)
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.5)
        self.kill()
        raise NodeError(f"Elasticsearch at {self.url} not healthy after {STARTUP_TIMEOUT_S:.0f}s")

    def kill(self) -> None:
        """SIGKILL the server process (no shutdown hooks, no flush) and wait until it is gone."""
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        for _ in range(100):
            if not _alive(pid):
                break
            time.sleep(0.1)
        self._pid_file.unlink(missing_ok=True)
        log.info("disposable Elasticsearch %s killed (pid %d)", self.url, pid)

    def stop(self) -> None:
        """Stop the node for good and delete its folder."""
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of ours stays a zombie until reaped; the daemonised server is not our child.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
