"""Does the jazz network learn anything? Solos of the trained model vs an untrained one.

The decoder's rules make any token stream sound in the harmony (chord tones on ``C``, scale
tones on ``S``), so chord-tone shares cannot show learning. What the network decides is
the rhythm and the melodic motion. This bench trains ``train-jazz`` on a collection built
from music21's corpus (``bench/jazz_collection.py``, --pieces pieces and one unusable
file), then improvises solos over the training files' changes with

- the trained weights, and
- the same network before training (its random initial weights), through the same
  decoder,

and prints, for each, the total-variation distance of its note-duration and interval
(semitones, ±12 and beyond) distributions to those of the training files' melodies, and
the ratio untrained / trained (above 1: the trained model is closer). It also prints the
loss per token on the held-out files (--val-split 0.2) of both, and along training (the
run resumed at each --curve epoch), and, for the collection, the
time of reading it with an empty parse cache and again with the cache filled, and of the
whole ``train-jazz`` command both ways, with each command's peak RSS. Usage:

    .venv/bin/python bench/bench_jazz_learning.py [--pieces 30] [--epochs 100]
        [--solos 20] [--curve 10,20,40,70] [--quick]

(--quick: 6 pieces, 3 epochs, 2 solos; a smoke test in seconds)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchkit import parse_args

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

QUICK = {"pieces": 6, "epochs": 3, "solos": 2, "curve": "1"}


def distribution(values) -> dict:
    counts = Counter(values)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def total_variation(p: dict, q: dict) -> float:
    """Half the L1 distance of two distributions: 0 equal, 1 disjoint."""
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


def features(lines: list[list]) -> tuple[dict, dict]:
    """(durations, intervals) distributions of melodies, each a list of Notes in order:
    durations to the 16th (4 quarters and longer together), intervals in semitones
    between consecutive notes (beyond an octave together)."""
    durations, intervals = [], []
    for line in lines:
        pitched = [n for n in line if not n.is_rest]
        durations += [min(round(n.duration * 4) / 4, 4.0) for n in pitched]
        intervals += [max(-13, min(13, b.pitch - a.pitch)) for a, b in zip(pitched, pitched[1:])]
    return distribution(durations), distribution(intervals)


def corpus_melodies(paths: list[str]) -> list[list]:
    """The melody of each training file as the corpus encodes it (its first bar left out)."""
    from seqgen.midi.leadsheet import open_music
    from seqgen.midi.source import load_solo_auto

    return [[n for bar in load_solo_auto(open_music(p)).melody[1:] for n in bar] for p in paths]


def solos(arrays, corpus, count: int, seed: int) -> list[list]:
    """``count`` solos, each over the changes of one training file (in turn)."""
    import numpy as np

    from seqgen.jazz.model import improvise

    spans = corpus.spans("train")
    out = []
    for i in range(count):
        first, end = spans[i % len(spans)]
        progression = corpus.progression[first:end]
        melody, _ = improvise(arrays, corpus.vocab, progression, len(progression), 1.0,
                              np.random.default_rng([seed, i]))
        out.append(melody)
    return out


def initial_weights(cfg, vocab_size: int) -> dict:
    """The network train-jazz starts from (same seed, same shapes), untrained."""
    from seqgen.jazz.keras_model import JazzTrainer
    from seqgen.keras_loop.distribute import get_strategy

    trainer = JazzTrainer(get_strategy("default"), vocab_size, cfg.hidden, cfg.window_length,
                          cfg.lr, cfg.batch_size, cfg.seed)
    return trainer.weights()


def learning(folder: Path, work: Path, epochs: int, count: int, checks: list[int]) -> None:
    from seqgen.jazz.config import JazzConfig
    from seqgen.jazz.evaluate import pieces_loss
    from seqgen.jazz.model import load_jazz
    from seqgen.jazz.train import train_jazz

    cfg = dataclasses.replace(JazzConfig().for_midi(str(folder)), epochs=epochs,
                              val_split=0.2, checkpoint=str(work / "run"),
                              out=str(work / "solo.midi"))
    os.environ["SEQGEN_CACHE_DIR"] = str(work / "cache-learning")
    curve = []
    for stop in sorted({*(e for e in checks if e < epochs), epochs}):  # resumed in turn
        train_jazz(dataclasses.replace(cfg, epochs=stop),
                   resume=str(work / "run") if curve else None)
        meta, trained, corpus = load_jazz(work / "run")
        curve.append((stop, pieces_loss(trained, corpus.vocab, corpus.pieces("held-out"),
                                        cfg.window_length)[0]))
    untrained = initial_weights(cfg, len(corpus.vocab))
    paths = [s.path for s in corpus.sources if s.role == "train"]
    reference = features(corpus_melodies(paths))
    print(f"corpus: {len(paths)} training files, {len(corpus.pieces('held-out'))} held out, "
          f"vocabulary {len(corpus.vocab)}; {count} solos per model, {epochs} epochs")
    found = {name: features(solos(arrays, corpus, count, seed=1))
             for name, arrays in (("trained", trained), ("untrained", untrained))}
    for i, what in enumerate(("rhythm (durations)", "intervals")):
        ours, theirs = (total_variation(found[n][i], reference[i])
                        for n in ("trained", "untrained"))
        print(f"{what:19s} TV distance to the corpus: trained {ours:.3f}, untrained "
              f"{theirs:.3f} ({theirs / ours:.2f}× closer when trained)")
    held = corpus.pieces("held-out")
    T = cfg.window_length
    ours, n = pieces_loss(trained, corpus.vocab, held, T)
    theirs, _ = pieces_loss(untrained, corpus.vocab, held, T)
    print(f"held-out loss per token ({n} tokens): trained {ours:.3f}, untrained {theirs:.3f} "
          f"nats (`seqgen evaluate --checkpoint RUN` prints the trained one)")
    print("held-out loss by epoch: " + ", ".join(f"{e}: {loss:.3f}" for e, loss in
                                                 [(0, theirs), *curve]))


def timed_command(args: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stderr) of one ``seqgen`` process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "seqgen", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"seqgen {' '.join(args)} failed:\n{err[-2000:]}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, err


def parse_cache(folder: Path, work: Path, epochs: int) -> None:
    """Reading the collection with an empty then a filled cache, in process and as
    whole train-jazz commands."""
    from seqgen.jazz.cache import ParseCache
    from seqgen.jazz.collection import prepare_corpus
    from seqgen.jazz.config import JazzConfig

    cfg = JazzConfig().for_midi(str(folder))
    times = []
    for _ in range(2):
        cache = ParseCache(work / "cache-read")
        t0 = time.perf_counter()
        prepare_corpus(cfg, cache=cache)
        times.append(time.perf_counter() - t0)
    print(f"reading {folder.name}: {times[0]:.2f} s with an empty parse cache, {times[1]:.2f} s "
          f"from the cache ({times[0] / times[1]:.0f}× faster)")
    env = {**os.environ, "SEQGEN_CACHE_DIR": str(work / "cache-cli")}
    runs = []
    for i in range(2):
        runs.append(timed_command(["train-jazz", "--midi", str(folder), "--epochs", str(epochs),
                                   "--checkpoint", str(work / f"cli{i}"), "--out",
                                   str(work / f"cli{i}.midi")], env))
    for (wall, rss, err), what in zip(runs, ("first run", "second run")):
        line = next(x for x in err.splitlines() if x.startswith("parse cache:"))
        print(f"train-jazz --midi FOLDER --epochs {epochs}, {what}: {wall:.1f} s, peak RSS "
              f"{rss:.0f} MB ({line})")
    print(f"second run: {runs[0][0] / runs[1][0]:.2f}× the speed of the first")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from jazz_collection import build

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=30, help="pieces in the collection")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--solos", type=int, default=20, help="solos per model")
    parser.add_argument("--curve", default="10,20,40,70",
                        help="epochs at which the held-out loss is also measured")
    args = parse_args(parser, QUICK)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "collection"
        files = build(folder, args.pieces)
        print(f"collection: {len(files)} files ({args.pieces} pieces and one unusable)")
        parse_cache(folder, work, args.epochs)
        learning(folder, work, args.epochs, args.solos,
                 [int(e) for e in args.curve.split(",") if e])


if __name__ == "__main__":
    main()
