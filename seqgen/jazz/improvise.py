"""Grammar tokens back into notes against a chord progression, and a check of the result.

The course's reference (its step that turns tokens back into music) realises 50 tokens per
measure and lets them spill over the bar line. Here tokens are drawn until the
measure's 4 quarters are filled and the last note is cut at the bar line, so the
melody stays over its chords. No music21: ``seqgen.midi.solo`` writes the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqgen.jazz.grammar import chord_at, interval_semitones, parse_token, scale_of
from seqgen.midi.notes import MEASURE, Chord, Note

GRID = 0.25  # durations snap to 16th notes
LOWEST = 48  # C3: no melody note below (the reference's "octave at least 3")
HIGHEST = 84  # C6: and none above, so the random walk of intervals cannot run away
FIRST_LOW = 60  # C4: the first note of the solo starts in octave 4
MAX_TOKENS = 64  # each token advances >= one 16th, so 16 fill a measure; a safety bound


def snap(duration: float, rng: np.random.Generator) -> float:
    """Round ``duration`` to the 16th grid, up or down at random; never zero."""
    q = duration / GRID
    steps = math.floor(q + 1e-9) if rng.random() < 0.5 else math.ceil(q - 1e-9)
    return max(steps, 1) * GRID


def _fits(pitch: int, kind: str, chord: Chord) -> bool:
    pc = pitch % 12
    if kind == "S":
        return pc in scale_of(chord)
    return pc in chord.pitch_classes


def _into_range(pitch: int) -> int:
    while pitch < LOWEST:
        pitch += 12
    while pitch > HIGHEST:
        pitch -= 12
    return pitch


def choose_pitch(kind: str, chord: Chord, prev: int | None, window: tuple[int, int] | None,
                 rng: np.random.Generator) -> int:
    """A pitch of ``kind`` (``C`` chord tone or ``S`` scale tone) against ``chord``.

    With a ``window`` (semitones relative to ``prev``) the pitch lies inside it (shifted an
    octave at the edges of the range, widened when no tone fits, a whole step from ``prev``
    as the last resort); without one it lies near ``prev`` (within a fifth)
    or, for the first note of a solo, in octave 4. Never ``prev`` itself when avoidable.
    """
    if window is not None and prev is not None:
        low, high = prev + window[0], prev + window[1]
    elif prev is not None:
        low, high = prev - 7, prev + 7
    else:
        low, high = FIRST_LOW, FIRST_LOW + 11
    tones = chord.pitch_classes

    def pick(low: int, high: int) -> int | None:
        span = [p for p in range(low, high + 1) if p != prev and LOWEST <= p <= HIGHEST]
        if kind == "S":  # a scale tone that is not a chord tone, so that it reads back as S
            found = [p for p in span if _fits(p, "S", chord) and p % 12 not in tones] \
                or [p for p in span if _fits(p, "S", chord)]
        else:
            found = [p for p in span if _fits(p, "C", chord)]
        return int(found[rng.integers(len(found))]) if found else None

    # the window itself; then the same window an octave towards the middle of the range
    # (near the edges); then a window widened a semitone at a time
    shift = 12 if low < LOWEST else -12 if high > HIGHEST else 0
    for lo, hi in [(low, high), (low + shift, high + shift),
                   *((low - w, high + w) for w in range(1, 7))]:
        if (found := pick(lo, hi)) is not None:
            return found
    if prev is None:  # cannot happen with a non-empty chord, but stay total
        return FIRST_LOW + min(chord.pitch_classes)
    return _into_range(prev + int(rng.choice([-2, 2])))


def realise_measure(next_token: Callable[[], str], chords: list[Chord], carry: Chord | None,
                    prev: int | None, rng: np.random.Generator
                    ) -> tuple[list[Note], list[str], int | None]:
    """Fill one measure with notes from successive tokens.

    Args:
        next_token: returns the next grammar token (the model's sample).
        chords: this measure's chords, offsets relative to the bar line (0 … 4).
        carry: the chord still sounding from the previous measure, if any.
        prev: the previous melody pitch (None at the start of a solo).
    Returns:
        (notes with offsets inside the measure, the tokens used, the last melody pitch).
    """
    if not chords and carry is None:
        raise ValueError("a measure needs a chord to improvise over")
    timeline = ([Chord(0.0, 0.0, carry.pitches, carry.root, carry.quality)] if carry else []) \
        + sorted(chords, key=lambda c: c.offset)
    notes: list[Note] = []
    used: list[str] = []
    t = 0.0
    while t < MEASURE - 1e-9 and len(used) < MAX_TOKENS:
        text = next_token()
        used.append(text)
        token = parse_token(text)
        duration = min(snap(token.duration, rng), MEASURE - t)  # cut at the bar line
        if token.kind == "R":
            t += duration
            continue
        kind = "S" if token.kind == "S" else "C"  # A and X are realised as chord tones
        chord = chord_at(timeline, t)
        window = None
        if token.upper is not None:
            a, b = interval_semitones(token.upper), interval_semitones(token.lower)
            window = (min(a, b), max(a, b))
        pitch = choose_pitch(kind, chord, prev, window, rng)
        last = notes[-1] if notes else None
        if last is not None and last.pitch == pitch and \
                math.isclose(last.offset + last.duration, t):
            notes[-1] = Note(last.offset, last.duration + duration, pitch)  # tie, no re-attack
        else:
            notes.append(Note(t, duration, pitch))
        prev = pitch
        t += duration
    return notes, used, prev


@dataclass
class SoloReport:
    """Measured properties of a solo (see :func:`solo_report`)."""

    seconds: float
    bpm: float
    notes: int
    clashes: int  # melody notes starting together with an earlier melody note
    in_harmony: float  # fraction of melody notes that are chord tones or in the chord's scale
    chord_tones: float  # fraction that are chord tones

    def as_dict(self) -> dict:
        return {"seconds": round(self.seconds, 2), "bpm": self.bpm, "notes": self.notes,
                "clashes": self.clashes, "in_harmony": round(self.in_harmony, 4),
                "chord_tones": round(self.chord_tones, 4)}


def solo_report(melody: list[Note], chords: list[Chord], bpm: float,
                quarters: float) -> SoloReport:
    """Length in seconds, clashes and the share of melody notes in harmony.

    Each melody note is judged against the chord that started last at or before it
    (the first chord if none has): in harmony if it is a chord tone or in the chord's
    scale (major for major chords, Dorian otherwise).
    """
    notes = [n for n in melody if not n.is_rest]
    seen: set[float] = set()
    clashes = 0
    for n in notes:
        key = round(n.offset, 6)
        clashes += key in seen
        seen.add(key)
    timeline = sorted(chords, key=lambda c: c.offset)
    good = tones = 0
    for n in notes:
        if not timeline:
            break
        chord = chord_at(timeline, n.offset)
        if n.pitch % 12 in chord.pitch_classes:
            tones += 1
            good += 1
        elif n.pitch % 12 in scale_of(chord):
            good += 1
    count = max(len(notes), 1)
    return SoloReport(quarters * 60.0 / bpm, bpm, len(notes), clashes, good / count,
                      tones / count)
