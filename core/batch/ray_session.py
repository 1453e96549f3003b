"""Where a batch's workers run: an embedded local Ray (the default: no server to start) or an
existing cluster (``ray start --head`` on one node, ``ray start --address HEAD:PORT`` on the
others) joined by address.

Workers import this project from the driver's checkout path (PYTHONPATH: inherited by the local
Ray, in the job's runtime environment on a cluster), so every node needs the project and its venv
at that same path, and the inputs and DIR on a path every node sees the same way. Each worker
process is held to the threads Ray reserved for it (OMP/MKL/OpenBLAS variables set before numpy
loads).
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from core.errors import StudioError

#: the checkout the workers import (parent of core/)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: shared memory Ray may use for objects; a batch only moves small records
OBJECT_STORE_BYTES = 96 * 1024 * 1024


def local_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _worker_env(threads: int) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
    n = str(threads)
    return {"PYTHONPATH": path, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n}


@contextlib.contextmanager
def scoped_environ(values: dict[str, str]) -> Iterator[None]:
    """os.environ with ``values`` set, restored on leaving."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check_reachable(address: str) -> None:
    """Fail in a second with a sentence when nothing listens at host:port (Ray itself retries
    for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise StudioError(f"--ray {address}: give the head's address as HOST:PORT (the port "
                          "'ray start --head --port' printed, 6379 by default) or 'auto'.")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            pass
    except OSError:
        raise StudioError(f"No Ray cluster answers at {address}; start one with 'ray start --head "
                          f"--port {port}' (see the README's 'On a cluster') or leave out --ray "
                          "to run on this machine.") from None


@contextlib.contextmanager
def ray_session(address: str | None, num_cpus: int, threads: int) -> Iterator[None]:
    """Ray for one batch run, shut down (or disconnected) on leaving.

    address: None starts an embedded local Ray with ``num_cpus`` logical CPUs; "auto" or
        "HOST:PORT" joins a running cluster (num_cpus is then the cluster's).
    threads: OMP/MKL/OpenBLAS threads of every worker process.
    raises: StudioError when the cluster cannot be reached.
    """
    import ray
    from ray.exceptions import AuthenticationError

    if ray.is_initialized():          # somebody else's session (a caller that set one up)
        yield
        return
    kwargs = dict(logging_level=logging.WARNING, log_to_driver=False)
    # Ray warns on every start that it turned token authentication on; that is its default.
    quiet = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        if address:
            if address != "auto":
                _check_reachable(address)
            try:
                ray.init(address=address, runtime_env={"env_vars": _worker_env(threads)},
                         **kwargs)
            except ConnectionError as exc:
                if isinstance(exc.__cause__, AuthenticationError):
                    raise StudioError(
                        f"The Ray cluster at {address} wants its auth token; set RAY_AUTH_MODE="
                        "token and give this machine the cluster's token (~/.ray/auth_token or "
                        "RAY_AUTH_TOKEN), as the README's 'On a cluster' says.") from None
                raise StudioError(f"Could not join the Ray cluster at {address} "
                                  f"({' '.join(str(exc).split())[:200]}); check the address or "
                                  "leave out --ray to run on this machine.") from None
        else:                      # the local raylet and its workers inherit this environment
            with scoped_environ(_worker_env(threads)):
                ray.init(num_cpus=num_cpus, include_dashboard=False,
                         object_store_memory=OBJECT_STORE_BYTES, **kwargs)
        quiet.setLevel(level)
        yield
    finally:
        quiet.setLevel(level)
        if ray.is_initialized():
            ray.shutdown()


def cluster_worker_slots(threads: int) -> int:
    """How many workers of ``threads`` CPUs the connected cluster's alive nodes hold."""
    import ray

    slots = 0
    for node in ray.nodes():
        if node.get("Alive"):
            slots += int(node.get("Resources", {}).get("CPU", 0)) // max(1, threads)
    return slots
