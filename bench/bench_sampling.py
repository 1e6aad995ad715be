"""Generation at volume: batched sampling beside one-at-a-time sampling, in one run.

1. ``seqgen sample-dino -n N`` (shipped names model), whole process, for N = 1, 1,000 and
   1,000,000: wall time, time to the first name on a pipe, names per second and peak
   resident memory (``/usr/bin/time -f %M``) — memory must not grow with N.
2. In-process, the same model: names per second drawn one at a time (each name its own
   steps, as sample-dino drew them before) beside the batched sampler it uses now.
3. ``seqgen generate-poem -n K`` for K = 1, 8, 64, whole process and generation alone:
   the cost per continuation, batched (one matrix step for all K) beside K continuations
   made one after another.

Usage: .venv/bin/python bench/bench_sampling.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from benchkit import parse_args

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEQGEN = [sys.executable, "-m", "seqgen"]
QUICK = {"counts": [1, 100, 10_000], "one_at_a_time": 300, "samples": [1, 8],
         "length": 40}


def whole_process(args: list[str]) -> tuple[float, float, int]:
    """(seconds, seconds to the first stdout line, peak RSS in MB) of ``seqgen ARGS``."""
    cmd = ["/usr/bin/time", "-f", "%M", *SEQGEN, *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    first = time.perf_counter() - t0
    for _ in proc.stdout:  # read everything, as a consumer would
        pass
    err = proc.stderr.read().decode()
    proc.wait()
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"seqgen {' '.join(args)} failed:\n{err}")
    return seconds, first, int(err.strip().splitlines()[-1]) // 1024


def names_whole_process(counts: list[int]) -> None:
    print("sample-dino -n N, whole process (shipped model):")
    print(f"  {'N':>9} {'wall s':>8} {'first s':>8} {'names/s':>10} {'peak MB':>8}")
    peaks = []
    for n in counts:
        seconds, first, peak = whole_process(["sample-dino", "-n", str(n), "--seed", "1"])
        peaks.append(peak)
        print(f"  {n:>9,} {seconds:8.2f} {first:8.2f} {n / seconds:10,.0f} {peak:8d}")
    print(f"  peak memory, -n {counts[-1]:,} over -n {counts[0]:,}: {peaks[-1] / peaks[0]:.2f}×")


def names_in_process(n_single: int, n_batched: int) -> None:
    import numpy as np

    from seqgen.engine.generate import row_step, sample_names
    from seqgen.names.model import default_checkpoint, load_name_model, prime
    from tests.helpers.reference_names import one_name

    model = load_name_model(default_checkpoint())
    newline = model.vocab.index["\n"]
    t0 = time.perf_counter()
    for s in range(n_single):
        one_name(model, "", 1.0, 50, s)
    single = n_single / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    drawn = sample_names(row_step(model.cell, model.params), prime(model, ""), newline, 50,
                         1.0, np.random.default_rng(1), n_batched)
    made = sum(1 for _ in drawn)
    batched = made / (time.perf_counter() - t0)
    print("names per second, in process (shipped model):")
    print(f"  one at a time ({n_single:,} names)  {single:12,.0f}")
    print(f"  batched       ({n_batched:,} names)  {batched:12,.0f}")
    print(f"  speed-up                          {batched / single:12.1f}×")


def poems(samples: list[int], length: int) -> None:
    from seqgen.text.config import TextSampling
    from seqgen.text.model import generate_texts

    prompt = "shall i compare thee"
    print(f"generate-poem -n K, {length} characters each (shipped model):")
    print(f"  {'K':>4} {'whole s':>8} {'per sample':>10} {'vs K=1':>7} {'gen s':>7} "
          f"{'one by one s':>12} {'batched gain':>12}")
    base = None
    for k in samples:
        seconds, _, _ = whole_process(["generate-poem", prompt, "-n", str(k), "--seed", "1",
                                       "--length", str(length)])
        base = seconds if base is None else base
        t0 = time.perf_counter()
        for stream in generate_texts(prompt, TextSampling(length=length, samples=k), 1).streams:
            "".join(stream)
        batched = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(k):  # each continuation on its own: what -n K cost before
            one = generate_texts(prompt, TextSampling(length=length), 1 + i).streams[0]
            "".join(one)
        single = time.perf_counter() - t0
        print(f"  {k:>4} {seconds:8.2f} {seconds / k:10.3f} {seconds / base:6.2f}× "
              f"{batched:7.2f} {single:12.2f} {single / batched:11.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.set_defaults(counts=[1, 1000, 1_000_000], one_at_a_time=3000, samples=[1, 8, 64],
                        length=400)
    args = parse_args(parser, QUICK)
    names_whole_process(args.counts)
    names_in_process(args.one_at_a_time, max(args.counts))
    poems(args.samples, args.length)


if __name__ == "__main__":
    main()
