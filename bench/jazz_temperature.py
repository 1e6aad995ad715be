"""Choose the note model's sampling temperature on VALIDATION files: solos over each
validation tune's changes at several temperatures, measured as ``bench_jazz_learning.py``
measures the test files (chord tones, rhythm and interval distances to the melodies),
beside the Markov chain's. The test files are never read. Usage::

    .venv/bin/python bench/jazz_temperature.py RUN [--temperatures 0.6,0.7,0.8,0.9,1.0]
        [--solos 4]

(RUN: a note-model run of ``seqgen train-jazz --midi FOLDER``.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    import numpy as np
    from bench_jazz_learning import markov_lines, measure
    from jazz_measures import progression_of, solo_line, tune_line

    from seqgen.jazz.config import SoloSampling
    from seqgen.jazz.models import load_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--temperatures", default="0.6,0.7,0.8,0.9,1.0")
    parser.add_argument("--solos", type=int, default=4, help="solos per validation tune")
    args = parser.parse_args()
    model = load_model(args.run)
    tunes = model.corpus.part("validation")
    if not tunes:
        raise SystemExit(f"{args.run} has no validation files")
    progressions = [progression_of(t) for t in tunes]
    reference = [tune_line(t) for t in tunes]
    print(f"{len(tunes)} validation tunes of {args.run}, {args.solos} solos each")
    print("| solos over the validation changes | chord tones | rhythm TV | interval TV |")
    print("|---|---:|---:|---:|")
    rows = {"validation melodies": reference,
            "Markov chain (order 3)": markov_lines(model.corpus, progressions, args.solos, 3)}
    for t in (float(x) for x in args.temperatures.split(",")):
        rows[f"note model, temperature {t:g}"] = [
            solo_line(*_solo(model, bars, SoloSampling(temperature=t),
                             np.random.default_rng([3, j, i])))
            for j, bars in enumerate(progressions) for i in range(args.solos)]
    for name, lines in rows.items():
        m = measure(lines, reference)
        print(f"| {name} | {m['tones']:.3f} | {m['rhythm']:.3f} | {m['intervals']:.3f} |")


def _solo(model, bars, options, rng):
    solo = model.improvise(bars, len(bars), options, rng)
    return solo.melody, solo.chords


if __name__ == "__main__":
    main()
