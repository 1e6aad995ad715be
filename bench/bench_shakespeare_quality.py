"""Quality at equal time: held-out nats/char after a training budget, seqgen vs reference.

- seqgen: ``seqgen train-shakespeare --time-budget B`` with the default config (sequence
  targets, embeddings, batch 32 x 64 characters, Adam 5e-3), then ``seqgen evaluate``:
  the test part (the last 5%, which no training decision saw; the 5% before it chose
  the checkpoint) with full preceding context (state carried, 100 characters of warm-up);
- reference: one-hot 40-character windows every 3 characters of the same
  training 90%, one target per window, LSTM128 -> Dropout -> LSTM128 -> Dropout ->
  softmax, Adam, batch 128, ``model.fit`` until B seconds have passed, scored on the
  same test characters, each predicted from the 40 characters before it (all the
  context that model can read).

Both stop after the step in which the budget runs out; the budget counts training
(and, for seqgen, its per-epoch validation), not start-up. One run, one after the other.

    .venv/bin/python bench/bench_shakespeare_quality.py [--budget 120] [--chars N] [--quick]

(--chars N: only the sonnets' first N characters; --quick: 1 s budgets on the first 20,000
characters, a smoke test in seconds)
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchkit import SEQGEN, parse_args  # noqa: E402

QUICK = {"budget": 1.0, "chars": 20_000}


def text_file(folder: Path, chars: int) -> Path:
    """The built-in sonnets, or (``chars`` > 0) a copy of their first ``chars`` characters."""
    from seqgen.datasets import builtin_path

    sonnets = builtin_path("shakespeare.txt")
    if chars <= 0:
        return Path(sonnets)
    path = folder / "sonnets.txt"
    path.write_text(Path(sonnets).read_text(encoding="utf-8")[:chars], encoding="utf-8")
    return path


def run_seqgen(data: Path, budget: float, out: Path) -> dict:
    """``seqgen train-shakespeare --time-budget`` in a fresh process; its figures."""
    t0 = time.perf_counter()
    r = subprocess.run([*SEQGEN, "train-shakespeare",
                        "--time-budget", str(budget), "--data", str(data), "--run", str(out)],
                       cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"train-shakespeare failed:\n{r.stderr}")
    meta = json.loads((out / "meta.json").read_text())
    last = json.loads((out / "last" / "meta.json").read_text())
    e = subprocess.run([*SEQGEN, "evaluate", "--run", str(out)],
                       cwd=ROOT, capture_output=True, text=True)
    if e.returncode != 0 or not e.stdout.startswith("test_loss="):
        sys.exit(f"evaluate failed:\n{e.stderr}")
    return {"val_loss": meta["metrics"]["val_loss"], "epochs": last["epoch"],
            "test_loss": float(e.stdout.split()[0].split("=")[1]),
            "steps": last["step"], "seconds": last["state"]["seconds"], "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--chars", type=int, default=0,
                        help="train and score on the sonnets' first N characters (0: all)")
    args = parse_args(parser, QUICK)

    with tempfile.TemporaryDirectory() as tmp:
        data = text_file(Path(tmp), args.chars)
        ours = run_seqgen(data, args.budget, Path(tmp) / "run")

        import shakespeare_reference as ref

        from seqgen.text.corpus import load_corpus

        corpus = load_corpus(data, lowercase=True, test_share=0.5)
    model, ref_seconds, ref_epochs = ref.train_for(corpus.train_ids, len(corpus.vocab),
                                                   args.budget)
    theirs = ref.heldout_nll(model, corpus.ids, corpus.n_valid, len(corpus.vocab))

    val = ours["test_loss"]
    print(f"test part: last {len(corpus.test_ids)} characters of {len(corpus.ids)} (seqgen's "
          f"validation loss on the {len(corpus.val_ids)} before them: {ours['val_loss']:.4f})")
    print(f"seqgen    : test loss {val:.4f} nats/char ({val / math.log(2):.3f} bits) after "
          f"{ours['seconds']:.1f} s, {ours['epochs']} epochs, {ours['steps']} steps "
          f"(whole command {ours['wall']:.1f} s)")
    print(f"reference : test loss {theirs:.4f} nats/char ({theirs / math.log(2):.3f} bits) "
          f"after {ref_seconds:.1f} s, {ref_epochs} epochs")
    print(f"difference: {theirs - val:.4f} nats/char; perplexity {math.exp(theirs):.2f} -> "
          f"{math.exp(val):.2f} (reference/seqgen {math.exp(theirs - val):.2f}×)")


if __name__ == "__main__":
    main()
