"""Benchmark render-midi's built-in synthesiser against a naive per-sample renderer.

Side by side in one run:
  1. the whole `seqgen render-midi SOLO --synth builtin` process (start-up, music21,
     synthesis, WAV writing), as a real-time factor = seconds of audio / wall seconds;
  2. the vectorised synthesiser alone on the whole solo;
  3. the same synthesis written the naive way (a Python loop over samples, one
     math.sin per partial per sample) on an excerpt, against the vectorised one on
     the same excerpt, with the largest difference between their outputs;
  4. the FluidSynth path's whole process, when fluidsynth is installed.

Usage: .venv/bin/python bench/bench_render.py [SOLO.midi] [--excerpt SECONDS] [--repeats 3]
           [--quick]
Default SOLO: tests/fixtures/reference-outputs/deepjazz_128_epochs.midi (a 35 s solo).
(--quick: one whole-process run, and the naive renderer only up to 0.25 s past the
first pitched note; a smoke test in seconds)
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchkit import parse_args  # noqa: E402

from seqgen.audio import fluidsynth  # noqa: E402
from seqgen.audio.synth import TAIL_SECONDS, midi_to_hz, render_notes, timbre_for  # noqa: E402
from seqgen.midi.notes import Note  # noqa: E402
from seqgen.midi.smf import read_midi_notes  # noqa: E402

# the course's deepjazz output: a 35 s solo (kept with the tests' fixtures)
DEFAULT_SOLO = ROOT / "tests/fixtures/reference-outputs/deepjazz_128_epochs.midi"
SR = 44100
QUICK = {"excerpt": None, "repeats": 1}  # excerpt None: just past the first pitched note


def _level(i: int, na: int, nd: int, sustain: float) -> float:
    """ADSR before the release, at sample i."""
    if i < na:
        return i / na
    if i < na + nd:
        return 1.0 - (1.0 - sustain) * (i - na) / nd
    return sustain


def naive_render(notes: list[Note], duration: float, sr: int) -> np.ndarray:
    """The reference way: every sample of every note computed in Python (pitched notes only)."""
    total = round((duration + TAIL_SECONDS) * sr)
    out = [0.0] * total
    for note in notes:
        t = timbre_for(note.program)
        f = midi_to_hz(note.pitch)
        held = max(note.end - note.start, 0.01)
        n_held = round(held * sr)
        n = n_held + round(t.release * sr)
        na, nd = max(1, round(t.attack * sr)), max(1, round(t.decay * sr))
        parts = [(k, a) for k, a in enumerate(t.partials, start=1) if k == 1 or k * f < 0.45 * sr]
        norm = note.velocity / 127 / sum(t.partials)
        start = round(note.start * sr)

        at_off = _level(n_held - 1, na, nd, t.sustain) if n_held > 0 else 0.0
        for i in range(n):
            if start + i >= total:
                break
            if i < n_held:
                env = _level(i, na, nd, t.sustain)
            else:  # linear release from the level at note-off
                env = at_off * (1 - (i - n_held) / (n - n_held))
            if t.decay_tau > 0:
                env *= math.exp(-i / sr / t.decay_tau)
            phase = 2 * math.pi * f * i / sr
            out[start + i] += norm * env * sum(a * math.sin(k * phase) for k, a in parts)
    x = np.asarray(out, dtype=np.float32)
    return x * np.float32(0.9 / np.max(np.abs(x)))


def excerpt(notes: list[Note], seconds: float | None) -> tuple[float, list[Note]]:
    """The naive renderer's excerpt: its length and the pitched notes that start in it.

    ``seconds`` None (``--quick``) ends it 0.25 s past the first pitched note, so that it
    holds notes wherever the solo starts.
    """
    pitched = [n for n in notes if not n.is_drum]
    if seconds is None:
        seconds = min((n.start for n in pitched), default=0.0) + 0.25
    part = [n for n in pitched if n.start < seconds]
    if not part:
        raise SystemExit(f"no pitched note starts in the first {seconds:g} s: raise --excerpt")
    return seconds, part


def whole_process(midi: Path, synth: str, repeats: int) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "seqgen", "render-midi", str(midi),
                                "--synth", synth, "--out", f"{tmp}/out.wav"],
                               cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if r.returncode:
                raise SystemExit(f"render-midi failed: {r.stderr.strip()}")
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("midi", nargs="?", type=Path, default=DEFAULT_SOLO)
    ap.add_argument("--excerpt", type=float, default=3.0,
                    help="seconds of the solo the naive renderer does (it is slow)")
    ap.add_argument("--repeats", type=int, default=3)
    args = parse_args(ap, QUICK)

    score = read_midi_notes(args.midi)
    audio = score.duration + TAIL_SECONDS
    print(f"solo: {args.midi} ({len(score.notes)} notes, {score.duration:.1f} s of music)")

    times = whole_process(args.midi, "builtin", args.repeats)
    best, med = min(times), statistics.median(times)
    print(f"seqgen render-midi --synth builtin, whole process: best {best:.2f} s, "
          f"median {med:.2f} s of {len(times)} -> {audio / med:.0f}× real time (median)")

    t0 = time.perf_counter()
    render_notes(score.notes, score.duration, SR)
    synth_s = time.perf_counter() - t0
    print(f"vectorised synthesis alone, whole solo: {synth_s:.3f} s "
          f"-> {audio / synth_s:.0f}× real time")

    cut, part = excerpt(score.notes, args.excerpt)
    t0 = time.perf_counter()
    fast = render_notes(part, cut, SR)
    fast_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = naive_render(part, cut, SR)
    slow_s = time.perf_counter() - t0
    print(f"first {round(cut, 2):g} s ({len(part)} notes): naive per-sample {slow_s:.2f} s "
          f"({(cut + TAIL_SECONDS) / slow_s:.2f}× real time), vectorised {fast_s * 1e3:.1f} ms "
          f"-> {slow_s / fast_s:.0f}× faster; max |difference| {np.max(np.abs(slow - fast)):.1e}")

    if fluidsynth.find_fluidsynth() and fluidsynth.find_soundfont():
        times = whole_process(args.midi, "fluidsynth", args.repeats)
        med = statistics.median(times)
        print(f"seqgen render-midi --synth fluidsynth, whole process: median {med:.2f} s "
              f"-> {audio / med:.0f}× real time")
    else:
        print("fluidsynth not installed: FluidSynth path not measured")


if __name__ == "__main__":
    main()
