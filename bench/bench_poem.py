"""Continuation generation, whole process: ``seqgen generate-poem`` vs the reference loop.

Both write 400 characters after the same prompt at temperature 1.0, each in a fresh
process (interpreter start, imports, model load, sampling), timed from outside:

- seqgen: the shipped model's weights in NumPy, the prompt read once, then one step
  of the stateful LSTM stack per character (TensorFlow is not imported);
- reference: Keras, the same-architecture reference model, the left-padded
  40-character one-hot window through ``model.predict`` for every character
  (``bench/shakespeare_reference.py generate``).

Then the costs of the sampling options, against their targets:

- top-k / top-p per character over plain sampling (in-process, the shipped model; < 10%);
- time to the first streamed character: a fresh process writing to a pseudo-terminal, from
  its start to the first byte after the prompt (< 0.3 s; TensorFlow must stay unimported);
- ``-n 8`` against one sample, in-process generation and whole process (the eight continuations
  advance together: whole process under 2.5× one sample).

Usage:

    .venv/bin/python bench/bench_poem.py [--length 400] [--repeat 3] [--options-only] [--quick]

(--quick: 20 characters, one repeat, short runs of each option; a smoke test in seconds)
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import time
import tty
from pathlib import Path

from benchkit import parse_args, python_command

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "Forsooth this maketh no sense"
# the sampling options' sizes: characters per timed run, draws per filter, characters of
# the first-character and -n 8 runs
SIZES = {"options_length": 2000, "draws": 5000, "sample_length": 400}
QUICK = {"length": 20, "repeat": 1, "options_length": 100, "draws": 100, "sample_length": 20}


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{r.stderr}")
    return seconds, r.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3, help="seqgen runs (median kept)")
    parser.add_argument("--options-only", action="store_true",
                        help="only the sampling options' costs (skip the Keras reference)")
    parser.set_defaults(**SIZES)
    args = parse_args(parser, QUICK)
    if args.options_only:
        return bench_options(args)
    n = str(args.length)

    ours_runs = []
    for seed in range(args.repeat):
        seconds, poem = timed([*python_command("-m", "seqgen"), "generate-poem", PROMPT,
                               "--length", n, "--seed", str(seed)])
        ours_runs.append(seconds)
    ours = statistics.median(ours_runs)
    ref, ref_poem = timed([*python_command(ROOT / "bench" / "shakespeare_reference.py"),
                           "generate", PROMPT, "--length", n])
    assert len(poem) == len(ref_poem) == len(PROMPT) + args.length + 1

    print(f"seqgen    generate-poem (NumPy, stateful): {ours:7.2f} s  "
          f"(median of {args.repeat}: {', '.join(f'{s:.2f}' for s in ours_runs)})")
    print(f"reference model.predict per character    : {ref:7.2f} s")
    print(f"speed-up: {ref / ours:.1f}×  ({args.length} characters, whole process)")
    print(f"--- seqgen's poem (seed {args.repeat - 1}) ---\n{poem.rstrip()}")
    bench_options(args)


def per_char(options, seed: int) -> float:
    """Seconds per generated character (model loaded once, outside the timing)."""
    from seqgen.text.model import generate_texts

    poems = generate_texts(PROMPT, options, seed)
    t0 = time.perf_counter()
    n = sum(len("".join(s)) for s in poems.streams)
    return (time.perf_counter() - t0) / n


def draw_cost(filters: dict, draws: int) -> float:
    """Seconds per ``sample_index`` call alone, on the model's logits after the prompt."""
    import numpy as np

    from seqgen.engine.ops import sample_index
    from seqgen.text.model import default_checkpoint, load_model, stack_from_arrays

    _, arrays, vocab = load_model(default_checkpoint())
    stack = stack_from_arrays(arrays)
    logits = stack.logits_sequence(np.array([vocab.index[c] for c in PROMPT.lower()]))[0][-1]
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(draws):
        sample_index(logits, 1.0, rng, **filters)
    return (time.perf_counter() - t0) / draws


def fastest(measures: dict, repeat: int) -> dict:
    """The fastest of ``repeat`` rounds of each measure, rounds interleaved across measures."""
    best = dict.fromkeys(measures, float("inf"))
    for r in range(repeat):
        for label, measure in measures.items():
            best[label] = min(best[label], measure(r))
    return best


FIRST_CHAR = """\
import sys, time
t0 = float(sys.argv[1])
out = sys.stdout
class Probe:  # notes when the first character after the prompt is written
    def __init__(self): self.n = 0
    def write(self, s):
        self.n += len(s)
        if self.n > len(sys.argv[2]) and not hasattr(self, 't'):
            self.t = time.time()
            print(f'FIRST {self.t - t0:.3f} TF {"tensorflow" in sys.modules}', file=sys.stderr)
        return out.write(s)
    def flush(self): out.flush()
    def isatty(self): return out.isatty()
sys.stdout = Probe()
from seqgen.cli import main
try:
    main(['generate-poem', sys.argv[2], '--length', sys.argv[3], '--seed', '0'])
except SystemExit:
    pass
"""


def first_character(repeat: int, length: int) -> tuple[list[float], bool]:
    """Seconds from process start to the first streamed character of a ``length``-character
    poem; was TensorFlow loaded."""
    times, tf = [], False
    for _ in range(repeat):
        master, slave = pty.openpty()
        tty.setraw(slave)
        t0 = time.time()
        r = subprocess.run([sys.executable, "-c", FIRST_CHAR, repr(t0), PROMPT, str(length)],
                           cwd=ROOT, stdout=slave, stderr=subprocess.PIPE, text=True)
        os.close(slave)
        while True:  # drain the terminal
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
        os.close(master)
        line = next(x for x in r.stderr.splitlines() if x.startswith("FIRST "))
        times.append(float(line.split()[1]))
        tf = tf or line.split()[3] == "True"
    return times, tf


def bench_options(args) -> None:
    """The sampling options' costs, each against its target."""
    filter_costs(args.repeat, args.options_length, args.draws)
    first_character_report(args.repeat, args.sample_length)
    samples_cost(args.repeat, args.sample_length)


def filter_costs(repeat: int, length: int, draws: int) -> None:
    """Per character, plain sampling against top-k / top-p (target: < 10% more)."""
    from seqgen.text.config import TextSampling

    # interleaved runs, fastest kept: this machine's other load only ever adds time
    configs = {"plain sampling": {}, "--top-k 10": {"top_k": 10}, "--top-p 0.9": {"top_p": 0.9},
               "--top-k 10 --top-p 0.9": {"top_k": 10, "top_p": 0.9}}
    best = fastest({label: lambda r, o=opts: per_char(TextSampling(length=length, **o), r)
                    for label, opts in configs.items()}, repeat)
    cost = fastest({label: lambda r, o=opts: draw_cost(o, draws)
                    for label, opts in configs.items()}, repeat)
    plain, plain_draw = best["plain sampling"], cost["plain sampling"]
    print(f"\nper character ({length} characters, fastest of {repeat}, in-process; the draw "
          "alone in brackets):")
    for label in configs:
        extra = (cost[label] - plain_draw) / plain * 100
        print(f"  {label:22s}: {best[label] * 1e6:7.1f} us  [draw {cost[label] * 1e6:5.1f} us]"
              f"  cost of the filter: {extra:+.1f}% of a plain character (target < 10%)")


def first_character_report(repeat: int, length: int) -> None:
    """Time to the first streamed character (target: < 0.3 s, TensorFlow unimported)."""
    times, tf = first_character(repeat, length)
    print(f"first streamed character (fresh process, terminal): {min(times):.3f} s fastest, "
          f"{statistics.median(times):.3f} s median of {repeat} (target < 0.3 s; "
          f"TensorFlow imported: {tf})")


def samples_cost(repeat: int, length: int) -> None:
    """``-n 8`` against one sample of ``length`` characters, in-process and whole process."""
    from seqgen.text.config import TextSampling

    n = fastest({1: lambda r: per_char(TextSampling(length=length), r) * length,
                 8: lambda r: per_char(TextSampling(length=length, samples=8), r) * 8 * length},
                repeat)
    one, eight = n[1], n[8]
    print(f"-n 8 vs one sample, generation only: {eight:.3f} s vs {one:.3f} s "
          f"= {eight / one:.2f}× (batched; each continuation still draws its own characters)")
    cmd = [sys.executable, "-m", "seqgen", "generate-poem", PROMPT, "--seed", "0",
           "--length", str(length)]
    whole = fastest({1: lambda r: timed(cmd)[0], 8: lambda r: timed([*cmd, "-n", "8"])[0]},
                    repeat)
    whole1, whole8 = whole[1], whole[8]
    print(f"-n 8 vs one sample, whole process  : {whole8:.2f} s vs {whole1:.2f} s "
          f"= {whole8 / whole1:.2f}× (start-up and model load are paid once)")


if __name__ == "__main__":
    main()
