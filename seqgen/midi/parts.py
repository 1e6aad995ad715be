"""Which parts of a MIDI file are the melody and the harmony: summaries, rules, inference.

Pure Python: the MIDI layer (``seqgen.midi.source``) summarises each music21 part
into a :class:`PartSummary`; the rules here pick the parts from those numbers alone,
so they can be read, tested and explained without a MIDI file.

The rules (the same for ``midi-info``, ``train-jazz --midi FILE`` and primers):

- Drum parts (MIDI channel 10, unpitched percussion) are never melody or harmony.
- Melody: among the pitched parts that are mostly monophonic (at least 60 % of their
  onsets are single notes) and have enough notes, in the upper register (median pitch G3
  or higher) when any is, the highest of those with at least ``AS_BUSY`` of the busiest
  one's onsets.
- Harmony: chord symbols when the file carries at least two of them (text or lyric
  events such as ``Cmaj7``, at least half of those events); else the part other than
  the melody that plays the most block chords (at least 4, and a third of its onsets);
  else chords inferred per beat from all other pitched parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from seqgen.errors import MusicError
from seqgen.midi.notes import Note

MIN_MELODY_NOTES = 8  # fewer onsets than this is not a melody to learn from
MONOPHONIC = 0.6  # share of single-note onsets for "mostly monophonic"
UPPER_REGISTER = 55  # G3: a melody's median pitch is at least this (bass lines are lower)
AS_BUSY = 0.75  # parts with this share of the busiest one's onsets count as busy as it
MIN_CHORD_ONSETS = 4  # a chord part plays at least this many block chords ...
CHORD_SHARE = 1 / 3  # ... and they are at least this share of its onsets
MIN_SYMBOLS = 2  # chord symbols are used when the file has at least this many


@dataclass(frozen=True)
class PartSummary:
    """What one part holds. Offsets in quarter notes, times in seconds; None when empty.

    ``notes`` counts single-note onsets and ``chords`` onsets of several pitches at once;
    ``median`` is the median of the highest pitch of each onset.
    """

    index: int
    name: str
    instrument: str
    drums: bool
    notes: int
    chords: int
    max_simultaneous: int
    low: int | None
    high: int | None
    median: float | None
    first: float | None
    last: float | None
    first_s: float | None
    last_s: float | None

    @property
    def onsets(self) -> int:
        return self.notes + self.chords

    @property
    def pitched(self) -> bool:
        return not self.drums and self.onsets > 0 and self.low is not None

    @property
    def monophonic(self) -> float:
        """Share of the onsets that are single notes (0 for an empty part)."""
        return self.notes / self.onsets if self.onsets else 0.0


@dataclass(frozen=True)
class PartChoice:
    """The parts a jazz corpus is read from.

    ``melody`` is a part index; ``chords`` the part whose block chords are the harmony
    (``chord_source == "part"``), else None. ``chord_source`` is ``"symbols"`` (the
    file's chord symbols), ``"part"``, ``"inferred"`` (chords per beat from
    ``harmony_parts``) or ``"none"`` (no harmony; primers only). ``window`` is the
    offset window in quarter notes, end inclusive.
    """

    melody: int
    chords: int | None
    chord_source: str
    harmony_parts: tuple[int, ...]
    window: tuple[float, float]
    automatic: bool  # True when no part was given by the caller

    def describe(self, parts: tuple[PartSummary, ...] | list[PartSummary]) -> str:
        """One line for the user: ``melody: part 5 'Guitar'; harmony: ...; offsets ...``."""
        def label(i: int) -> str:
            return f"part {i} {parts[i].name!r}" if 0 <= i < len(parts) else f"part {i}"

        if self.chord_source == "symbols":
            harmony = "the file's chord symbols"
        elif self.chord_source == "part":
            harmony = f"chords of {label(self.chords)}"
        elif self.chord_source == "none":
            harmony = "none"
        elif len(self.harmony_parts) == 1:
            harmony = f"chords inferred per beat from {label(self.harmony_parts[0])}"
        else:
            harmony = "chords inferred per beat from parts " + ", ".join(
                str(i) for i in self.harmony_parts)
        start, end = self.window
        return (f"melody: {label(self.melody)}; harmony: {harmony}; "
                f"offsets {start:g}-{end:g}")


def resolve_part(spec: int | str, parts: tuple[PartSummary, ...] | list[PartSummary],
                 role: str, name: str) -> int:
    """The index of the part ``spec`` names: an index (``5``, ``"5"``) or a part name.

    Names match case-insensitively. Raises MusicError naming the file when no part or
    several parts match.
    """
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        index = int(text)
        if not 0 <= index < len(parts):
            raise MusicError(f"{name} has {len(parts)} parts (0-{len(parts) - 1}); the "
                             f"{role} {index} is not one of them")
        return index
    found = [p.index for p in parts if p.name.strip().lower() == text.lower()]
    if len(found) == 1:
        return found[0]
    if found:
        raise MusicError(f"{name}: several parts are named {text!r} (parts "
                         f"{', '.join(map(str, found))}); give the {role} as an index")
    names = ", ".join(f"{p.index} {p.name!r}" for p in parts) or "none"
    raise MusicError(f"{name} has no part named {text!r} for the {role} (parts: {names})")


def choose_melody(parts: tuple[PartSummary, ...] | list[PartSummary], name: str,
                  min_notes: int = MIN_MELODY_NOTES) -> int:
    """The melody part by the rules in this module's docstring.

    Raises:
        MusicError: only drums, no notes, too few notes, or no mostly monophonic part.
    """
    pitched = [p for p in parts if p.pitched]
    if not pitched:
        why = "it has only drums" if any(p.drums and p.onsets for p in parts) \
            else "it has no notes"
        raise MusicError(f"{name}: no usable melody: {why}")
    enough = [p for p in pitched if p.onsets >= min_notes]
    if not enough:
        busiest = max(pitched, key=lambda p: p.onsets)
        raise MusicError(f"{name}: no usable melody: too few notes (the busiest pitched part, "
                         f"{busiest.index} {busiest.name!r}, has {busiest.onsets}; at least "
                         f"{min_notes} are needed)")
    candidates = [p for p in enough if p.monophonic >= MONOPHONIC]
    if not candidates:
        raise MusicError(f"{name}: no usable melody: every pitched part mostly plays chords "
                         f"(less than {MONOPHONIC:.0%} single notes); pick one with "
                         "--melody-part")
    upper = [p for p in candidates if p.median >= UPPER_REGISTER] or candidates
    busiest = max(p.onsets for p in upper)
    # the top line of parts about as busy as each other (a choir's soprano over its alto
    # and tenor, which move more), else the busiest
    close = [p for p in upper if p.onsets >= AS_BUSY * busiest]
    best = max(close, key=lambda p: (p.median, p.onsets, -p.index))
    return best.index


def choose_harmony(parts: tuple[PartSummary, ...] | list[PartSummary], melody: int,
                   symbols: int) -> tuple[str, int | None, tuple[int, ...]]:
    """(chord_source, chord part or None, harmony parts) for a given melody part.

    ``symbols`` is the number of chord symbols the file carries (0 if it has none or they
    are outnumbered by other text). Returns source ``"none"`` when nothing is left.
    """
    if symbols >= MIN_SYMBOLS:
        return "symbols", None, ()
    others = [p for p in parts if p.pitched and p.index != melody]
    chordal = [p for p in others
               if p.chords >= MIN_CHORD_ONSETS and p.chords >= CHORD_SHARE * p.onsets]
    if chordal:
        best = max(chordal, key=lambda p: (p.chords, -p.index))
        return "part", best.index, (best.index,)
    if others:
        return "inferred", None, tuple(p.index for p in others)
    return "none", None, ()


def choose(parts: tuple[PartSummary, ...] | list[PartSummary], name: str, symbols: int,
           window: tuple[float, float], melody: int | str | None = None,
           chords: int | str | None = None, min_notes: int = MIN_MELODY_NOTES,
           need_harmony: bool = True) -> PartChoice:
    """Melody and harmony for a file whose parts are summarised in ``parts``.

    Args:
        parts: the summaries, restricted to ``window``.
        name: the file, for messages.
        symbols: how many chord symbols the file carries (see :func:`choose_harmony`).
        melody / chords: a part index or name that overrides the rule.
        min_notes: the fewest onsets of a melody.
        need_harmony: raise when there is no harmony (a primer may have none).
    Raises:
        MusicError: no usable melody or harmony, or an override names no usable part.
    """
    if melody is not None:
        index = resolve_part(melody, parts, "melody part", name)
        if not parts[index].pitched:
            what = "drums" if parts[index].drums else "no notes"
            raise MusicError(f"{name}: the melody part {index} {parts[index].name!r} has "
                             f"{what} in offsets {window[0]:g}-{window[1]:g}")
    else:
        index = choose_melody(parts, name, min_notes)
    if chords is not None:
        harmony = resolve_part(chords, parts, "chord part", name)
        if not parts[harmony].pitched:
            raise MusicError(f"{name}: the chord part {harmony} {parts[harmony].name!r} has "
                             f"no pitched notes in offsets {window[0]:g}-{window[1]:g}")
        source = "part" if parts[harmony].chords else "inferred"
        choice = (source, harmony if source == "part" else None, (harmony,))
    else:
        choice = choose_harmony(parts, index, symbols)
    if choice[0] == "none" and need_harmony:
        raise MusicError(f"{name}: no usable harmony: no chord symbols and no pitched part "
                         f"besides the melody (part {index}) to take chords from")
    return PartChoice(index, choice[1], choice[0], choice[2], window,
                      melody is None and chords is None)


def beat_harmony(notes: list[Note], start: float, end: float
                 ) -> list[tuple[float, float, tuple[int, ...]]]:
    """Chords inferred per beat: (offset, duration, MIDI pitches), in time order.

    Every beat (quarter note) from ``start`` to ``end`` takes the pitches sounding in it.
    A beat whose pitch classes equal the previous chord's, or a single pitch that belongs
    to it (a bass walking through the chord), extends that chord; a silent beat leaves a
    gap; anything else starts a new chord.
    """
    first, last = math.floor(start), math.floor(end)
    sounding: dict[int, set[int]] = {}  # beat -> pitches sounding in it
    for n in notes:
        if n.pitch is None:
            continue
        lo = math.floor(n.offset + 1e-9)
        hi = max(math.ceil(n.offset + n.duration - 1e-9) - 1, lo)  # a grace note: its beat
        for beat in range(max(lo, first), min(hi, last) + 1):
            sounding.setdefault(beat, set()).add(n.pitch)
    chords: list[list] = []  # [offset, duration, pitches, pitch classes]
    for beat in sorted(sounding):
        pitches = tuple(sorted(sounding[beat]))
        pcs = frozenset(p % 12 for p in pitches)
        last_chord = chords[-1] if chords else None
        joined = last_chord is not None and last_chord[0] + last_chord[1] == beat
        if joined and (pcs == last_chord[3] or (len(pcs) == 1 and pcs <= last_chord[3])):
            last_chord[1] += 1.0
        else:
            chords.append([float(beat), 1.0, pitches, pcs])
    return [(offset, duration, pitches) for offset, duration, pitches, _ in chords]
