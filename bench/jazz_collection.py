"""Build a folder of music to train ``train-jazz`` on a collection, from music21's own corpus.

What the folder holds (music21 10.5's corpus; every file a piece the note model can read
without being told which part is the melody):

- ``lead/``: every lead sheet of the corpus. Its MusicXML files with chord symbols are
  the two of ``leadSheet/`` (the other MusicXML files holding ``<harmony>`` elements are a
  chord-symbol test file, a figured-bass exercise and Monteverdi madrigals with a handful
  of figures: no lead sheets). Its ABC tunes with chord symbols are written one tune a
  file: every ABC file of the corpus is searched (``nottingham-dataset/``,
  ``ryansMammoth/``, ``oneills1850/``, ``airdsAirs/``, ``essenFolksong/``, ``miscFolk/``,
  ``josquin/``) for tunes whose bars carry chord symbols (``"Am"``, ``"D7"``, ``"G7/b"``),
  which only the two Nottingham tunes do: the other books' quoted strings are fingerings
  (``"4"``), performance marks (``"^Segno"``, ``">"``) and section or rehearsal letters
  (``"A"``, ``"B"`` ... once each, as in the Josquin bicinia) (:func:`has_chords`).
- ``band/``: a MIDI copy of each lead sheet (its melody, and a piano part playing each
  chord symbol). These are duplicates on purpose: ``train-jazz`` must find that each has
  the same melody as its lead sheet and keep both on the same side of the split.
- ``chorales/``: ``--pieces`` Bach chorales in 4/4 (the first ones in name order; the
  corpus has about 400), each as a two-part MIDI file: the soprano (part ``Soprano``) over
  the alto, tenor and bass as one part of block chords (part ``Chords``), so the melody is
  never ambiguous (read as MusicXML, the automatic part choice takes an inner voice). The
  pickup bar is padded so that bar lines fall where the score has them.
- ``broken.mid``: bytes that are no MIDI file (a file ``train-jazz`` must skip).

Building the default folder (160 chorales) takes about a minute and a half: music21 parses
each chorale, merges its lower voices and writes MIDI. Usage::

    .venv/bin/python bench/jazz_collection.py FOLDER [--pieces 160]
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

PIECES = 160  # chorales in the default collection
# an ABC chord symbol: root, quality, extension, bass ("G", "Am", "D7", "Bbmaj7", "G7/b")
CHORD_SYMBOL = re.compile(r"[A-G][#b]?(?:m|min|maj|M|dim|aug|sus|\+|o)?\d*(?:/[A-Ga-g][#b]?)?")
MIN_SYMBOLS = 4  # a tune with chords has at least this many symbols ...
MIN_BAR_SHARE = 0.25  # ... on at least this share of its bars


@dataclass
class Collection:
    """The files written, by kind."""

    lead: list[Path] = field(default_factory=list)
    band: list[Path] = field(default_factory=list)
    chorales: list[Path] = field(default_factory=list)
    broken: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def files(self) -> list[Path]:
        return [*self.lead, *self.band, *self.chorales, *self.broken]

    def summary(self) -> str:
        return (f"{len(self.files)} files: {len(self.lead)} lead sheets, {len(self.band)} MIDI "
                f"copies of them, {len(self.chorales)} chorales, {len(self.broken)} broken "
                f"file; built in {self.seconds:.1f} s")


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def split_tunes(text: str) -> list[str]:
    """The tunes of an ABC file (each from its ``X:`` line)."""
    return [t for t in re.split(r"\n(?=X:)", text.strip()) if t.startswith("X:")]


def chord_symbol_bars(tune: str) -> tuple[list[str], int]:
    """(chord symbols, bars) of one ABC tune's body. Quoted strings are read in pairs, so an
    annotation (``"^Segno"``, ``">"``, ``"4"``) is never taken for a chord."""
    body = "\n".join(line for line in tune.splitlines()
                     if not re.match(r"^[A-Za-z]:", line) and not line.startswith("%"))
    quoted = re.findall(r'"([^"]*)"', body)
    symbols = [q.strip() for q in quoted if CHORD_SYMBOL.fullmatch(q.strip())]
    unquoted = re.sub(r'"[^"]*"', "", body)
    bars = len(re.findall(r"\|+", unquoted)) or 1
    return symbols, bars


def has_chords(tune: str) -> bool:
    """Whether the tune's bars carry chord symbols: enough of them, on enough bars, and
    some symbol coming back (rehearsal letters "A", "B", "C" ... each come once)."""
    symbols, bars = chord_symbol_bars(tune)
    return (len(symbols) >= MIN_SYMBOLS and len(symbols) >= MIN_BAR_SHARE * bars
            and len(set(symbols)) < len(symbols))


def abc_tunes_with_chords(root: Path) -> list[tuple[str, str]]:
    """(file name, text) of every tune with chord symbols in the corpus's ABC files."""
    found = []
    for path in sorted(root.rglob("*.abc")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for tune in split_tunes(text):
            if has_chords(tune):
                number = re.match(r"X:\s*(\d+)", tune).group(1)
                found.append((f"{path.parent.name}-{path.stem}-{number}.abc", tune + "\n"))
    return found


def lead_sheets(folder: Path) -> list[Path]:
    """Copy the MusicXML lead sheets and write each ABC tune with chords to its own file."""
    root = corpus_root()
    (folder / "lead").mkdir(parents=True, exist_ok=True)
    out = [Path(shutil.copy(sheet, folder / "lead" / sheet.name))
           for sheet in sorted((root / "leadSheet").glob("*.mxl"))]
    for name, text in abc_tunes_with_chords(root):
        path = folder / "lead" / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def band_from_lead_sheet(sheet: Path, to: Path) -> Path:
    """A MIDI file of a lead sheet's melody and a piano part voicing its chord symbols.

    It holds the notes as ``train-jazz`` reads them from the lead sheet, so that it finds
    the same melody in both: repeats played once, and each written note struck (a tie
    does not join two notes). The pickup bar is padded to a whole bar: reading MIDI,
    music21 cuts a note at every fourth quarter, which must be a bar line of the score."""
    from music21 import chord, converter, harmony, instrument, stream

    score = converter.parse(str(sheet))
    if isinstance(score, stream.Opus):
        score = score.scores[0]
    shift = pickup_padding(score.parts[0])
    flat = score.parts[0].flatten()
    symbols = [s for s in flat.getElementsByClass(harmony.ChordSymbol) if s.pitches]
    melody, piano = stream.Part(), stream.Part()
    melody.insert(0, instrument.Flute())
    piano.insert(0, instrument.Piano())
    for n in flat.notesAndRests:
        if not isinstance(n, harmony.Harmony):
            written = copy.deepcopy(n)
            written.tie = None
            melody.insert(flat.elementOffset(n) + shift, written)
    for i, s in enumerate(symbols):
        start = flat.elementOffset(s)
        end = flat.elementOffset(symbols[i + 1]) if i + 1 < len(symbols) else score.highestTime
        if end > start:
            piano.insert(start + shift, chord.Chord(s.pitches, quarterLength=end - start))
    stream.Score([melody, piano]).write("midi", fp=str(to))
    return to


def pickup_padding(part) -> float:
    """The quarters a part's first bar lacks (a pickup), 0 without one."""
    from music21 import stream

    measures = part.getElementsByClass(stream.Measure)
    return float(measures[0].paddingLeft) if measures else 0.0


VOICES = ("Soprano", "Alto", "Tenor", "Bass")


def four_four_chorale(score) -> dict | None:
    """The chorale's four voices by name, or None when it lacks one or is not all in 4/4."""
    from music21 import meter

    parts = {p.partName: p for p in score.parts}
    if not all(v in parts for v in VOICES):
        return None
    signatures = {t.ratioString for t in score.recurse().getElementsByClass(meter.TimeSignature)}
    return parts if signatures == {"4/4"} else None


def chorale_as_band(score, parts: dict, to: Path) -> Path:
    """A chorale as MIDI: the soprano (part ``Soprano``) and the lower voices as one part
    of block chords (part ``Chords``), both shifted by the pickup's missing beats."""
    from music21 import instrument, stream

    lower = stream.Score([parts[v] for v in VOICES[1:]]).chordify()
    shift = pickup_padding(parts["Soprano"])
    out = []
    for source, name, inst in ((parts["Soprano"], "Soprano", instrument.Flute()),
                               (lower, "Chords", instrument.Piano())):
        part = stream.Part()
        part.partName = inst.partName = name  # the MIDI track's name
        part.insert(0, inst)
        flat = source.flatten()
        for n in flat.notes:
            part.insert(flat.elementOffset(n) + shift, copy.deepcopy(n))
        out.append(part)
    stream.Score(out).write("midi", fp=str(to))
    return to


def chorales(folder: Path, count: int) -> list[Path]:
    """The first ``count`` four-voice 4/4 Bach chorales of the corpus, as MIDI."""
    from music21 import converter

    (folder / "chorales").mkdir(parents=True, exist_ok=True)
    out = []
    for source in sorted((corpus_root() / "bach").glob("bwv*.mxl")):
        if len(out) >= count:
            break
        score = converter.parse(str(source))
        parts = four_four_chorale(score)
        if parts is None:
            continue
        try:
            out.append(chorale_as_band(score, parts, folder / "chorales" / f"{source.stem}.mid"))
        except Exception:  # noqa: BLE001 - music21 cannot write a few scores: leave them out
            continue
    return out


def build(folder: str | Path, pieces: int = PIECES) -> Collection:
    """Write the collection (see the module's docstring) under ``folder``."""
    t0 = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = Collection(lead=lead_sheets(folder))
    (folder / "band").mkdir(exist_ok=True)
    made.band = [band_from_lead_sheet(s, folder / "band" / f"{s.stem}.mid") for s in made.lead]
    made.chorales = chorales(folder, pieces)
    broken = folder / "broken.mid"
    broken.write_bytes(b"this is not a MIDI file\n")
    made.broken = [broken]
    made.seconds = time.perf_counter() - t0
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pieces", type=int, default=PIECES, help="Bach chorales to include")
    args = parser.parse_args()
    made = build(args.folder, args.pieces)
    print(f"{args.folder}: {made.summary()}")


if __name__ == "__main__":
    main()
