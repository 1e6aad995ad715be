"""The code passes the project's strict ruff settings (pyproject.toml)."""

import subprocess
import sys

from tests.conftest import ROOT


def test_ruff_clean():
    # no cache: a stale cache can pass code that a fresh clone (CI) fails
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "seqgen", "tests",
                        "bench"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:]
