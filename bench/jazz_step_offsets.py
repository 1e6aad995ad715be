"""Whether the note model's step offsets bring its solos nearer unseen melodies, measured
without the test files: cross-validation over a run's training and validation files.

The offsets (``seqgen.jazz.notenet.fit_step_offsets``) are fitted when ``train-jazz``
ends, over the training tunes' own changes, so that the solos step as the training
melodies do. Whether that carries to tunes the model never saw is a question for held-out
files, and the run's test files must not answer it. So the run's training and validation
files (never its test files) are pooled in a folder of links, and ``train-jazz`` is run on
that pool ``--folds`` times, each time holding out another 20% (``--set data_seed=K``).
Over each fold's held-out tunes' changes, solos are drawn with the fitted offsets and
without them (the same weights), and the Markov chain's, and each set is compared with
the held-out melodies as ``bench_jazz_learning.py`` compares them (chord tones, rhythm and
interval distances). Usage::

    .venv/bin/python bench/jazz_step_offsets.py RUN [--folds 4] [--solos 8] [--work DIR]

(RUN: a note-model run trained on a collection, e.g. ``bench_jazz_learning.py --keep``'s.)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from bench_jazz_learning import markov_lines, measure  # noqa: E402
from jazz_measures import progression_of, solo_line, tune_line  # noqa: E402

from seqgen.jazz.config import SoloSampling  # noqa: E402
from seqgen.jazz.models import load_model  # noqa: E402


def pool(run: Path, folder: Path) -> int:
    """Links to ``run``'s training and validation files in ``folder`` (its test files
    left out), each under its parent folder's name; returns how many."""
    model = load_model(run)
    count = 0
    for source in model.corpus.sources:
        if source.role not in ("train", "validation"):
            continue
        path = Path(source.path)
        link = folder / path.parent.name / path.name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(path.resolve())
        count += 1
    return count


def solos(model, tunes, count: int, offsets: bool) -> list:
    """``count`` solos over each tune's changes, with the run's offsets or none."""
    saved = model.step_offsets
    model.step_offsets = saved if offsets else None
    try:
        lines = []
        for j, tune in enumerate(tunes):
            bars = progression_of(tune)
            for i in range(count):
                s = model.improvise(bars, len(bars), SoloSampling(),
                                    np.random.default_rng([3, j, i]))
                lines.append(solo_line(s.melody, s.chords))
        return lines
    finally:
        model.step_offsets = saved


def fold(folder: Path, work: Path, k: int, count: int) -> dict[str, dict]:
    """Train fold ``k`` and measure its held-out tunes: name -> measures."""
    run = work / f"fold{k}"
    subprocess.run([str(ROOT / ".venv" / "bin" / "seqgen"), "train-jazz", "--midi",
                    str(folder), "--run", str(run), "--out", str(work / f"fold{k}.mid"),
                    "--set", f"data_seed={k}"], check=True, capture_output=True)
    model = load_model(run)
    held = model.corpus.part("validation") + model.corpus.part("test")
    reference = [tune_line(t) for t in held]
    rows = {"with the offsets": solos(model, held, count, True),
            "without": solos(model, held, count, False),
            "Markov chain (order 3)": markov_lines(model.corpus,
                                                   [progression_of(t) for t in held], count, 3)}
    print(f"fold {k}: {len(held)} held-out tunes", flush=True)
    return {name: measure(lines, reference) for name, lines in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--solos", type=int, default=8, help="solos per held-out tune")
    parser.add_argument("--work", type=Path, help="keep the folds' runs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        folder = work / "pool"
        print(f"{pool(args.run, folder)} training and validation files of {args.run} pooled")
        results = [fold(folder, work, k, args.solos) for k in range(1, args.folds + 1)]
    print("\n| fold | solos | chord tones | rhythm TV | interval TV |\n|---|---|---:|---:|---:|")
    for k, result in enumerate(results, 1):
        for name, m in result.items():
            print(f"| {k} | {name} | {m['tones']:.3f} | {m['rhythm']:.3f} | "
                  f"{m['intervals']:.3f} |")
    for name in results[0]:
        mean = {key: np.mean([r[name][key] for r in results])
                for key in ("tones", "rhythm", "intervals")}
        print(f"| mean | {name} | {mean['tones']:.3f} | {mean['rhythm']:.3f} | "
              f"{mean['intervals']:.3f} |")


if __name__ == "__main__":
    main()
