"""What every bench script shares: the ``--quick`` flag.

``--quick`` runs the same code paths as the full bench, seqgen and the reference way
alike, with tiny sizes (iterations, text size, time budgets, repetitions), so that the
script ends in seconds. Its figures mean little; it is what ``tests/test_benches.py``
runs, so that a bench cannot rot unnoticed. Every bench prints at least one ratio as
``<number>×`` (a speed-up, a memory or perplexity ratio), the line that test looks for.
"""

from __future__ import annotations

import argparse


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
