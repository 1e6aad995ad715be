"""Benchmark: seqgen on large inputs, with today's way side by side where it can run.

Builds its inputs in a temporary folder (never committed):
- a 20+ MB text: the sonnets repeated, each copy with its lines in another order (so the
  vocabulary is the shipped model's 38 characters and ``evaluate`` can score it);
- 2,000,000 synthetic names: syllables of the dinosaur names recombined.

Then runs the real CLI (``.venv/bin/seqgen`` or ``python -m seqgen``) and measures each
child's peak resident memory (``resource.getrusage(RUSAGE_CHILDREN)`` of a fresh helper
process per command) and wall time:
1. ``train-shakespeare --max-steps 50`` on the big text (target <= 1.5 GB; the first
   checkpoint's age when it appears); training characters per second.
2. ``evaluate --data BIG`` with the shipped model (target <= 700 MB, >= 60,000 held-out
   characters per second), next to the arithmetic bound of the formulation
   (FLOPs per character vs. NumPy's measured matmul GFLOP/s on this machine).
3. ``train-dino`` on 2,000,000 names (target <= 300 MB).
4. The library pieces alone, in-process: ``load_corpus``, ``WindowSampler``,
   ``heldout_nll`` and ``NameStore`` with their peak traced memory, next to today's way
   (``read_text`` + Python lists, all windows materialised, one stream with per-step
   logits) on an input small enough for it.

Usage: .venv/bin/python bench/bench_scale.py [--mb 20] [--names 2000000] [--quick]
       (--quick: 4 MB and 200,000 names, for a first look)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SONNETS = ROOT / "seqgen" / "assets" / "data" / "shakespeare.txt"
DINOS = ROOT / "seqgen" / "assets" / "data" / "dinos.txt"
SHIPPED = ROOT / "seqgen" / "assets" / "shakespeare"


# ---------------------------------------------------------------- inputs

def make_text(path: Path, megabytes: float, seed: int = 0) -> int:
    """The sonnets repeated to ``megabytes`` MB, each copy's lines shuffled; returns bytes."""
    lines = SONNETS.read_text(encoding="utf-8").splitlines(keepends=True)
    rng = np.random.default_rng(seed)
    target, written = int(megabytes * 1e6), 0
    with path.open("w", encoding="utf-8", newline="") as f:
        while written < target:
            chunk = "".join(lines[i] for i in rng.permutation(len(lines)))
            f.write(chunk)
            written += len(chunk.encode("utf-8"))
    return written


def make_names(path: Path, count: int, seed: int = 0) -> int:
    """``count`` names glued from pieces of the dinosaur names; returns bytes."""
    names = [n.strip().lower() for n in DINOS.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if len(n) >= 4]
    heads = sorted({n[:len(n) // 2] for n in names})
    tails = sorted({n[len(n) // 2:] for n in names})
    rng = np.random.default_rng(seed)
    written = 0
    with path.open("w", encoding="utf-8") as f:
        for start in range(0, count, 100_000):
            k = min(100_000, count - start)
            h = rng.integers(len(heads), size=k)
            t = rng.integers(len(tails), size=k)
            block = "".join(f"{heads[a].capitalize()}{tails[b]}\n" for a, b in zip(h, t))
            f.write(block)
            written += len(block)
    return written


# ---------------------------------------------------------------- measuring a command

_PEAK = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
         "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
         "stderr=subprocess.PIPE, text=True); "
         "print(json.dumps({'rc': p.returncode, 'seconds': time.perf_counter() - t, "
         "'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "
         "'stderr': p.stderr[-2000:]}))")


def measure(cmd: list[str], cwd: Path) -> dict:
    """Run ``cmd`` in a fresh helper process; its exit code, wall time and peak RSS."""
    out = subprocess.run([sys.executable, "-c", _PEAK, *cmd], cwd=cwd, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def seqgen_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "seqgen"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "seqgen"]


def show(label: str, r: dict, extra: str = "") -> None:
    status = "ok" if r["rc"] == 0 else f"exit {r['rc']}: " + r["stderr"].strip()[-300:]
    print(f"  {label:44s} {r['peak_mb']:8.0f} MB {r['seconds']:8.1f} s  {extra} [{status}]")


# ---------------------------------------------------------------- arithmetic bound

def matmul_gflops(m: int, k: int, n: int, dtype=np.float32, seconds: float = 1.0) -> float:
    """NumPy's measured GFLOP/s on an ``(m, k) @ (k, n)`` product."""
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32).astype(dtype)
    b = rng.random((k, n), dtype=np.float32).astype(dtype)
    a @ b
    reps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        reps += 1
    return 2 * m * k * n * reps / (time.perf_counter() - start) / 1e9


def shipped_stack(dtype=np.float32):
    from seqgen.engine.stacked import CharLSTMStack, LSTMLayer

    arrays = dict(np.load(SHIPPED / "weights.npz"))
    layers = [LSTMLayer(arrays[f"lstm{k}_kernel"], arrays[f"lstm{k}_recurrent"],
                        arrays[f"lstm{k}_bias"]) for k in (1, 2)]
    return CharLSTMStack.from_embedding(arrays["embedding"], layers, arrays["dense_kernel"],
                                        arrays["dense_bias"], dtype=dtype)


def feed_speed(path: Path, steps: int = 30, batch: int = 32, seq_length: int = 64) -> None:
    """Seconds per training step: today's tf.data epoch vs. one sampled batch per step."""
    from seqgen.keras_models.distribute import get_strategy
    from seqgen.keras_models.shakespeare import ShakespeareTrainer
    from seqgen.text.corpus import WindowSampler, load_corpus, training_windows

    corpus = load_corpus(path)
    strategy = get_strategy("default")
    trainer = ShakespeareTrainer(strategy, len(corpus.vocab), 32, 256, 0.4, 0.005, batch,
                                 5.0, 0)
    rng = np.random.default_rng([0, 1])
    X, Y = training_windows(corpus.train_ids, seq_length, int(rng.integers(seq_length)))
    order = rng.permutation(len(X))
    sampler = WindowSampler(corpus.train_ids, seq_length, batch, 0)
    times = {"tf.data over the epoch (today)": [], "WindowSampler + batch()": []}
    for rnd in range(2):  # alternate, to share the machine's noise
        it = iter(trainer.batches(X[order], Y[order]))
        trainer.train_step(next(it))
        t = time.perf_counter()
        for _ in range(steps):
            trainer.train_step(next(it))
        times["tf.data over the epoch (today)"].append((time.perf_counter() - t) / steps)
        trainer.train_step(trainer.batch(*sampler.batch(0)))
        t = time.perf_counter()
        for s in range(steps):
            trainer.train_step(trainer.batch(*sampler.batch(rnd * steps + s)))
        times["WindowSampler + batch()"].append((time.perf_counter() - t) / steps)
    # multiply-adds per character: layer 1 input and recurrent, layer 2 both, dense;
    # a training step (forward + backward) ~ 3 forward passes, 2 FLOPs per multiply-add
    macs = 32 * 1024 + 3 * 256 * 1024 + 256 * len(corpus.vocab)
    flops = 3 * 2 * macs * batch * seq_length
    print(f"training step, batch {batch} x {seq_length}, 2 x LSTM(256), default strategy:")
    for label, ts in times.items():
        s = min(ts)
        print(f"  {label:34s} {s * 1e3:7.1f} ms/step  {batch * seq_length / s:8.0f} chars/s"
              f"  {flops / s / 1e9:6.1f} GFLOP/s")
