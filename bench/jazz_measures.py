"""What ``bench_jazz_learning.py`` measures of melodies over changes, and the solos it
compares that do not come from a trained network.

A :class:`Line` is a melody (its notes, rests left out) over the harmony it sounds with.
Of a set of lines the bench measures

- the share of chord tones: notes whose pitch class is in the chord sounding at their
  onset (the chord's root counts as one: the harmony the note model reads always holds it);
- the rhythm: the distribution of note durations in sixteenths (two bars and longer
  together);
- the intervals: the distribution of semitone steps between consecutive notes (beyond an
  octave up, or down, together);

and compares distributions by their total-variation distance (0: equal, 1: disjoint).

The changes a solo follows are a tune's own harmony, cut into 4/4 bars
(:func:`progression_of`), in the form ``generate-jazz`` and ``note_solo`` take them. The
Markov chain's solos (:func:`markov_solo`) are drawn over the same bars: the chain does not
see the chords, only its own last three events.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from seqgen.jazz.baselines import ORDER
from seqgen.jazz.baselines import START as NO_EVENT
from seqgen.jazz.events import BAR_STEPS, MAX_STEPS, REST, STEP, Harmony, Tune
from seqgen.midi.notes import MEASURE, Chord, Note

OCTAVE_PLUS = 13  # intervals beyond an octave are counted together, as +-13


@dataclass(frozen=True)
class Line:
    """A melody's notes in time order (offsets in quarter notes) over its harmony."""

    notes: tuple[Note, ...]
    harmony: Harmony


def tune_line(tune: Tune) -> Line:
    """A tune of the collection as a line (its notes as the note model reads them)."""
    return Line(tuple(Note(e.start * STEP, e.steps * STEP, e.pitch) for e in tune.events
                      if e.pitch is not None), tune.harmony)


def solo_line(melody: list[Note], chords: list[Chord]) -> Line:
    """A solo (melody and chords with absolute offsets) as a line."""
    return Line(tuple(n for n in sorted(melody, key=lambda n: n.offset) if not n.is_rest),
                Harmony.of(chords))


def chord_tone_share(lines: list[Line]) -> float:
    """The share of all the lines' notes that are tones of the chord sounding at their onset."""
    tones = total = 0
    for line in lines:
        for n in line.notes:
            i = line.harmony.at(round(n.offset / STEP))
            tones += bool(line.harmony.pcs[i] >> ((n.pitch - line.harmony.roots[i]) % 12) & 1)
            total += 1
    return tones / max(total, 1)


def distribution(values) -> dict:
    counts = Counter(values)
    total = sum(counts.values()) or 1
    return {k: v / total for k, v in counts.items()}


def rhythm(lines: list[Line]) -> dict:
    """Note durations in sixteenths (at most ``MAX_STEPS``) as a distribution."""
    return distribution(min(max(round(n.duration / STEP), 1), MAX_STEPS)
                        for line in lines for n in line.notes)


def intervals(lines: list[Line]) -> dict:
    """Semitone steps between consecutive notes of each line as a distribution."""
    return distribution(max(-OCTAVE_PLUS, min(OCTAVE_PLUS, b.pitch - a.pitch))
                        for line in lines for a, b in zip(line.notes, line.notes[1:]))


def total_variation(p: dict, q: dict) -> float:
    """Half the L1 distance of two distributions: 0 equal, 1 disjoint."""
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in set(p) | set(q))


# ------------------------------------------------------------------------ the changes

def _quality(mask: int) -> str:
    """music21's name of a chord's quality from its pitch classes above the root (a mask)."""
    has = [bool(mask >> i & 1) for i in range(12)]
    if has[4] and has[7]:
        return "major"
    if has[3] and has[7]:
        return "minor"
    if has[3] and has[6]:
        return "diminished"
    if has[4] and has[8]:
        return "augmented"
    return "other"


def chord_of(root: int, mask: int, offset: float, duration: float) -> Chord:
    """A chord of root ``root`` and the pitch classes of ``mask`` (relative to the root),
    voiced upwards from the root in octave 3."""
    pitches = tuple(48 + root + b for b in range(12) if mask >> b & 1)
    return Chord(offset, duration, pitches, root, _quality(mask))


def progression_of(tune: Tune) -> list[list[Chord]]:
    """The tune's harmony as bars of chords (offsets from each bar line, in quarters), from
    the bar of its first chord to the bar its last event ends in. A bar where no chord
    starts on the bar line begins with the chord still sounding there."""
    h = tune.harmony
    end = max((e.start + e.steps for e in tune.events), default=h.starts[-1] + 1)
    first, last = h.starts[0] // BAR_STEPS, -(-end // BAR_STEPS)
    bars = []
    for bar in range(first, last):
        a, b = bar * BAR_STEPS, (bar + 1) * BAR_STEPS
        inside = [i for i, s in enumerate(h.starts) if a <= s < b]
        sounding = h.at(a)  # the tune's first chord when none has started yet
        if h.starts[sounding] < a and sounding not in inside:
            inside.insert(0, sounding)
        chords = []
        for j, i in enumerate(inside):
            start = max(h.starts[i], a)
            stop = h.starts[inside[j + 1]] if j + 1 < len(inside) else b
            chords.append(chord_of(h.roots[i], h.pcs[i], (start - a) * STEP,
                                   (stop - start) * STEP))
        bars.append(chords)
    return bars


def transpose(progression: list[list[Chord]], semitones: int) -> list[list[Chord]]:
    """The same changes ``semitones`` higher."""
    return [[Chord(c.offset, c.duration, tuple(p + semitones for p in c.pitches),
                   (c.root + semitones) % 12, c.quality) for c in bar] for bar in progression]


def laid_out(progression: list[list[Chord]]) -> list[Chord]:
    """The chords of the bars with offsets from the start (bar ``m`` at ``4 m`` quarters)."""
    return [Chord(m * MEASURE + c.offset, c.duration, c.pitches, c.root, c.quality)
            for m, bar in enumerate(progression) for c in bar]


def markov_solo(markov, progression: list[list[Chord]], rng: np.random.Generator) -> Line:
    """A solo over the bars drawn from the Markov chain: events (pitch or rest, and duration)
    drawn one after the other, each after the last three, until the bars are full (the
    last one cut there). The first event is a note, as the note model's solos start."""
    total = len(progression) * BAR_STEPS
    context = (NO_EVENT,) * ORDER
    notes, step = [], 0
    while step < total:
        p = markov.distribution(context)
        if step == 0:
            p[REST * MAX_STEPS:(REST + 1) * MAX_STEPS] = 0.0
        symbol = int(rng.choice(len(p), p=p / p.sum()))
        pitch, steps = divmod(symbol, MAX_STEPS)
        steps = min(steps + 1, total - step)
        if pitch != REST:
            notes.append(Note(step * STEP, steps * STEP, pitch))
        context = (*context[1:], symbol)
        step += steps
    return solo_line(notes, laid_out(progression))
