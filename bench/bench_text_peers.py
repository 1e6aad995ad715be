"""Text models beside nanoGPT's CPU recipe: test nats/char at equal training time, chars/s.

For each text and each budget, one run after the other on the same machine, each side
trained for the same seconds and scored on the same test part:

- **seqgen**, as a user runs it: ``seqgen train-text --data TEXT --run RUN --time-budget S
  --seed K`` (the default model, which chooses its shape from the text's size), then
  ``seqgen evaluate --run RUN --part test``, whose ``test_loss=`` is the score;
- **nanoGPT**: its documented CPU recipe in PyTorch (``bench/peers/nanogpt_torch.py``, run
  in the bench's own PyTorch environment, ``bench/.venv-torch``, built on first use from the
  package index): 4 layers, 4 heads, width 128, context 64, batch 12, AdamW, 100 warm-up
  steps and a cosine decay over 2,000 steps, no dropout, as nanoGPT's ``train.py`` runs it;
- **the GPT recipe**: the same recipe rebuilt in Keras 3 (``bench/gpt_recipe.py``; its
  decay follows the time budget; compiled with XLA), the peer of the earlier tables, one
  seed by default.

The texts, neither of which any seqgen default was chosen on: Python's standard library
(code, case kept) and the German manual pages installed on the machine (German technical
prose), both built by ``bench/public_text.py``. The sonnets and the folk tunes in ABC can be
added (``--texts``), marked: seqgen's defaults were chosen on them, so their figures are
never results. Each text is split the same way for every side: the last ``ceil(n / 10)``
characters are held out, the first half of them validation (checkpoint choice), the rest
the test part, scored whole, in nats per character: seqgen with its own scorer (all the
preceding text as context), the two GPTs in windows of 64 characters stepping by 32, each
scoring its last 32 targets (33 to 64 characters of context: as much as their model reads).

"clock s" is what each budget counted: seqgen's training and validations, the recipes'
steps, validation estimates and (Keras) first compiling step. "chars/s" is training
characters per second of the optimiser steps alone, on every side. Training FLOPs per
character are estimated as 6 x parameters (forward and backward of every weight), plus,
for a GPT, 12 x layers x width x context for the attention; "of peak" is that rate over the
machine's float32 matmul peak, measured in the same run (TensorFlow, the best of a few
square products). Then each of seqgen's architectures (``--arch lstm|gru|gpt``, sizes
left to the rule) trains briefly on the folk tunes for its speed and share of the peak.
Peak RSS is each training process's own (``wait4``); "cores" is its CPU seconds over its
wall seconds: a side that had less than the others' share of the two cores shows it there.

    .venv/bin/python bench/bench_text_peers.py [--texts stdlib,manpages] [--budgets 60,300]
        [--seeds 2] [--sides seqgen,nanogpt,nanogpt-fit,recipe] [--recipe-seeds 1]
        [--arch-budget 20]
        [--archs lstm,gru,gpt] [--also "--arch gpt ..."] [--keep DIR] [--quick]

(``--also ARGS``: one more seqgen run on the folk tunes with these train-text options;
``--quick``: 30,000 characters of the standard library, 1 s budgets, one seed, seqgen and
the Keras recipe only (the PyTorch environment is not built), the gpt architecture only,
one block and no XLA for either side's GPT: the smoke test the suite runs.)
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

QUICK = {"sonnets_budget": 1.0, "budgets": "1", "arch_budget": 1.0, "texts": "stdlib",
         "archs": "gpt", "abc_chars": 30_000, "stdlib_chars": 30_000, "peak_size": 512,
         "sides": "seqgen,recipe", "seeds": 1,  # the PyTorch side needs its own environment
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


def peer_side(data: Path, budget: float, folder: Path, name: str, lowercase: bool,
              seed: int, options: list[str]) -> Side:
    """The Keras recipe in a fresh process (``bench/gpt_recipe.py``), trained and scored."""
    cmd = python_command(ROOT / "bench" / "gpt_recipe.py")
    return _script_side(cmd, data, budget, folder, name, lowercase, seed, options, "GPT recipe")


def nanogpt_side(data: Path, budget: float, folder: Path, name: str, lowercase: bool,
                 seed: int, options: list[str]) -> Side:
    """nanoGPT's recipe in PyTorch (``bench/peers/nanogpt_torch.py``) in the bench's own
    PyTorch environment, trained and scored."""
    cmd = [str(torch_python()), str(ROOT / "bench" / "peers" / "nanogpt_torch.py")]
    return _script_side(cmd, data, budget, folder, name, lowercase, seed, options, "nanoGPT")


def _script_side(cmd: list[str], data: Path, budget: float, folder: Path, name: str,
                 lowercase: bool, seed: int, options: list[str], label: str) -> Side:
    """A GPT side's script run with the bench's arguments; its figures from its JSON."""
    result = folder / f"{name}.json"
    cmd = [*cmd, "--data", str(data), "--budget", str(budget), "--seed", str(seed),
           "--json", str(result), *options] + ["--lowercase"] * lowercase
    proc = run(cmd, folder, name)
    if proc.returncode != 0:
        fail(label, proc)
    r = json.loads(result.read_text(encoding="utf-8"))
    note = (f"{r['steps']} steps, kept step {r['best_step']} "
            f"(validation estimate {r['best_val']:.4f})")
    return Side(label, r["test_loss"], r["seconds"], r["chars_per_s"], r["params"],
                r["flops_per_char"], proc.rss, proc.wall, proc.cpu, note)


TORCH_VENV = ROOT / "bench" / ".venv-torch"
TORCH = "torch==2.13.0"  # the CPU build, from the package index


def torch_python() -> Path:
    """The interpreter of the bench's own PyTorch environment, built on first use
    (``python -m venv`` and ``pip install torch numpy``: a minute or so, once). seqgen's
    environment never holds PyTorch."""
    python = TORCH_VENV / "bin" / "python"
    probe = [str(python), "-c", "import torch, numpy"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    progress(f"building {TORCH_VENV.relative_to(ROOT)} ({TORCH}, numpy) …")
    base = getattr(sys, "_base_executable", sys.executable)
    for cmd in ([base, "-m", "venv", "--clear", str(TORCH_VENV)],
                [str(python), "-m", "pip", "install", "--quiet", TORCH, "numpy"]):
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"cannot build the PyTorch environment: {' '.join(cmd)}\n"
                     f"{done.stderr[-2000:]}")
    return python


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


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


GOALS = {60.0: 0.0, 300.0: -0.05}  # seqgen minus nanoGPT, mean of the seeds, at most


def print_text_table(title: str, runs: dict[str, list[Side]], peak: float,
                     budget: float) -> None:
    """One text at one budget: each side's test score per seed and their mean, its speed,
    and seqgen's margin over each peer."""
    print(f"\n{title}")
    w = max(len(name) for name in runs)
    cw = max(8 * max(len(sides) for sides in runs.values()), 25)
    print(f"  {'':{w}} {'test nats/char, each seed':>{cw}} {'mean':>7} "
          f"{'clock s':>8} {'chars/s':>8} {'params':>9} {'of peak':>7} {'peak RSS':>9} "
          f"{'cores':>5}")
    for name, sides in runs.items():
        each = " ".join(f"{x.test_loss:7.4f}" for x in sides)
        print(f"  {name:{w}} {each:>{cw}} {mean(x.test_loss for x in sides):7.4f} "
              f"{mean(x.clock for x in sides):8.1f} "
              f"{fmt(mean(x.chars_per_s for x in sides), ',.0f'):>8} "
              f"{fmt(sides[0].params, ',d'):>9} "
              f"{fmt(mean(share(x, peak) for x in sides), '.1%'):>7} "
              f"{mb(max(x.rss for x in sides)):>9} "
              f"{mean(x.cpu / x.wall for x in sides):5.2f}")
    for name, sides in runs.items():
        for i, x in enumerate(sides):
            if x.note:
                print(f"  {name}, seed {i}: {x.note}")
    names = list(runs)
    if not names[0].startswith("seqgen"):
        return  # the margins are seqgen's
    ours = mean(x.test_loss for x in runs[names[0]])
    for peer in names[1:]:
        theirs = mean(x.test_loss for x in runs[peer])
        diff = ours - theirs
        verdict = "seqgen ahead" if diff < 0 else "the peer ahead" if diff > 0 else "level"
        line = (f"  {names[0]} − {peer}: {diff:+.4f} nats/char ({verdict}; mean of "
                f"{len(runs[peer])} seed(s)), perplexity ratio {math.exp(diff):.3f}×")
        print(line)
    nano = [mean(x.test_loss for x in runs[n]) for n in names if n.startswith("nanoGPT")]
    if nano and budget in GOALS:  # against nanoGPT at its best, either schedule
        diff = ours - min(nano)
        met = "met" if diff <= GOALS[budget] else "not met"
        print(f"  goal at {budget:g} s: {names[0]} − the better nanoGPT ≤ "
              f"{GOALS[budget]:+.2f} nats/char: {diff:+.4f}, {met}")


def share(side: Side, peak: float) -> float | None:
    """The side's training arithmetic rate as a share of the matmul peak."""
    if not side.chars_per_s or not side.flops_per_char:
        return None
    return side.chars_per_s * side.flops_per_char / 1e9 / peak


def print_arch_table(rows: list[tuple[str, Side]], peak: float, budget: float) -> None:
    print(f"\nseqgen's architectures on the folk tunes, {budget:g} s each (FLOPs/char = "
          f"6 x parameters, + 12 x layers x width x context for a GPT)")
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


SIDE_NAMES = {"seqgen": "seqgen train-text (default)", "nanogpt": "nanoGPT (PyTorch)",
              "nanogpt-fit": "nanoGPT, decay over the budget", "recipe": "GPT recipe (Keras)"}


def load(which: str, folder: Path, args) -> tuple[Path, bool, list[float], str]:
    """A text of the bench: its file, whether it is lower-cased, its budgets, its label."""
    budgets = [float(b) for b in args.budgets.split(",")]
    if which == "sonnets":
        from seqgen.datasets import builtin_path

        return (Path(builtin_path("shakespeare.txt")), True, [args.sonnets_budget],
                f"the sonnets, lower-cased {TUNED_ON}")
    if which == "abc":
        data = public_text.build(folder, args.abc_chars)
        return data, False, budgets, f"folk tunes in ABC ({public_text.describe(data)}) {TUNED_ON}"
    if which == "stdlib":
        data = public_text.build_stdlib(folder, args.stdlib_chars)
        return data, False, budgets, f"Python's standard library ({public_text.describe(data)})"
    if which == "manpages":
        data = public_text.build_manpages(folder, args.manpages_chars)
        return data, False, budgets, f"German manual pages ({public_text.describe(data)})"
    sys.exit(f"unknown text {which!r}: stdlib, manpages, sonnets or abc")


def compare(which: str, data: Path, lowercase: bool, budget: float, folder: Path, args,
            sides: list[str]) -> dict[str, list[Side]]:
    """Every side on one text at one budget, one seed after the other, one run at a time."""
    text = gpt_recipe.load_text(data, lowercase)
    sub = folder / f"{which}-{budget:g}s"
    sub.mkdir(parents=True, exist_ok=True)
    runs = {SIDE_NAMES[side]: [] for side in sides}
    extra = [(f"seqgen {opts}", shlex.split(opts)) for opts in args.also] \
        if which == "abc" else []
    runs.update({name: [] for name, _ in extra})
    for seed in range(args.seeds):
        for side in sides:
            if side == "recipe" and seed >= args.recipe_seeds:
                continue
            progress(f"{which}, {budget:g} s, seed {seed}: {SIDE_NAMES[side]} …")
            name = f"{side}{seed}"
            if side == "seqgen":
                options = ["--lowercase"] * lowercase + ["--seed", str(seed)]
                got = seqgen_side(data, budget, sub, name, options, text)
            elif side.startswith("nanogpt"):
                fit = ["--decay-over-budget"] * (side == "nanogpt-fit")
                got = nanogpt_side(data, budget, sub, name, lowercase, 1337 + seed,
                                   [*args.nanogpt_options, *fit])
            else:
                got = peer_side(data, budget, sub, name, lowercase, 1337 + seed,
                                args.peer_options)
            runs[SIDE_NAMES[side]].append(got)
        for i, (label, options) in enumerate(extra if seed == 0 else []):
            progress(f"{which}, {budget:g} s: {label} …")
            runs[label].append(seqgen_side(data, budget, sub, f"also{i}", options, text))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", default="stdlib,manpages",
                        help="texts to compare on (comma-separated): stdlib, manpages (no "
                             "default was chosen on them: the results); sonnets, abc (the "
                             "defaults were chosen on their scores: shown, marked, not a "
                             "result)")
    parser.add_argument("--budgets", default="60,300",
                        help="training seconds of each side on each text (comma-separated)")
    parser.add_argument("--sonnets-budget", type=float, default=120.0,
                        help="training seconds of each side on the sonnets")
    parser.add_argument("--sides", default="seqgen,nanogpt,recipe",
                        help="seqgen (the default train-text), nanogpt (PyTorch, as "
                             "documented), nanogpt-fit (its decay over the budget), recipe "
                             "(Keras); the margins are the first side's, when it is seqgen")
    parser.add_argument("--seeds", type=int, default=2, help="seeds of each side")
    parser.add_argument("--recipe-seeds", type=int, default=1,
                        help="seeds of the Keras recipe (the slowest peer, kept for "
                             "continuity with earlier tables)")
    parser.add_argument("--arch-budget", type=float, default=20.0,
                        help="training seconds of each architecture's speed run")
    parser.set_defaults(arch_options=[], peer_options=[], nanogpt_options=[])
    parser.add_argument("--archs", default="lstm,gru,gpt",
                        help="seqgen architectures to time (comma-separated; '' for none)")
    parser.add_argument("--also", action="append", default=[], metavar="ARGS",
                        help="one more seqgen train-text run on the folk tunes, with these "
                             "options (repeatable)")
    parser.add_argument("--stdlib-chars", type=int, default=2_500_000,
                        help="characters of Python's standard library to use")
    parser.add_argument("--manpages-chars", type=int, default=public_text.MANPAGES_CAP,
                        help="cap of the German manual pages (characters)")
    parser.add_argument("--abc-chars", type=int, default=5_000_000,
                        help="cap of the folk-tune text (characters)")
    parser.add_argument("--peak-size", type=int, default=2048,
                        help="side of the square matmul that measures the peak (and twice "
                             "it), before the runs and after them")
    parser.add_argument("--keep", type=Path, help="keep runs and logs in this folder")
    args = parse_args(parser, QUICK)
    texts = [t for t in args.texts.split(",") if t]
    archs = [a for a in args.archs.split(",") if a]
    sides = [x for x in args.sides.split(",") if x]
    if not sides or any(x not in SIDE_NAMES for x in sides):
        sys.exit(f"--sides: any of {', '.join(SIDE_NAMES)}; got {args.sides!r}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        t_start = time.perf_counter()
        peaks = [matmul_peak(args.peak_size, folder, "peak-before")]
        if any(x.startswith("nanogpt") for x in sides):
            torch_python()  # built before any clock starts
        tables = []
        for which in texts:
            data, lowercase, budgets, label = load(which, folder, args)
            text = gpt_recipe.load_text(data, lowercase)
            for budget in budgets:
                runs = compare(which, data, lowercase, budget, folder, args, sides)
                tables.append((f"{label}: {text.n:,} characters, {len(text.chars)} symbols; "
                               f"test = the last {text.n - text.n_val_end:,}; budget "
                               f"{budget:g} s each", runs, budget))

        rows = []
        if archs:
            data = public_text.build(folder, args.abc_chars)
            text = gpt_recipe.load_text(data)
            sub = folder / "archs"
            sub.mkdir(exist_ok=True)
            for arch in archs:
                progress(f"speed: --arch {arch}, {args.arch_budget:g} s …")
                rows.append((f"seqgen --arch {arch}",
                             seqgen_train(data, args.arch_budget, sub / arch, sub, arch,
                                          ["--arch", arch, *args.arch_options], text)))
        peaks.append(matmul_peak(args.peak_size, folder, "peak-after"))
        peak = max(peaks)

        print(f"matmul peak: {peak:,.0f} GFLOP/s (TensorFlow float32, {args.peak_size}² and "
              f"{2 * args.peak_size}², best of 5; {peaks[0]:,.0f} before the runs, "
              f"{peaks[1]:,.0f} after)")
        for title, runs, budget in tables:
            print_text_table(title, runs, peak, budget)
        if rows:
            print_arch_table(rows, peak, args.arch_budget)
        print(f"\n(whole bench {time.perf_counter() - t_start:.0f} s; load average over the "
              f"last 15 min {os.getloadavg()[2]:.2f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
