"""Fine-tuning from a shipped model vs training from nothing, at equal wall time.

Texts nobody tuned anything on, each split as train-text splits it (the last tenth held
out: validation, then test):

- ``english``: the GNU GPL version 3 followed by the Apache License 2.0 (46 KB of English
  legal prose, from ``/usr/share/common-licenses``);
- ``code``: the first 46,000 characters of Python's own ``argparse.py`` (a programming
  language rather than a second natural one).

For each text and each budget (30, 60, 120 s), two runs of seqgen's library
(``seqgen.train_text``, in this one process, one after the other): from nothing, and with
``init_from="sonnets"`` (the shipped 2 x 256 LSTM of the sonnets). Both fold case as the
sonnets model does (``lowercase=True``), both are sized by the same rule (a short text:
the sonnets model's own shape), both keep the checkpoint of the best validation loss,
and both are scored on the same test part with ``evaluate``.

``--lr-sweep`` first compares fine-tuning learning rates on a third text (the GNU FDL 1.3
and the Mozilla Public License 2.0, 40 KB), on its validation part: the evidence for the
rate ``init_from`` uses when none is given (the sizing rule's, 0.005 for these texts).

Names: the shipped ``dinos`` RNN fine-tuned on the city names of the time-zone database
(``zoneinfo``) vs the same RNN trained from nothing, the same iterations of the reference
SGD; the loss of the held-out fifth of the names, in nats per character.

    .venv/bin/python bench/bench_finetune.py [--budgets 30,60,120] [--texts english,code]
        [--lr-sweep [--sweep-budgets 30,60] [--rates 0.001,0.002,0.005] [--sweep-only]]
        [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchkit import parse_args  # noqa: E402

import seqgen  # noqa: E402

LICENSES = Path("/usr/share/common-licenses")
QUICK = {"budgets": "1", "texts": "english", "chars": 6000, "name_iters": 300,
         "sweep_budgets": "1", "rates": "0.005"}


def texts(chars: int) -> dict[str, str]:
    import argparse as module

    english = (LICENSES / "GPL-3").read_text() + (LICENSES / "Apache-2.0").read_text()
    code = Path(module.__file__).read_text()
    validation = (LICENSES / "GFDL-1.3").read_text() + (LICENSES / "MPL-2.0").read_text()
    return {"english": english[:chars], "code": code[:chars], "validation": validation[:chars]}


def train(folder: Path, name: str, text: str, budget: float, init_from=None, lr=None):
    """One run of train_text in this process: (best validation loss, test loss, steps)."""
    data = folder / f"{name}.txt"
    data.write_text(text)
    run = folder / f"{name}-{budget:g}-{init_from or 'scratch'}-{lr or 'default'}"
    result = seqgen.train_text(data=data, run=run, time_budget=budget, lowercase=True,
                               init_from=init_from, lr=lr, epochs=1000, seed=0)
    test = seqgen.load(run).evaluate()
    return result.val_loss, test.loss, result.step


def sweep(folder: Path, text: str, budget: float, rates: list[float]) -> float:
    print(f"\nfine-tuning learning rate on the validation text ({len(text):,} characters, "
          f"{budget:g} s each; validation loss, nats/char):")
    best = None
    for lr in rates:
        val, _, steps = train(folder, "validation", text, budget, "sonnets", lr)
        print(f"  lr {lr:g}: {val:.4f} ({steps} steps)", flush=True)
        best = (val, lr) if best is None or val < best[0] else best
    print(f"  chosen: {best[1]:g}")
    return best[1]


def names(folder: Path, iters: int) -> None:
    cities = sorted({z.rsplit("/", 1)[-1].replace("_", " ")
                     for z in zoneinfo.available_timezones() if "/" in z})
    data = folder / "cities.txt"
    data.write_text("\n".join(cities) + "\n")
    print(f"\nnames: {len(cities)} city names of the time-zone database, {iters} SGD "
          "iterations, held-out fifth (nats/char):")
    losses = {}
    for init in (None, "dinos"):
        r = seqgen.train_dino(data=data, run=folder / f"names-{init}", iters=iters,
                              val_split=0.2, init_from=init, report_every=iters,
                              save_every=iters)
        losses[init] = r.val_loss
        print(f"  {'from dinos' if init else 'from nothing'}: {r.val_loss:.4f}", flush=True)
    print(f"  fine-tuned / from nothing: {losses['dinos'] / losses[None]:.3f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="30,60,120")
    parser.add_argument("--texts", default="english,code")
    parser.add_argument("--lr-sweep", action="store_true")
    parser.add_argument("--sweep-budgets", default="30")
    parser.add_argument("--rates", default="0.001,0.002,0.005")
    parser.add_argument("--sweep-only", action="store_true")
    parser.set_defaults(chars=46_000, name_iters=3000)
    args = parse_args(parser, QUICK)
    corpus = texts(args.chars)
    budgets = [float(b) for b in args.budgets.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.lr_sweep or args.quick:
            rates = [float(r) for r in args.rates.split(",")]
            for budget in args.sweep_budgets.split(","):
                sweep(folder, corpus["validation"], float(budget), rates)
            if args.sweep_only:
                return
        print("\ntest loss, nats/char (the same test part for both; lower is better):")
        print(f"{'text':<8} {'budget':>7} {'scratch':>8} {'fine-tuned':>11} {'diff':>7} "
              f"{'ratio':>7}")
        for name in args.texts.split(","):
            for budget in budgets:
                _, scratch, _ = train(folder, name, corpus[name], budget)
                _, tuned, _ = train(folder, name, corpus[name], budget, "sonnets")
                print(f"{name:<8} {budget:>6g}s {scratch:>8.4f} {tuned:>11.4f} "
                      f"{tuned - scratch:>+7.4f} {tuned / scratch:>6.3f}×", flush=True)
        names(folder, args.name_iters)


if __name__ == "__main__":
    main()
