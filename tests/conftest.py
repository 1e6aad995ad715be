"""Shared fixtures: the repository root, the datasets and a CLI runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEQGEN = [sys.executable, "-m", "seqgen"]


def dataset(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make install` (or `make data`) first")
    return path


@pytest.fixture
def dinos() -> Path:
    return dataset("dinos.txt")


def run_cli(*args, cwd=None, env=None, timeout=600, input=None) -> subprocess.CompletedProcess:
    """Run ``python -m seqgen ARGS`` in a real process and capture its output."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("COLUMNS", "200")
    return subprocess.run([*SEQGEN, *map(str, args)], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout, input=input)


@pytest.fixture
def cli():
    return run_cli


def free_loopback_ports(n: int) -> list[int]:
    """``n`` free TCP ports on 127.0.0.1 (for local multi-worker clusters)."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports
