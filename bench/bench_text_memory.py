"""Memory and start-up of train-text on a big text: the first run (encodes the text and
writes its token file) beside later runs (map the token file), for every architecture.

A text of ``--megabytes`` MB (the sonnets' lines shuffled, repeated) is written to a
temporary folder. ``seqgen train-text --max-steps 3`` (the model sized to the text: for a
big text a 2 x 256 GRU, batch 128) then runs in fresh processes:

1. the first run: two passes over the text, the id array built in memory, the token file
   written beside the text (``.seqgen-cache/``) -- this is how every run read its text
   before token files;
2. the same command again, and one run each with ``--arch lstm`` and ``--arch gpt`` (their
   default sizes): the ids are memory-mapped from the token file.

For each: peak resident memory of the whole process (``/usr/bin/time -f %M``) and wall
time. The goal: a 1 GB text trains under 1.5 GB peak, and later runs skip the encoding.

Usage: .venv/bin/python bench/bench_text_memory.py [--megabytes 1000] [--archs lstm,gpt] [--quick]
       (--quick: a 1.2 MB text, narrow layers, the first run and the mapped one only)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchkit import SEQGEN, parse_args

ROOT = Path(__file__).resolve().parent.parent
# still over the 1 MB from which a token file is written; narrow layers, so the few steps
# are quick (the reading of the text, which this bench is about, is the same)
QUICK = {"megabytes": 1.2, "model": ["--units", "32", "--set", "xla=false"], "archs": ""}
SHORT = ["--max-steps", "3", "--eval-every", "3", "--set", "val_max_chars=20000"]


def write_text(path: Path, megabytes: float) -> None:
    lines = (ROOT / "seqgen/assets/data/shakespeare.txt").read_text("utf-8").splitlines(True)
    rng = np.random.default_rng(0)
    size = 0
    with path.open("w", encoding="utf-8") as f:
        while size < megabytes * 1e6:
            piece = "".join(lines[i] for i in rng.permutation(len(lines)))
            f.write(piece)
            size += len(piece)


def measured(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of ``seqgen ARGS`` in a fresh process."""
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", *SEQGEN, *args], cwd=ROOT,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"seqgen {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    return wall, int(r.stderr.strip().splitlines()[-1]) / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1000.0)
    parser.add_argument("--archs", default="lstm,gpt",
                        help="the other architectures run on the mapped file ('' for none)")
    parser.set_defaults(model=[])  # the default sizes
    args = parse_args(parser, QUICK, argv)
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "big.txt"
        write_text(text, args.megabytes)
        mb = text.stat().st_size / 1e6
        print(f"train-text --max-steps 3 on a {mb:,.0f} MB text, whole process:")
        rows = []
        runs = [("first run (encodes, writes the token file)", []),
                ("again (maps the token file)", [])]
        runs += [(f"maps the token file, --arch {a}", ["--arch", a])
                 for a in args.archs.split(",") if a]
        for label, extra in runs:
            out = Path(tmp) / f"run{len(rows)}"
            wall, peak = measured(["train-text", "--data", str(text), "--run", str(out),
                                   *extra, *args.model, *SHORT])
            rows.append((label, wall, peak))
            print(f"  {label:44s} {wall:7.1f} s  peak RSS {peak:7.0f} MB")
        cold, warm = rows[0], rows[1]
        print(f"later runs vs the first: {cold[1] / warm[1]:.1f}× faster to finish, peak RSS "
              f"{warm[2] / cold[2]:.2f}× ({warm[2] - cold[2]:+.0f} MB)")
        print(f"largest peak of a mapped run: {max(r[2] for r in rows[1:]):.0f} MB for "
              f"{mb:,.0f} MB of text")


if __name__ == "__main__":
    main()
