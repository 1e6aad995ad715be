"""Chord changes a musician types or brings: a chord chart, or the harmony of a file.

A chart is bars separated by ``|``, each with one or more chord symbols that share the
bar equally (``"Dm7 G7 | Cmaj7 | A7 | Dm7 G7 | Cmaj7"``: D minor seventh and G seventh two
beats each, then a bar of C major seventh...). The symbols are the ones music21 reads
(``C``, ``Cm7``, ``Bb7``, ``F#m7b5``, ``C7#9``, ``G/B``…; ``b`` for flat). A file gives its
harmony instead: a MIDI file's (chord symbols, a chord part, or chords inferred from its
parts, as ``train-jazz`` chooses them), or a lead sheet's chord symbols (MusicXML, ABC).

The result is a progression: one list of :class:`~seqgen.midi.notes.Chord` per bar, each
chord's offset counted from the start of its bar, voiced as music21 voices the symbol
(around the octave below middle C: the comping part plays these pitches).
"""

from __future__ import annotations

import math
from pathlib import Path

from seqgen.errors import MusicError, UsageError
from seqgen.midi.leadsheet import is_lead_sheet, read_lead_sheet
from seqgen.midi.notes import MEASURE, Chord
from seqgen.midi.source import choose_parts, harmony_of, music21_spelling, open_midi
from seqgen.midi.symbols import known_symbol, read_with_music21


def parse_chart(text: str) -> list[list[Chord]]:
    """The bars of a typed chart.

    Raises:
        UsageError: an empty chart or bar, or a symbol that is not a chord (named).
    """
    bars_text = text.strip().strip("|").split("|")
    if not text.strip() or not any(b.strip() for b in bars_text):
        raise UsageError("--chords is empty: give bars like 'Dm7 G7 | Cmaj7'")
    bars = []
    for number, bar_text in enumerate(bars_text, 1):
        symbols = bar_text.split()
        if not symbols:
            raise UsageError(f"--chords: bar {number} is empty (two '|' with no chord between)")
        share = MEASURE / len(symbols)
        bars.append([symbol_chord(s, i * share, share) for i, s in enumerate(symbols)])
    return bars


def symbol_chord(symbol: str, offset: float, duration: float) -> Chord:
    """One chord symbol as a :class:`Chord` at ``offset`` for ``duration`` quarters.

    The common symbols come from a table of music21's readings (``seqgen.midi.symbols``:
    no music21 import); any other is read by music21.

    Raises:
        UsageError: music21 does not read ``symbol`` as a chord, or it has no notes.
    """
    spelled = music21_spelling(symbol)
    known = known_symbol(spelled) or read_with_music21(spelled)
    if known is None:
        raise UsageError(f"--chords: {symbol!r} is not a chord symbol the grammar can voice "
                         "(e.g. C, Cm7, Bb7, F#m7b5, C7#9, G/B)")
    pitches, root, quality = known
    return Chord(float(offset), float(duration), tuple(pitches), root, quality)


def by_bar(chords: list[Chord], length: float) -> list[list[Chord]]:
    """Chords on a timeline (quarters from the start) cut into bars of 4 quarters.

    A chord that sounds across a bar line sounds in both bars; a bar where nothing sounds
    keeps the chord before it. Bars before the first chord are left out.
    """
    chords = sorted(chords, key=lambda c: c.offset)
    if not chords:
        return []
    first = int(chords[0].offset // MEASURE)
    last = max(int(math.ceil((c.offset + c.duration) / MEASURE)) for c in chords)
    last = max(last, int(math.ceil(length / MEASURE)))
    bars, held = [], chords[0]
    for b in range(first, last):
        start, end = b * MEASURE, (b + 1) * MEASURE
        inside = [Chord(max(c.offset, start) - start, min(c.offset + c.duration, end)
                        - max(c.offset, start), c.pitches, c.root, c.quality)
                  for c in chords if c.offset < end and c.offset + c.duration > start]
        if inside:
            held = inside[-1]
        else:
            inside = [Chord(0.0, MEASURE, held.pitches, held.root, held.quality)]
        bars.append(inside)
    return bars


def read_changes(path: str | Path) -> list[list[Chord]]:
    """The harmony of a file, bar by bar: a lead sheet's chord symbols, or a MIDI file's
    harmony (chosen as ``train-jazz`` chooses it).

    Raises:
        DataError / MusicError: unreadable file, or one without harmony.
    """
    path = Path(path)
    if is_lead_sheet(path):
        src = read_lead_sheet(path)
        chords, length = list(src.symbols), src.length
    else:
        src = open_midi(path)
        choice = choose_parts(src, min_notes=1)
        chords, length = harmony_of(src, choice), src.length
    bars = by_bar(chords, length)
    if not bars:
        raise MusicError(f"{path} has no chords to improvise over")
    return bars
