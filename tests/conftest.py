import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None, ranks=None):
    """Run the cqdfem command in a subprocess; returns CompletedProcess (text)."""
    cmd = [sys.executable, "-m", "cqdfem", *map(str, args)]
    if ranks:
        cmd = ["mpirun", "-n", str(ranks), *cmd]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(cmd, cwd=cwd or ROOT, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def comm():
    from mpi4py import MPI

    return MPI.COMM_WORLD
