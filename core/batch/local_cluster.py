"""A real Ray cluster on this machine, for tests and benchmarks: a head and any number of worker
nodes started with the very commands of the README's "On a cluster" section (``ray start
--head --port P`` and ``ray start --address HOST:P``), each blocking in its own process group so
that stopping it stops exactly what it started. Token authentication is on, with a token file
of the cluster's own (``env`` is what a client needs in its environment to join).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.errors import StudioError

#: the ``ray`` command beside this interpreter (the venv's)
RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class LocalCluster:
    """cpus: logical CPUs of each node, head first, e.g. (1, 1) for two one-core nodes.

    Use as a context manager (or start()/stop()); ``address`` is "127.0.0.1:PORT".
    """

    def __init__(self, cpus: tuple[int, ...] = (2,), start_timeout_s: float = 180.0) -> None:
        self.cpus = tuple(cpus)
        self.timeout = start_timeout_s
        # short: Ray's socket paths live under it and a Unix socket path has ~107 characters
        self.temp_dir = Path(tempfile.mkdtemp(prefix="rc", dir="/tmp"))
        token = self.temp_dir / "auth_token"
        token.write_text(secrets.token_hex(32))
        self.env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token)}
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._procs: list[subprocess.Popen] = []

    def _start_node(self, args: list[str], cpus: int, n: int) -> None:
        log = self.temp_dir / f"node{n}.log"
        cmd = [RAY, "start", *args, "--num-cpus", str(cpus), "--disable-usage-stats", "--block",
               "--dashboard-agent-listen-port", str(free_port())]
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    env={**os.environ, **self.env}, start_new_session=True)
        self._procs.append(proc)
        deadline = time.monotonic() + self.timeout
        while "Ray runtime started" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:]
                self.stop()
                raise StudioError(f"Ray node {n} did not start ({tail.strip()[-300:]}).")
            time.sleep(0.2)

    def start(self) -> "LocalCluster":
        self._start_node(["--head", "--port", str(self.port), "--include-dashboard=false",
                          "--temp-dir", str(self.temp_dir)], self.cpus[0], 0)
        for n, cpus in enumerate(self.cpus[1:], start=1):
            self._start_node(["--address", self.address], cpus, n)
        return self

    def stop(self) -> None:
        """SIGTERM each node's ``ray start --block`` (Ray drains and stops what it started), then
        SIGKILL whatever is left of its own process group."""
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._procs.clear()
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def actors(self, class_name: str = "BatchWorker") -> list[dict]:
        """Ray's actor table rows of ``class_name`` (Pid, State, NumRestarts, Address...), read by
        a short-lived driver process joining the cluster (so any caller may ask, one joined to
        another Ray included)."""
        code = ("import json, ray; from ray._private import state; "
                f"ray.init(address={self.address!r}, log_to_driver=False, logging_level='ERROR'); "
                f"print(json.dumps([a for a in state.actors().values() "
                f"if a['ActorClassName'] == {class_name!r}], default=str))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, **self.env}, timeout=120, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
