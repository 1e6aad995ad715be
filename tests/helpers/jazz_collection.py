"""A small collection of music files for the collection tests, written in about a second.

``small_collection(folder)`` writes, under ``folder``:

- ``band.mid``: a melody over a part of block chords (a harmony part);
- ``sub/symbols.mid``: a melody over chord symbols written as text events;
- ``sub/deeper/sheet.mxl``: a lead sheet of music21's corpus (MusicXML, chord symbols);
- ``broken.mid``: bytes that are no MIDI file; ``drums.mid``: only drums;
  ``short.mid``: two bars, too short for a training window;
- ``notes.txt``: not music (a folder search must pass it by).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import music21

from tests.fixtures.music import SYMBOLS, band, block_chords, drums, melody

USABLE = ("band.mid", "sub/deeper/sheet.mxl", "sub/symbols.mid")
SKIPPED = ("broken.mid", "drums.mid", "short.mid")
SHEET = Path(music21.__file__).parent / "corpus" / "leadSheet" / "fosterBrownHair.mxl"


def small_collection(folder: Path) -> Path:
    (folder / "sub" / "deeper").mkdir(parents=True, exist_ok=True)
    (folder / "band.mid").write_bytes(band([("Sax", "AltoSaxophone", melody(10)),
                                            ("Keys", "Piano", block_chords(10))], bpm=100))
    texts = [(4.0 * i, SYMBOLS[i % 4]) for i in range(10)]
    (folder / "sub" / "symbols.mid").write_bytes(
        band([("Flute", "Flute", melody(10, low=-5))], texts=texts))
    shutil.copy(SHEET, folder / "sub" / "deeper" / "sheet.mxl")
    (folder / "broken.mid").write_bytes(b"not a MIDI file\n")
    (folder / "drums.mid").write_bytes(band([("Kit", "Woodblock", drums(8))]))
    (folder / "short.mid").write_bytes(band([("Sax", "AltoSaxophone", melody(2)),
                                             ("Keys", "Piano", block_chords(2))]))
    (folder / "notes.txt").write_text("not music\n")
    return folder
