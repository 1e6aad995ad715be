"""Poem generation, whole process: ``seqgen generate-poem`` vs the reference loop.

Both write 400 characters after the same prompt at temperature 1.0, each in a fresh
process (interpreter start, imports, model load, sampling), timed from outside:

- seqgen: the shipped model's weights in NumPy, the prompt read once, then one step
  of the stateful LSTM stack per character (TensorFlow is not imported);
- reference (SPEC §3): Keras, the same-architecture reference model, the left-padded
  40-character one-hot window through ``model.predict`` for every character
  (``bench/shakespeare_reference.py generate``).

Usage:

    .venv/bin/python bench/bench_poem.py [--length 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "Forsooth this maketh no sense"


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
    args = parser.parse_args()
    n = str(args.length)

    ours_runs = []
    for seed in range(args.repeat):
        seconds, poem = timed([sys.executable, "-m", "seqgen", "generate-poem", PROMPT,
                               "--length", n, "--seed", str(seed)])
        ours_runs.append(seconds)
    ours = statistics.median(ours_runs)
    ref, ref_poem = timed([sys.executable, str(ROOT / "bench" / "shakespeare_reference.py"),
                           "generate", PROMPT, "--length", n])
    assert len(poem) == len(ref_poem) == len(PROMPT) + args.length + 1

    print(f"seqgen    generate-poem (NumPy, stateful): {ours:7.2f} s  "
          f"(median of {args.repeat}: {', '.join(f'{s:.2f}' for s in ours_runs)})")
    print(f"reference model.predict per character    : {ref:7.2f} s")
    print(f"speed-up: {ref / ours:.1f}x  ({args.length} characters, whole process)")
    print(f"--- seqgen's poem (seed {args.repeat - 1}) ---\n{poem.rstrip()}")


if __name__ == "__main__":
    main()
