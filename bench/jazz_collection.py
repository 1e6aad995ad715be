"""Build a folder of music to train ``train-jazz`` on a collection, from music21's own corpus.

The folder holds, in this order of preference:

- ``lead/``: the corpus's lead sheets (MusicXML with chord symbols) and the tunes of its
  Nottingham ABC file, one tune a file (ABC chord symbols);
- ``band/``: the same lead sheets written as MIDI with a piano part that plays each chord
  symbol (a harmony part);
- ``chorales/``: Bach chorales, some as MusicXML (harmony inferred from the lower voices),
  some as MIDI whose lower voices are one part of block chords (a harmony part);
- ``broken.mid``: bytes that are no MIDI file (a file train-jazz must skip).

Usage::

    .venv/bin/python bench/jazz_collection.py FOLDER [--pieces 30]
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
from pathlib import Path


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def lead_sheets(folder: Path) -> list[Path]:
    """Copy the lead sheets and split the Nottingham ABC file into one file per tune."""
    root = corpus_root()
    (folder / "lead").mkdir(parents=True, exist_ok=True)
    out = []
    for sheet in sorted((root / "leadSheet").glob("*.mxl")):
        out.append(Path(shutil.copy(sheet, folder / "lead" / sheet.name)))
    text = (root / "nottingham-dataset" / "reelsa-c.abc").read_text(encoding="utf-8")
    for tune in re.split(r"\n(?=X:)", text.strip()):
        number = re.match(r"X:\s*(\d+)", tune).group(1)
        path = folder / "lead" / f"nottingham-{number}.abc"
        path.write_text(tune + "\n", encoding="utf-8")
        out.append(path)
    return out


def band_from_lead_sheet(sheet: Path, to: Path) -> Path:
    """A MIDI file of a lead sheet's melody and a piano part voicing its chord symbols."""
    from music21 import chord, converter, harmony, instrument, stream

    score = converter.parse(str(sheet))
    flat = score.parts[0].flatten()
    symbols = [s for s in flat.getElementsByClass(harmony.ChordSymbol) if s.pitches]
    melody, piano = stream.Part(), stream.Part()
    melody.insert(0, instrument.Flute())
    piano.insert(0, instrument.Piano())
    for n in flat.notesAndRests:  # no measures: the repeats are played once
        if not isinstance(n, harmony.Harmony):
            melody.insert(flat.elementOffset(n), copy.deepcopy(n))
    for i, s in enumerate(symbols):
        start = flat.elementOffset(s)
        end = flat.elementOffset(symbols[i + 1]) if i + 1 < len(symbols) else score.highestTime
        if end > start:
            piano.insert(start, chord.Chord(s.pitches, quarterLength=end - start))
    stream.Score([melody, piano]).write("midi", fp=str(to))
    return to


def chorale_as_band(name: str, to: Path) -> Path:
    """A Bach chorale as MIDI: the soprano, and the other voices as one part of chords."""
    from music21 import corpus, instrument, stream

    score = corpus.parse(name)
    soprano = score.parts[0]
    lower = stream.Score(list(score.parts[1:])).chordify()
    lower.insert(0, instrument.Piano())
    stream.Score([soprano, lower]).write("midi", fp=str(to))
    return to


def chorales(folder: Path, count: int) -> list[Path]:
    """``count`` Bach chorales: every third one as MIDI with a chord part, the rest MusicXML."""
    root = corpus_root() / "bach"
    (folder / "chorales").mkdir(parents=True, exist_ok=True)
    out = []
    for i, source in enumerate(sorted(root.glob("bwv*.mxl"))[:count]):
        if i % 3 == 2:
            try:
                out.append(chorale_as_band(f"bach/{source.stem}",
                                           folder / "chorales" / f"{source.stem}.mid"))
                continue
            except Exception:  # noqa: BLE001 - music21 cannot write some repeats: keep the XML
                pass
        out.append(Path(shutil.copy(source, folder / "chorales" / source.name)))
    return out


def build(folder: str | Path, pieces: int = 30) -> list[Path]:
    """Write ``pieces`` pieces and one unusable file under ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sheets = lead_sheets(folder)
    (folder / "band").mkdir(exist_ok=True)
    bands = [band_from_lead_sheet(s, folder / "band" / f"{s.stem}.mid") for s in sheets
             if s.suffix == ".mxl"]
    made = sheets + bands
    made += chorales(folder, max(pieces - len(made), 0))
    broken = folder / "broken.mid"
    broken.write_bytes(b"this is not a MIDI file\n")
    return [*made, broken]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pieces", type=int, default=30)
    args = parser.parse_args()
    files = build(args.folder, args.pieces)
    print(f"{len(files)} files in {args.folder}")


if __name__ == "__main__":
    main()
