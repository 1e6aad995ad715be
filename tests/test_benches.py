"""The benches cannot rot: every ``bench/bench_*.py --quick`` runs and prints its figures.

``--quick`` takes the same code paths as the full bench, seqgen and the reference way side
by side, with tiny sizes, so each script ends in seconds (the full ones take minutes and
are run by hand, ``make bench``). A bench added under ``bench/`` is picked up by the glob.
Each must exit 0 and print at least one ratio as a number followed by ``×`` (a speed-up,
a memory or perplexity ratio): a bench that printed nothing useful, or only ``nan×``, fails.
"""

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, process_env

pytestmark = pytest.mark.slow

BENCHES = sorted(ROOT.glob("bench/bench_*.py"))
FIGURE = re.compile(r"\d×")  # "1.8×", "26× real time"; not "nan×" or "inf×"
NO_FIGURE = re.compile(r"(nan|inf)×")


@pytest.mark.parametrize("script", BENCHES, ids=lambda path: path.stem)
def test_bench_quick_runs(script):
    r = subprocess.run([sys.executable, str(script), "--quick"], cwd=ROOT,
                       env=process_env({"PYTHONIOENCODING": "utf-8"}), capture_output=True,
                       text=True, encoding="utf-8", timeout=300)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    assert FIGURE.search(r.stdout), r.stdout[-3000:]
    assert not NO_FIGURE.search(r.stdout), r.stdout[-3000:]
