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
   ``heldout_nll`` and ``NameStore``, each in a fresh process with its peak RSS, next to today's way
   (``read_text`` + Python lists, all windows materialised, one stream with per-step
   logits) on an input small enough for it. Today's window and held-out code is kept as
   the reference in ``tests/helpers/reference_text.py``; today's feed, one epoch's windows
   through ``tf.data``, is :func:`epoch_batches` below.

Each comparison ends with a ``ratio ...: N×`` line. The script exits 1 when a measured
command failed (one stopped past the memory limit is reported, not counted as failed).

Usage: .venv/bin/python bench/bench_scale.py [--mb 20] [--names 2000000] [--quick]
           [--eval-chars N] [--skip-cli] [--skip-library]
       (a command past 6 GB is stopped; --mb 4 --names 200000 gives a first look in minutes;
       --quick: a 0.02 MB text, 10,000 names and a few steps of everything, in seconds)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchkit import SEQGEN, parse_args, python_command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SONNETS = ROOT / "seqgen" / "assets" / "data" / "shakespeare.txt"
DINOS = ROOT / "seqgen" / "assets" / "data" / "dinos.txt"
SHIPPED = ROOT / "seqgen" / "assets" / "shakespeare"

# the sizes of the full run that have no flag, then what --quick changes
SIZES = {"small_mb": 2.2, "heldout_chars": 20_000, "sampled_batches": 100, "train_steps": 50,
         "dino_iters": 2000, "matmul_seconds": 1.0, "feed_steps": 10, "feed_batches": (32, 128),
         "feed_rounds": 2}
QUICK = {"mb": 0.02, "names": 10_000, "eval_chars": 2000, "small_mb": 0.03,
         "heldout_chars": 1000, "sampled_batches": 10, "train_steps": 1, "dino_iters": 20,
         "matmul_seconds": 0.05, "feed_steps": 1, "feed_batches": (32,), "feed_rounds": 1}
FAILED: list[str] = []  # the labels of the measured commands that failed


# ---------------------------------------------------------------- inputs

def make_text(path: Path, megabytes: float, seed: int = 0) -> int:
    """The sonnets repeated to ``megabytes`` MB, each copy's lines shuffled; returns bytes."""
    lines = SONNETS.read_text(encoding="utf-8").splitlines(keepends=True)
    rng = np.random.default_rng(seed)
    target, written = int(megabytes * 1e6), 0
    with path.open("w", encoding="utf-8", newline="") as f:
        while written < target:
            chunk = "".join(lines[i] for i in rng.permutation(len(lines)))
            if written + len(chunk) > target:  # the last copy, cut at a line's end
                chunk = chunk[:chunk.rfind("\n", 0, target - written) + 1] or chunk
                target = 0
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

_PEAK = """
import json, resource, subprocess, sys, time
limit_kb = int(sys.argv[1])
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
killed = False
while p.poll() is None:  # a watchdog: today's way can need tens of GB on a big input
    try:
        with open(f"/proc/{p.pid}/status") as f:
            rss = next(int(x.split()[1]) for x in f if x.startswith("VmRSS"))
    except (OSError, StopIteration):
        rss = 0
    if rss > limit_kb:
        p.kill()
        killed = True
    time.sleep(0.1)
err = p.stderr.read()
print(json.dumps({"rc": p.returncode, "seconds": time.perf_counter() - t, "killed": killed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "stderr": err[-2000:]}))
"""
LIMIT_MB = 6000  # a command past this is stopped and reported as such


def measure(cmd: list[str], cwd: Path, env: dict | None = None) -> dict:
    """Run ``cmd`` in a fresh helper process; its exit code, wall time and peak RSS."""
    out = subprocess.run([sys.executable, "-c", _PEAK, str(LIMIT_MB * 1024), *cmd], cwd=cwd,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})})
    return json.loads(out.stdout)


def seqgen_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "seqgen"
    return [str(exe)] if exe.exists() and SEQGEN[1] == "-m" else SEQGEN


def show(label: str, r: dict, extra: str = "") -> None:
    """One measured command's line; a failure (not a stop past the limit) goes to FAILED."""
    status = "ok" if r["rc"] == 0 else f"exit {r['rc']}: " + r["stderr"].strip()[-300:]
    if r.get("killed"):
        status = f"stopped past {LIMIT_MB} MB"
    elif r["rc"] != 0:
        FAILED.append(label)
    print(f"  {label:44s} {r['peak_mb']:8.0f} MB {r['seconds']:8.1f} s  {extra} [{status}]")


def ratio(label: str, a: float, b: float) -> None:
    """``ratio LABEL: a/b×``, or ``n/a`` when either side has no figure."""
    value = f"{a / b:.2f}×" if b > 0 and math.isfinite(a / b) else "n/a"
    print(f"  ratio {label}: {value}")


def size(path: Path) -> str:
    """A file's size in MB, as a label says it: ``20 MB``, ``2.2 MB``, ``0.2 MB``."""
    return f"{path.stat().st_size / 1e6:.2g} MB"


def rate(r: dict) -> float:
    """Held-out characters per second of a measured piece (0 when it failed)."""
    return r.get("chars", 0) / r.get("seconds", 1)


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


def epoch_batches(trainer, X: np.ndarray, Y: np.ndarray):
    """Today's feed: one epoch of materialised windows as a distributed ``tf.data`` dataset,
    batches of the global batch with the short last one dropped (what the trainer's
    ``batches`` did before ``WindowSampler``)."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((X, Y)).batch(trainer.global_batch,
                                                          drop_remainder=True)
    return trainer.trainer.distribute(ds.prefetch(2))


def feed_speed(path: Path, steps: int = 30, batch: int = 32, seq_length: int = 64,
               rounds: int = 2) -> None:
    """Seconds per training step: today's tf.data epoch vs. one sampled batch per step."""
    from seqgen.keras_loop.distribute import get_strategy
    from seqgen.text.corpus import WindowSampler, load_corpus
    from seqgen.text.keras_model import TextTrainer
    from seqgen.text.schema import SHAKESPEARE_SHAPE
    from tests.helpers.reference_text import training_windows

    corpus = load_corpus(path, lowercase=True)
    strategy = get_strategy("default")
    trainer = TextTrainer(strategy, SHAKESPEARE_SHAPE, len(corpus.vocab), 0.4, 0.005, batch,
                          5.0, 0)
    rng = np.random.default_rng([0, 1])
    X, Y = training_windows(corpus.train_ids, seq_length, int(rng.integers(seq_length)))
    order = rng.permutation(len(X))
    sampler = WindowSampler(corpus.train_ids, seq_length, batch, 0)
    steps = min(steps, len(X) // batch - 1)  # one epoch of today's batches per round
    today, new = "tf.data over the epoch (today)", "WindowSampler + batch()"
    times = {today: [], new: []}
    for rnd in range(rounds):  # alternate, to share the machine's noise
        it = iter(epoch_batches(trainer, X[order], Y[order]))
        trainer.train_step(next(it))
        t = time.perf_counter()
        for _ in range(steps):
            trainer.train_step(next(it))
        times[today].append((time.perf_counter() - t) / steps)
        trainer.train_step(trainer.batch(*sampler.batch(0)))
        t = time.perf_counter()
        for s in range(steps):
            trainer.train_step(trainer.batch(*sampler.batch(rnd * steps + s)))
        times[new].append((time.perf_counter() - t) / steps)
    # multiply-adds per character: layer 1 input and recurrent, layer 2 both, dense;
    # a training step (forward + backward) ~ 3 forward passes, 2 FLOPs per multiply-add
    macs = 32 * 1024 + 3 * 256 * 1024 + 256 * len(corpus.vocab)
    flops = 3 * 2 * macs * batch * seq_length
    print(f"training step, batch {batch} x {seq_length}, 2 x LSTM(256), default strategy:")
    for label, ts in times.items():
        s = min(ts)
        print(f"  {label:34s} {s * 1e3:7.1f} ms/step  {batch * seq_length / s:8.0f} chars/s"
              f"  {flops / s / 1e9:6.1f} GFLOP/s")
    ratio(f"time per step, today/new, batch {batch}", min(times[today]), min(times[new]))


# ---------------------------------------------------------------- one piece, in a child

def corpus_today(data: str, arg: int) -> dict:
    """Whole text, Python list, one epoch's windows and ``X[order]``."""
    from seqgen.text.corpus import split_point
    from seqgen.textio import read_text
    from seqgen.vocab import Vocab
    from tests.helpers.reference_text import training_windows

    text = read_text(data).lower()
    vocab = Vocab.from_text(text)
    ids = np.array(vocab.encode(text), dtype=np.int32)
    rng = np.random.default_rng([0, 1])
    X, Y = training_windows(ids[:split_point(len(ids), 0.1)], 64, int(rng.integers(64)))
    order = rng.permutation(len(X))
    X, Y = X[order], Y[order]
    return {"batches": len(X) // 32}


def corpus_new(data: str, arg: int) -> dict:
    """Streamed ids, then ``arg`` sampled batches."""
    from seqgen.text.corpus import WindowSampler, load_corpus

    corpus = load_corpus(data, lowercase=True)
    sampler = WindowSampler(corpus.train_ids, 64, 32, 0)
    for step in range(arg):
        sampler.batch(step * 997)
    return {"batches": sampler.steps_per_epoch}


def shipped_corpus(data: str):
    """``data`` as ids of the shipped model's vocabulary."""
    from seqgen.text.corpus import load_corpus
    from seqgen.vocab import Vocab

    vocab = Vocab(json.loads((SHIPPED / "meta.json").read_text())["vocab"])
    return load_corpus(data, lowercase=True).with_vocab(vocab)


def scored_chars(corpus, arg: int) -> int:
    """Held-out characters a piece scores: ``arg`` of them, all when ``arg`` <= 0."""
    return len(corpus.val_ids) if arg <= 0 else min(arg, len(corpus.val_ids))


def heldout_today(data: str, arg: int) -> dict:
    """One stream, every step's logits, float64 (as ``evaluate`` did)."""
    from seqgen.engine.stacked import log_softmax_rows
    from tests.helpers.reference_text import heldout_stream

    corpus = shipped_corpus(data)
    m = scored_chars(corpus, arg)
    t0 = time.perf_counter()
    stack = shipped_stack(np.float64)
    inputs, targets = heldout_stream(corpus.ids[:corpus.n_train + m], corpus.n_train, 100)
    logits, _ = stack.logits_sequence(inputs)
    logp = log_softmax_rows(logits[len(inputs) - len(targets):])
    nll = float(-logp[np.arange(len(targets)), targets].mean())
    return {"nll": nll, "chars": m, "seconds": time.perf_counter() - t0}


def heldout_new(data: str, arg: int) -> dict:
    """``heldout_nll``: 64 streams in bounded memory, float32."""
    from seqgen.text.heldout import heldout_nll

    corpus = shipped_corpus(data)
    m = scored_chars(corpus, arg)
    t0 = time.perf_counter()
    nll = heldout_nll(shipped_stack(np.float32), corpus.ids, corpus.n_train, 100, max_chars=m,
                      streams=64)
    return {"nll": nll, "chars": m, "seconds": time.perf_counter() - t0}


def names_today(data: str, arg: int) -> dict:
    """Lists of strings and one array pair per name."""
    from seqgen.textio import read_text
    from seqgen.vocab import Vocab

    text = read_text(data, "names file")
    names = [n for n in (line.lower().strip() for line in text.splitlines()) if n]
    np.random.RandomState(0).shuffle(names)
    distinct = list(dict.fromkeys(names))
    held = set(distinct[len(distinct) - math.ceil(len(distinct) * 0.1):])
    train = [n for n in names if n not in held]
    vocab = Vocab.from_text("".join(names), always="\n")
    examples = [np.array([vocab.index[c] for c in n], dtype=np.intp) for n in train]
    return {"names": len(examples)}


def names_new(data: str, arg: int) -> dict:
    """``load_name_set``, the first ``arg`` training names encoded, all of them written."""
    from seqgen.names.store import load_name_set

    data_set = load_name_set(data, 0, 0.1)
    for _ in data_set.store.iter_encoded(data_set.train[:arg]):
        pass
    with open(os.devnull, "wb") as f:
        data_set.write_names(f)
    return {"names": len(data_set.train)}


PARTS = {"corpus-today": corpus_today, "corpus-new": corpus_new,
         "heldout-today": heldout_today, "heldout-new": heldout_new,
         "names-today": names_today, "names-new": names_new}


def part(name: str, data: str, arg: int) -> dict:
    """Run one measured piece in this (fresh) process; returns its figures. The held-out
    pieces time their scoring alone, the others everything."""
    t0 = time.perf_counter()
    out = PARTS[name](data, arg)
    return {"seconds": time.perf_counter() - t0, **out}


def run_part(name: str, data: Path, arg: int = 0, env: dict | None = None) -> dict:
    cmd = [*python_command(__file__), "--part", name, "--data", str(data), "--arg", str(arg)]
    r = measure(cmd, ROOT, env)
    if r["rc"] == 0:  # the child's figures: its last line on stderr
        r.update(json.loads(r["stderr"].strip().splitlines()[-1]))
    return r


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--names", type=int, default=2_000_000)
    ap.add_argument("--skip-cli", action="store_true", help="library pieces only")
    ap.add_argument("--skip-library", action="store_true", help="the real commands only")
    ap.add_argument("--eval-chars", type=int, default=0,
                    help="score only this many held-out characters of the big text "
                         "(0: the whole tail; memory is the same, the rate too)")
    ap.add_argument("--part", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--arg", type=int, default=0, help=argparse.SUPPRESS)
    ap.set_defaults(**SIZES)
    args = parse_args(ap, QUICK)
    if args.part:  # child mode: figures as one JSON line on stderr
        print(json.dumps(part(args.part, args.data, args.arg)), file=sys.stderr)
        return
    with tempfile.TemporaryDirectory(prefix="seqgen-bench-") as tmp:
        tmp = Path(tmp)
        big, small = tmp / "big.txt", tmp / "small.txt"
        names, few = tmp / "names.txt", tmp / "few_names.txt"
        print(f"inputs in {tmp}: text {make_text(big, args.mb) / 1e6:.2f} MB, "
              f"{make_text(small, min(args.small_mb, args.mb)) / 1e6:.2f} MB; names "
              f"{make_names(names, args.names) / 1e6:.1f} MB ({args.names:,}), "
              f"{make_names(few, args.names // 10) / 1e6:.1f} MB ({args.names // 10:,})")
        if not args.skip_library:
            library(big, small, names, few, args)
        if not args.skip_cli:
            cli(tmp, big, names, args)
    if FAILED:
        sys.exit(f"{len(FAILED)} measured command(s) failed: {'; '.join(FAILED)}")


def library(big: Path, small: Path, names: Path, few: Path, args) -> None:
    print("\nlibrary pieces, each in a fresh process (peak RSS includes Python + NumPy):")
    print(f"  {'':44s} {'peak RSS':>11s} {'wall':>10s}")
    library_corpus(big, small, args.sampled_batches)
    library_heldout(big, small, args.heldout_chars, args.eval_chars, args.matmul_seconds)
    library_names(names, few)


def library_corpus(big: Path, small: Path, batches: int) -> None:
    """Today's windows of one epoch against the streamed ids and ``batches`` sampled ones."""
    today = run_part("corpus-today", small)
    show(f"corpus today, {size(small)} (list, one epoch of X,Y)", today)
    new = run_part("corpus-new", small, batches)
    show(f"corpus new,   {size(small)}", new)
    show(f"corpus new,   {size(big)}", run_part("corpus-new", big, batches))
    ratio(f"corpus peak RSS, today/new, {size(small)}", today["peak_mb"], new["peak_mb"])


def library_heldout(big: Path, small: Path, m: int, eval_chars: int, seconds: float) -> None:
    """The held-out score of ``m`` characters, today's way and the new; then the new on the
    big text (``eval_chars`` of it), next to the arithmetic bound of this machine."""
    pair = {}
    for label, name, dtype in (("held-out today,", "heldout-today", "f64"),
                               ("held-out new,  ", "heldout-new", "f32")):
        r = pair[name] = run_part(name, small, m)
        show(f"{label} {size(small)}, {m:,} chars, {dtype}", r,
             f"{rate(r):8.0f} chars/s nll {r.get('nll', math.nan):.5f}")
    ratio(f"held-out chars/s, new/today, {size(small)}", rate(pair["heldout-new"]),
          rate(pair["heldout-today"]))
    achieved = 0.0
    for threads in ("", "1"):  # OpenBLAS's own threads, then one (better on a busy machine)
        r = run_part("heldout-new", big, eval_chars,
                     {"OPENBLAS_NUM_THREADS": threads} if threads else None)
        show(f"held-out new, {size(big)}, {r.get('chars', 0):,} chars, "
             f"BLAS threads {threads or 'default'}", r, f"{rate(r):8.0f} chars/s")
        achieved = max(achieved, rate(r))
    from seqgen.engine.scoring import flops_per_char

    fpc = flops_per_char(shipped_stack())
    for shape in ((64, 256, 1024), (4096, 256, 1024)):
        g = matmul_gflops(*shape, seconds=seconds)
        print(f"  arithmetic bound: {fpc / 1e6:.2f} MFLOP/char; NumPy f32 matmul "
              f"{shape} {g:6.1f} GFLOP/s -> {g * 1e9 / fpc:8.0f} chars/s; reached "
              f"{achieved * fpc / (g * 1e9):.0%}")


def library_names(names: Path, few: Path) -> None:
    """Today's lists of names against the name store, on a tenth of them; then all."""
    today = run_part("names-today", few)
    show("names today, 1/10 of them (lists + arrays)", today)
    new = run_part("names-new", few, 10**9)
    show("names new,   1/10 of them", new)
    show("names new,   all", run_part("names-new", names, 10**9))
    ratio("names peak RSS, today/new, 1/10 of them", today["peak_mb"], new["peak_mb"])


def cli(tmp: Path, big: Path, names: Path, args) -> None:
    print("\nthe real commands (peak RSS of the command's process):")
    sg = seqgen_cmd()
    steps, iters = args.train_steps, args.dino_iters
    r = measure([*sg, "train-shakespeare", "--max-steps", str(steps), "--data", str(big),
                 "--run", str(tmp / "run")], ROOT)
    ckpt = tmp / "run" / "meta.json"
    age = f"checkpoint written: {ckpt.exists()}"
    show(f"train-shakespeare --max-steps {steps}, big text", r, age)
    r = measure([*sg, "evaluate", "--data", str(big), "--run", str(SHIPPED)], ROOT)
    show("evaluate --data big (shipped model)", r)
    r = measure([*sg, "train-dino", "--data", str(names), "--run", str(tmp / "dino"),
                 "--iters", str(iters)], ROOT)
    show(f"train-dino on all names, {iters} iterations", r)
    print("\ntraining throughput (sonnets, in-process):")
    for batch in args.feed_batches:
        feed_speed(SONNETS, steps=args.feed_steps, batch=batch, rounds=args.feed_rounds)


if __name__ == "__main__":
    main()
