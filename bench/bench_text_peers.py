"""Text models beside nanoGPT's CPU recipe: test nats/char at equal training time, chars/s.

For each text, one after the other on the same machine, at the same training budget:

- seqgen, as a user runs it: ``seqgen train-text --data TEXT --run RUN --time-budget S``
  (the default model, which chooses its shape from the text's size), then
  ``seqgen evaluate --run RUN --part test``, whose ``test_loss=`` is the score;
- the peer: nanoGPT's CPU recipe rebuilt in Keras 3 (``bench/gpt_recipe.py``: a GPT of
  4 layers, 4 heads, width 128, context 64, batch 12, AdamW, warm-up and cosine decay
  over the budget, no dropout; compiled with XLA, the fastest way Keras runs it here),
  trained on the same training part for the same seconds.

"clock s" is what each budget counted: seqgen's training and its validations, the recipe's
steps, validation estimates and first (compiling) step. "chars/s" is training characters
per second of the optimiser steps alone, validation left out, on both sides.

The texts: the sonnets (both sides lower-cased, 120 s) and about 4.3 MB of public-domain
folk tunes in ABC notation (``bench/public_text.py``, 300 s). Each text is split the same
way for both sides: the last ``ceil(n / 10)`` characters are held out, the first half of
them validation (checkpoint choice), the rest the test part, scored whole, in nats per
character: seqgen with its own scorer (full preceding context), the peer in windows of 64
characters stepping by 32, each scoring its last 32 targets (33 to 64 characters of context).

Then each of seqgen's architectures (``--arch lstm|gru|gpt``, its sizes left to the rule)
trains briefly on the several-MB text, for its training speed in characters per second and
its share of the machine's float32 matmul peak, measured in the same run (TensorFlow, the
best of a few square products). Training FLOPs per character are estimated as
6 x parameters (forward and backward of every weight), plus, for a GPT, 12 x layers x
width x context for the attention scores and their weighted sum. Peak RSS is each
training process's own (``wait4``; this process imports no TensorFlow, so it adds little);
"cores" is that process's CPU seconds over its wall seconds: on a machine shared with other
jobs, a side that had less than the others' share of the two cores shows it there.

    .venv/bin/python bench/bench_text_peers.py [--sonnets-budget 120] [--text-budget 300]
        [--arch-budget 20] [--texts sonnets,abc,stdlib] [--archs lstm,gru,gpt]
        [--also "--arch gpt --layers 4 ..."] [--quick]

(``--also ARGS``: one more seqgen run on the several-MB text with these train-text options,
scored beside the others; ``--quick``: 30,000 characters of the standard library and of
the folk tunes, 1 s budgets, the gpt architecture only, one block and no XLA compilation for
either side's GPT, as a run of a second would spend it tracing and compiling: the same code
paths otherwise, the smoke test the suite runs.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import gpt_recipe  # noqa: E402
import public_text  # noqa: E402
from benchkit import SEQGEN, parse_args, python_command  # noqa: E402

QUICK = {"sonnets_budget": 1.0, "text_budget": 1.0, "arch_budget": 1.0, "texts": "stdlib",
         "archs": "gpt", "abc_chars": 30_000, "stdlib_chars": 30_000, "peak_size": 512,
         # a 1 s run would spend its time compiling (XLA) and tracing four blocks, either side
         "arch_options": ["--set", "xla=false", "--layers", "1"],
         "peer_options": ["--no-xla", "--layers", "1"]}
TEST_LOSS = re.compile(r"test_loss=([0-9.]+)")
# seqgen's sizing rule was chosen on scores of these two texts (and the peer got no tuning
# on any): their tables are shown for reference, never as the result
TUNED_ON = "[seqgen's defaults were chosen on this text: not a result]"


@dataclass(frozen=True)
class Proc:
    """A finished child process: exit status, wall seconds, its own peak RSS, its output."""

    returncode: int
    wall: float
    rss: int  # bytes
    cpu: float  # user + system seconds
    stdout: str
    stderr: str


def run(cmd: list[str], folder: Path, name: str) -> Proc:
    """Run ``cmd`` from the repository root, output to files in ``folder``; its own rusage."""
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=fo, stderr=fe, env=env)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    return Proc(p.returncode, wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime,
                out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace"))


def fail(what: str, proc: Proc) -> None:
    sys.exit(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def has_train_text() -> bool:
    r = subprocess.run([*SEQGEN, "--help"], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "200"})
    return "train-text" in r.stdout


# ---------------------------------------------------------------------------------------
# the two sides


@dataclass(frozen=True)
class Side:
    """One model's figures on one text."""

    name: str
    test_loss: float | None
    clock: float | None  # seconds the budget counted
    chars_per_s: float | None
    params: int | None
    flops_per_char: float | None
    rss: int  # bytes, the training process
    wall: float  # the training process, start to end
    cpu: float  # the training process's CPU seconds (cpu / wall: the cores it had)
    note: str = ""


def seqgen_flops(meta: dict) -> float:
    """6 x parameters, plus the attention term for a GPT (from the run's recorded shape)."""
    config = meta["config"]
    flops = 6.0 * meta["metrics"]["parameters"]
    if config["arch"] == "gpt":
        flops += 12.0 * config["layers"] * config["units"] * config["context"]
    return flops


def seqgen_train(data: Path, budget: float, run_dir: Path, logs: Path, name: str,
                 options: list[str], text: gpt_recipe.Text) -> Side:
    """``seqgen train-text`` in a fresh process; its figures from the run's ``meta.json``.

    Checks that seqgen split the text where the recipe does.
    """
    cmd = [*SEQGEN, "train-text", "--data", str(data), "--run", str(run_dir),
           "--time-budget", str(budget), *options]
    proc = run(cmd, logs, name)
    if proc.returncode != 0:
        fail(f"seqgen train-text {' '.join(options)}", proc)
    meta = json.loads((run_dir / "meta.json").read_text(encoding="utf-8"))
    split = meta["split"]
    if (split["characters"], split["train"], split["validation_end"]) != \
            (text.n, text.n_train, text.n_val_end):
        sys.exit(f"seqgen split the text as {split}, the recipe as "
                 f"{(text.n, text.n_train, text.n_val_end)}")
    # meta.json is the kept (best) checkpoint's; last/ is where the run stopped
    last = json.loads((run_dir / "last" / "meta.json").read_text(encoding="utf-8"))
    sized = meta.get("sized") or {}
    shape = ", ".join(f"{k} {v}" for k, v in sized.get("chosen", {}).items())
    note = (f"{last['step']} steps, kept step {meta['step']} (validation "
            f"{meta['metrics']['val_loss']:.4f})")
    if sized.get("rule"):
        note += f"; sized to {sized['rule']}: {shape}"
    return Side(name, None, last["state"]["seconds"], last["metrics"]["train_chars_per_s"],
                meta["metrics"]["parameters"], seqgen_flops(meta), proc.rss, proc.wall,
                proc.cpu, note)


def seqgen_test(run_dir: Path, logs: Path, name: str, text: gpt_recipe.Text) -> float:
    """``seqgen evaluate --part test``: the ``test_loss=`` of its stdout (checking that it
    scored as many characters as the recipe's test part has)."""
    proc = run([*SEQGEN, "evaluate", "--run", str(run_dir), "--part", "test"],
               logs, name)
    if proc.returncode != 0:
        fail("seqgen evaluate", proc)
    found = TEST_LOSS.search(proc.stdout)
    if not found:
        sys.exit(f"seqgen evaluate printed no test_loss=:\n{proc.stdout[-2000:]}")
    count = re.search(r"characters=(\d+)", proc.stdout)
    if count and int(count.group(1)) != text.n - text.n_val_end:
        sys.exit(f"seqgen scored {count.group(1)} test characters, the recipe "
                 f"{text.n - text.n_val_end}")
    return float(found.group(1))


def seqgen_side(data: Path, budget: float, folder: Path, name: str, options: list[str],
                text: gpt_recipe.Text) -> Side:
    run_dir = folder / name
    side = seqgen_train(data, budget, run_dir, folder, name, options, text)
    return replace(side, test_loss=seqgen_test(run_dir, folder, name + "-eval", text))


def peer_side(data: Path, budget: float, folder: Path, lowercase: bool,
              options: list[str]) -> Side:
    """The recipe in a fresh process (``bench/gpt_recipe.py OPTIONS``), trained and scored."""
    result = folder / "recipe.json"
    cmd = [*python_command(ROOT / "bench" / "gpt_recipe.py"), "--data", str(data),
           "--budget", str(budget), "--json", str(result), *options] + \
        (["--lowercase"] * lowercase)
    proc = run(cmd, folder, "recipe")
    if proc.returncode != 0:
        fail("the GPT recipe", proc)
    r = json.loads(result.read_text(encoding="utf-8"))
    note = (f"{r['steps']} steps, kept step {r['best_step']} "
            f"(validation estimate {r['best_val']:.4f})")
    return Side("GPT recipe", r["test_loss"], r["seconds"], r["chars_per_s"], r["params"],
                r["flops_per_char"], proc.rss, proc.wall, proc.cpu, note)


# ---------------------------------------------------------------------------------------
# the machine's matmul peak


def matmul_peak(size: int, folder: Path, name: str) -> float:
    """GFLOP/s of TensorFlow's float32 matmul, measured in a child process
    (``bench/matmul_peak.py``) so that this process stays small: a child's peak RSS starts
    from its parent's at the fork."""
    proc = run([*python_command(ROOT / "bench" / "matmul_peak.py"), "--size", str(size)],
               folder, name)
    if proc.returncode != 0:
        fail("the matmul peak", proc)
    return float(proc.stdout.split()[-1])


# ---------------------------------------------------------------------------------------
# reports


def mb(nbytes: int) -> str:
    return f"{nbytes / 2 ** 20:,.0f} MB"


def fmt(value, spec: str, none: str = "—") -> str:
    return none if value is None else format(value, spec)


def print_text_table(title: str, sides: list[Side], peer: Side, peak: float) -> None:
    print(f"\n{title}")
    w = max(len(s.name) for s in [*sides, peer])
    print(f"  {'':{w}} {'test nats/char':>14} {'bits':>6} {'clock s':>9} {'chars/s':>9} "
          f"{'params':>10} {'of peak':>7} {'peak RSS':>9} {'cores':>5}")
    for s in [*sides, peer]:
        bits = s.test_loss / math.log(2) if s.test_loss is not None else None
        print(f"  {s.name:{w}} {fmt(s.test_loss, '.4f'):>14} {fmt(bits, '.3f'):>6} "
              f"{fmt(s.clock, '.1f'):>9} {fmt(s.chars_per_s, ',.0f'):>9} "
              f"{fmt(s.params, ',d'):>10} {fmt(share(s, peak), '.1%'):>7} {mb(s.rss):>9} "
              f"{s.cpu / s.wall:5.2f}")
    for s in sides:
        if s.note:
            print(f"  {s.name}: {s.note}")
    print(f"  {peer.name}: {peer.note}")
    for s in sides:
        diff = s.test_loss - peer.test_loss
        verdict = "seqgen ahead" if diff < 0 else "the recipe ahead" if diff > 0 else "level"
        speed = (f"; chars/s {s.chars_per_s / peer.chars_per_s:.2f}× the recipe's"
                 if s.chars_per_s else "")
        print(f"  {s.name} − recipe: {diff:+.4f} nats/char ({verdict}); perplexity "
              f"{math.exp(s.test_loss):.3f} vs {math.exp(peer.test_loss):.3f}, "
              f"ratio {math.exp(diff):.3f}×{speed}")


def share(side: Side, peak: float) -> float | None:
    """The side's training arithmetic rate as a share of the matmul peak."""
    if not side.chars_per_s or not side.flops_per_char:
        return None
    return side.chars_per_s * side.flops_per_char / 1e9 / peak


def print_arch_table(rows: list[tuple[str, Side]], peak: float, budget: float) -> None:
    print(f"\nseqgen's architectures on the folk tunes, {budget:g} s each, beside the "
          f"recipe's run above (FLOPs/char = 6 x parameters, + 12 x layers x width x context "
          f"for a GPT)")
    print(f"  {'':22} {'params':>10} {'chars/s':>9} {'MFLOP/char':>10} {'GFLOP/s':>8} "
          f"{'of peak':>7} {'peak RSS':>9} {'cores':>5}  run")
    for name, side in rows:
        rate = side.chars_per_s * side.flops_per_char / 1e9 if share(side, peak) else None
        print(f"  {name:22} {fmt(side.params, ',d'):>10} {fmt(side.chars_per_s, ',.0f'):>9} "
              f"{fmt(side.flops_per_char and side.flops_per_char / 1e6, '.2f'):>10} "
              f"{fmt(rate, ',.1f'):>8} {fmt(share(side, peak), '.1%'):>7} "
              f"{mb(side.rss):>9} {side.cpu / side.wall:5.2f}  {side.note}")


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sonnets-budget", type=float, default=120.0,
                        help="training seconds of each side on the sonnets")
    parser.add_argument("--text-budget", type=float, default=300.0,
                        help="training seconds of each side on the several-MB text")
    parser.add_argument("--arch-budget", type=float, default=20.0,
                        help="training seconds of each architecture's speed run")
    parser.add_argument("--texts", default="stdlib",
                        help="which texts to compare on (comma-separated): stdlib (no default "
                             "was chosen on it: the result); sonnets, abc (the defaults were "
                             "chosen on their scores: shown, marked, not a result)")
    parser.set_defaults(arch_options=[], peer_options=[])
    parser.add_argument("--archs", default="lstm,gru,gpt",
                        help="seqgen architectures to time (comma-separated; '' for none)")
    parser.add_argument("--also", action="append", default=[], metavar="ARGS",
                        help="one more seqgen train-text run on the several-MB text, with "
                             "these options (repeatable)")
    parser.add_argument("--stdlib-chars", type=int, default=2_500_000,
                        help="characters of Python's standard library to use")
    parser.add_argument("--abc-chars", type=int, default=5_000_000,
                        help="cap of the folk-tune text (characters)")
    parser.add_argument("--peak-size", type=int, default=2048,
                        help="side of the square matmul that measures the peak (and twice "
                             "it), before the runs and after them")
    parser.add_argument("--keep", type=Path, help="keep runs and logs in this folder")
    args = parse_args(parser, QUICK)
    texts = [t for t in args.texts.split(",") if t]
    archs = [a for a in args.archs.split(",") if a]

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t_start = time.perf_counter()
        peaks = [matmul_peak(args.peak_size, folder, "peak-before")]
        ready = has_train_text()
        if not ready:
            print("seqgen has no train-text command yet: only the recipe's side runs")
        tables, peer_abc = [], None
        for which in texts:
            if which == "sonnets":
                from seqgen.datasets import builtin_path

                data, lowercase, budget = Path(builtin_path("shakespeare.txt")), True, \
                    args.sonnets_budget
                label = f"the sonnets, lower-cased {TUNED_ON}"
            elif which == "abc":
                data, lowercase, budget = public_text.build(folder, args.abc_chars), False, \
                    args.text_budget
                label = f"folk tunes in ABC ({public_text.describe(data)}) {TUNED_ON}"
            elif which == "stdlib":
                data, lowercase, budget = public_text.build_stdlib(folder, args.stdlib_chars), \
                    False, args.text_budget
                label = f"Python's standard library ({public_text.describe(data)})"
            else:
                sys.exit(f"unknown text {which!r}: sonnets, abc or stdlib")
            text = gpt_recipe.load_text(data, lowercase)
            sub = folder / which
            sub.mkdir(exist_ok=True)
            sides = []
            runs = [("seqgen train-text (default)", ["--lowercase"] * lowercase)]
            if which == "abc":
                runs += [(f"seqgen {opts}", shlex.split(opts)) for opts in args.also]
            for i, (name, options) in enumerate(runs if ready else []):
                progress(f"{which}: {name}, {budget:g} s …")
                side = seqgen_side(data, budget, sub, f"seqgen{i}", options, text)
                sides.append(replace(side, name=name))
            progress(f"{which}: the GPT recipe, {budget:g} s …")
            peer = peer_side(data, budget, sub, lowercase, args.peer_options)
            peer_abc = peer if which == "abc" else peer_abc
            tables.append((f"{label}: {text.n:,} characters, {len(text.chars)} symbols; test = "
                           f"the last {text.n - text.n_val_end:,}; budget {budget:g} s each",
                           sides, peer))

        rows = []
        if ready and archs:
            data = public_text.build(folder, args.abc_chars)
            text = gpt_recipe.load_text(data)
            sub = folder / "archs"
            sub.mkdir(exist_ok=True)
            for arch in archs:
                progress(f"speed: --arch {arch}, {args.arch_budget:g} s …")
                rows.append((f"seqgen --arch {arch}",
                             seqgen_train(data, args.arch_budget, sub / arch, sub, arch,
                                          ["--arch", arch, *args.arch_options], text)))
            if peer_abc:
                rows.append(("GPT recipe", replace(peer_abc, note="gpt, 4 blocks of width "
                                                   "128, 4 heads, context 64, batch 12")))
        peaks.append(matmul_peak(args.peak_size, folder, "peak-after"))
        peak = max(peaks)

        print(f"matmul peak: {peak:,.0f} GFLOP/s (TensorFlow float32, {args.peak_size}² and "
              f"{2 * args.peak_size}², best of 5; {peaks[0]:,.0f} before the runs, "
              f"{peaks[1]:,.0f} after)")
        for title, sides, peer in tables:
            if sides:
                print_text_table(title, sides, peer, peak)
            else:
                print(f"\n{title}\n  recipe: test {peer.test_loss:.4f} nats/char, "
                      f"{peer.chars_per_s:,.0f} chars/s, {mb(peer.rss)}; {peer.note}")
                print(f"  recipe's arithmetic rate / matmul peak: {share(peer, peak):.2f}×")
        if rows:
            print_arch_table(rows, peak, args.arch_budget)
        print(f"\n(whole bench {time.perf_counter() - t_start:.0f} s; load average over the "
              f"last 15 min {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
