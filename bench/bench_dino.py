"""Benchmark: seqgen's dinosaur-name trainer against the reference way, side by side.

1. Whole process, the reference schedule (22,001 iterations, reports every 1000):
   `seqgen train-dino --iters 22001` against the reference-style loop of
   bench/dino_reference.py, run alternately; prints both medians and the speed-up.
2. Held-out loss (10% of the names held out): the reference schedule (SGD, one name
   per step, 22,001 iterations) against mini-batch training with Adam, which stops
   as soon as it reaches the reference's held-out loss; prints both wall times.

Usage: .venv/bin/python bench/bench_dino.py [--repeats 3] [--iters 22001] [--data FILE]
           [--quick]
       (--quick: one repeat of 300 iterations, both sides; a smoke test in seconds)
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import parse_args

from seqgen.datasets import builtin_path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUICK = {"repeats": 1, "iters": 300, "heldout_iters": 300, "batched_iters": 300}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd=ROOT)
    return time.perf_counter() - start


def whole_process(data: str, iters: int, repeats: int) -> None:
    seqgen_times, ref_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        seqgen_cmd = [sys.executable, "-m", "seqgen", "train-dino", "--iters", str(iters),
                      "--data", data, "--run", f"{tmp}/run"]
        ref_cmd = [sys.executable, str(ROOT / "bench" / "dino_reference.py"), data, str(iters)]
        for _ in range(repeats):
            seqgen_times.append(timed(seqgen_cmd))
            ref_times.append(timed(ref_cmd))
    s, r = statistics.median(seqgen_times), statistics.median(ref_times)
    print(f"reference schedule, {iters} iterations, whole process, median of {repeats}:")
    print(f"  reference loop     {r:7.2f} s")
    print(f"  seqgen train-dino  {s:7.2f} s")
    print(f"  speed-up           {r / s:7.2f}×")


def held_out(data: str, iters: int, batched_iters: int) -> None:
    """The reference SGD schedule of ``iters`` names, then mini-batches with Adam (at most
    ``batched_iters`` updates) until they reach its held-out loss; both wall times."""
    from seqgen.names.config import DinoConfig
    from seqgen.names.train import train_dino

    with tempfile.TemporaryDirectory() as tmp:
        sgd = DinoConfig(data=data, run=f"{tmp}/sgd", val_split=0.1, save_every=10**9,
                         iters=iters)
        start = time.perf_counter()
        ref = train_dino(sgd)
        sgd_time = time.perf_counter() - start
        target = ref.val_loss
        batched = dataclasses.replace(sgd, run=f"{tmp}/batched", batch_size=16,
                                      iters=batched_iters, report_every=20, report_names=0)
        start = time.perf_counter()
        got = train_dino(batched, target_val_loss=target)
        batch_time = time.perf_counter() - start
    print("held-out loss, 10% of the names held out (nats per character):")
    print(f"  reference schedule (SGD, {iters} names)  val_loss {target:.4f}  {sgd_time:6.2f} s")
    print(f"  mini-batch 16 + Adam, until it matches val_loss {got.val_loss:.4f}  "
          f"{batch_time:6.2f} s after {got.step} updates")
    print(f"  time ratio        {batch_time / sgd_time:6.3f}× (goal <= 0.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iters", type=int, default=22001)
    parser.add_argument("--data", default=str(builtin_path("dinos.txt")))
    parser.set_defaults(heldout_iters=22001, batched_iters=5000)  # the held-out race's sizes
    args = parse_args(parser, QUICK)
    whole_process(args.data, args.iters, args.repeats)
    held_out(args.data, args.heldout_iters, args.batched_iters)


if __name__ == "__main__":
    main()
