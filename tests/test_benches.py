"""The benches cannot rot: every ``bench/bench_*.py --quick`` runs and prints its figures.

``--quick`` takes the same code paths as the full bench, seqgen and the reference way side
by side, with tiny sizes, so each script ends in seconds (the full ones take minutes and
are run by hand, ``make bench``). Here the script and each process it starts that imports
TensorFlow are forked from the suite's zygote (``tests/helpers/zygote.py``), which has
already imported it. A bench added under ``bench/`` is picked up by the glob.
Each must exit 0 and print at least one ratio as a number followed by ``×`` (a speed-up,
a memory or perplexity ratio): a bench that printed nothing useful, or only ``nan×``, fails.
"""

import re
import subprocess

import pytest

from tests.conftest import ROOT, python_process

pytestmark = pytest.mark.slow

BENCHES = sorted(ROOT.glob("bench/bench_*.py"))
FIGURE = re.compile(r"\d×")  # "1.8×", "26× real time"; not "nan×" or "inf×"
NO_FIGURE = re.compile(r"(nan|inf)×")


@pytest.mark.parametrize("script", BENCHES, ids=lambda path: path.stem)
def test_bench_quick_runs(script):
    proc = python_process([script, "--quick"], env={"PYTHONIOENCODING": "utf-8"},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (out[-2000:], err[-3000:])
    assert FIGURE.search(out), out[-3000:]
    assert not NO_FIGURE.search(out), out[-3000:]
