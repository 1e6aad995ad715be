"""generate-text across architectures: time to the first character and characters per second.

A GPT generates with a key/value cache (one row through the network per character, the
cache rebuilt from its last half every ``context / 2`` characters); the recurrent models
carry a state. This bench builds one checkpoint per architecture at the sizes train-text
uses for a multi-megabyte text (random weights: the cost does not depend on them), then
runs ``seqgen generate-text`` in a fresh process for each, side by side:

* time to the first character on a pipe (start-up, loading, reading the prompt),
* characters per second once streaming (a long run minus a one-character run),
* the GPT's cost without the cache, in process: a full pass over the window per
  character, as a model without a cache must do.

Usage: .venv/bin/python bench/bench_text_generation.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchkit import parse_args

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEQGEN = [sys.executable, "-m", "seqgen"]
PROMPT = "Shall I compare thee to a summer's day?\n"
QUICK = {"length": 120, "repeats": 1}


def checkpoint(folder: Path, shape, vocab: list[str]) -> Path:
    """A text-model checkpoint of ``shape`` with random weights."""
    from seqgen.checkpoints import save_checkpoint
    from seqgen.text.config import TextConfig
    from seqgen.text.schema import weight_shapes

    rng = np.random.default_rng(0)
    arrays = {k: rng.normal(0, 0.1, s).astype(np.float32)
              for k, s in weight_shapes(shape, len(vocab)).items()}
    for k in arrays:
        if k.endswith("_gamma"):
            arrays[k] += 1.0
    cfg = {**TextConfig().__dict__, "arch": shape.arch, "layers": shape.layers,
           "units": shape.units, "embed": shape.embed, "context": shape.context,
           "heads": shape.heads, "lowercase": False}
    out = folder / shape.arch
    save_checkpoint(out, "text-model", {"step": 0, "seed": 0, "config": cfg, "vocab": vocab,
                                        "metrics": {}}, arrays=arrays)
    return out


def first_and_rate(ckpt: Path, length: int, repeats: int) -> tuple[float, float]:
    """(seconds to the first character, characters per second streaming), medians."""
    firsts, rates = [], []
    for _ in range(repeats):
        cmd = [*SEQGEN, "generate-text", PROMPT, "--run", str(ckpt), "--seed", "1",
               "--length", str(length)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.read(len(PROMPT.encode()) + 1)  # the prompt, then the first new one
        first = time.perf_counter() - t0
        proc.stdout.read()
        proc.wait()
        total = time.perf_counter() - t0
        if proc.returncode:
            sys.exit(f"generate-text failed: {proc.stderr.read().decode()}")
        firsts.append(first)
        rates.append((length - 1) / max(total - first, 1e-9))
    return statistics.median(firsts), statistics.median(rates)


def uncached_rate(ckpt: Path, length: int) -> float:
    """Characters per second of the GPT when every character is a full pass (no cache)."""
    from seqgen.text.model import load_model, shape_of
    from seqgen.text.nets import net_from_arrays

    meta, arrays, _ = load_model(ckpt)
    net = net_from_arrays(shape_of(meta["config"]), arrays).net
    ids = np.zeros((1, net.context), dtype=np.intp)
    t0 = time.perf_counter()
    for _ in range(length):
        net.forward(ids)
    return length / (time.perf_counter() - t0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parse_args(parser, QUICK, argv)
    from seqgen.text.schema import Shape

    vocab = sorted(set((ROOT / "seqgen/assets/data/shakespeare.txt").read_text("utf-8")))
    shapes = [Shape("lstm", 2, 256, 32, 64), Shape("gru", 2, 256, 32, 64),
              Shape("gpt", 4, 128, 128, 64, heads=4)]
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        print(f"generate-text, prompt of {len(PROMPT)} characters, --length {args.length}, "
              f"median of {args.repeats}:")
        for shape in shapes:
            ckpt = checkpoint(Path(tmp), shape, vocab)
            first, rate = first_and_rate(ckpt, args.length, args.repeats)
            results[shape.arch] = (first, rate, ckpt)
            print(f"  {shape.describe():52s} first character {first:6.3f} s, "
                  f"{rate:8,.0f} chars/s")
        gpt_first, gpt_rate, gpt_ckpt = results["gpt"]
        lstm_first = results["lstm"][0]
        print(f"gpt / lstm time to the first character: {gpt_first / lstm_first:.2f}×")
        slow = uncached_rate(gpt_ckpt, min(args.length, 500))
        print(f"gpt with its key/value cache vs a full pass per character: "
              f"{gpt_rate / slow:.1f}× ({slow:,.0f} chars/s without the cache)")


if __name__ == "__main__":
    main()
