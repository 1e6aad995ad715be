"""Chord symbols read without music21: a table of what music21 makes of the common ones.

music21 is the reference for what a symbol means (``Dm7`` is D3 F3 A3 C4, root D, minor),
but importing it and building one ``ChordSymbol`` costs most of a second, which is most of
``generate-jazz --chords``'s time. So the package ships music21's reading of every root
(the seven letters, natural, sharp or flat) with every chord kind music21 names, as
:func:`chord_value` turns it into pitches, root and quality: ``assets/chord-symbols.json``.
A symbol outside the table (a slash chord, an added or altered tone) is still read by
music21. The suite checks the table against music21 itself, so a music21 that reads a
symbol differently shows there; ``python -m seqgen.midi.symbols`` writes the table anew.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "assets" / "chord-symbols.json"
ROOTS = tuple(letter + accidental for letter in "CDEFGAB" for accidental in ("", "#", "-"))


@cache
def _table() -> dict[str, list]:
    return json.loads(TABLE.read_text("utf-8"))


def known_symbol(spelled: str) -> tuple[tuple[int, ...], int, str] | None:
    """(MIDI pitches, root pitch class, quality) of a symbol spelled as music21 reads it
    (flats as ``-``), or None when the table does not hold it."""
    entry = _table().get(spelled)
    if entry is None:
        return None
    pitches, root, quality = entry
    return tuple(pitches), root, quality


def table_symbols() -> list[str]:
    """Every symbol the table holds: each root with each abbreviation music21 knows."""
    from music21 import harmony

    return [root + abbreviation for abbreviation in
            sorted({a for _, names in harmony.CHORD_TYPES.values() for a in names})
            for root in ROOTS]


def read_with_music21(spelled: str) -> list | None:
    """The table's entry for one symbol, as music21 reads it now (None: not a chord)."""
    from music21 import harmony

    from seqgen.midi.source import chord_value

    try:
        parsed = harmony.ChordSymbol(spelled)
    except Exception:  # noqa: BLE001 - music21 raises several kinds for what is no chord
        return None
    if not parsed.pitches:
        return None
    chord = chord_value(parsed, 0.0, 0.0)
    return [list(chord.pitches), chord.root, chord.quality]


def build_table() -> dict[str, list]:
    entries = {s: read_with_music21(s) for s in table_symbols()}
    return {s: entry for s, entry in entries.items() if entry is not None}


if __name__ == "__main__":
    table = build_table()
    TABLE.write_text(json.dumps(table, separators=(",", ":"), sort_keys=True) + "\n",
                     encoding="utf-8")
    print(f"{TABLE}: {len(table)} symbols")
