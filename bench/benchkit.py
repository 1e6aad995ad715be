"""What every bench script shares: the ``--quick`` flag.

``--quick`` runs the same code paths as the full bench, seqgen and the reference way
alike, with tiny sizes (iterations, text size, time budgets, repetitions), so that the
script ends in seconds. Its figures mean little; it is what ``tests/test_benches.py``
runs, so that a bench cannot rot unnoticed. Every bench prints at least one ratio as
``<number>×`` (a speed-up, a memory or perplexity ratio), the line that test looks for.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_command(*argv) -> list[str]:
    """The command line of ``python ARGV``: this interpreter, or, when the test suite runs
    the bench (``SEQGEN_ZYGOTE`` names its zygote's socket), a small launcher that forks the
    process from a zygote that has already imported TensorFlow (``tests/helpers/zygote.py``)
    -- the same process, minus seconds of start-up. Full benches start every process from
    scratch, as a user's would."""
    socket = os.environ.get("SEQGEN_ZYGOTE")
    if socket:
        return [sys.executable, str(ROOT / "tests" / "helpers" / "zygote.py"), "--via", socket,
                *map(str, argv)]
    return [sys.executable, *map(str, argv)]


SEQGEN = python_command("-m", "seqgen")  # ``seqgen`` as the benches start it


def parse_args(parser: argparse.ArgumentParser, quick: dict,
               argv: list[str] | None = None) -> argparse.Namespace:
    """Add ``--quick`` to ``parser`` and parse the command line.

    With ``--quick`` the values in ``quick`` become the defaults: options of ``parser``,
    or sizes it has no option for, declared with ``parser.set_defaults`` next to their
    full-run values. An option given on the command line still wins.
    """
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes: the same code paths in seconds (a smoke test; the "
                             "figures mean little)")
    if parser.parse_known_args(argv)[0].quick:
        parser.set_defaults(**quick)
    return parser.parse_args(argv)
