"""Lead sheets (MusicXML, ABC) read into the same :class:`MidiSource` as a MIDI file.

music21's converter reads the file; its chord symbols become the source's ``symbols`` and
are then taken out of the parts, so the parts are summarised, chosen and cut into a solo
exactly as a MIDI file's are (``seqgen.midi.source``), and ``midi-info`` shows both alike.
"""

from __future__ import annotations

from pathlib import Path

from seqgen.errors import MusicError
from seqgen.midi.notes import MEASURE, Chord, TempoMap
from seqgen.midi.source import MidiSource, _summaries, chord_value, open_midi
from seqgen.textio import check_input_file

LEAD_SHEETS = (".mxl", ".musicxml", ".xml", ".abc")
MUSIC_FILES = (".mid", ".midi", *LEAD_SHEETS)  # what a folder of music is searched for


def is_lead_sheet(path: str | Path) -> bool:
    return Path(path).suffix.lower() in LEAD_SHEETS


def open_music(path: str | Path, hint: str = "") -> MidiSource:
    """A MIDI file (:func:`~seqgen.midi.source.open_midi`) or a lead sheet, by its suffix.

    Raises:
        DataError: missing, a directory or empty. MusicError: unreadable.
    """
    return read_lead_sheet(path, hint) if is_lead_sheet(path) else open_midi(path, hint)


def read_lead_sheet(path: str | Path, hint: str = "") -> MidiSource:
    """A MusicXML or ABC file as a source: its parts without their chord symbols, the
    symbols as chords (each lasting to the next), its metronome marks as the tempo.

    An ABC file holding several tunes gives its first.

    Raises:
        DataError: missing, a directory or empty. MusicError: music21 cannot read it.
    """
    from music21 import harmony, stream

    p = check_input_file(path, "lead sheet", hint=hint)
    score = _parse(p)
    if isinstance(score, stream.Opus):
        score = score.scores[0] if score.scores else stream.Score()
    if not isinstance(score, stream.Score):
        score = stream.Score([score])
    symbols = lead_sheet_symbols(score)
    for symbol in list(score.recurse().getElementsByClass(harmony.Harmony)):
        if symbol.activeSite is not None:
            symbol.activeSite.remove(symbol)
    marks = _metronome_marks(score)
    tempo = TempoMap(marks)
    tempos = tuple((q, s, round(bpm, 2)) for q, s, bpm in tempo.changes()) if marks else ()
    return MidiSource(str(p), score, tempo, tempos, tuple(symbols),
                      _summaries(score, tempo, None), float(score.highestTime))


def _parse(path: Path):
    from music21 import converter

    try:  # forceSource and no pickle: music21 would otherwise keep its own cache
        return converter.parseFile(path, forceSource=True, storePickle=False)
    except Exception as exc:  # noqa: BLE001 - music21 raises many kinds on a bad file
        raise MusicError(f"cannot read lead sheet {path}: {type(exc).__name__}") from None


def lead_sheet_symbols(score) -> list[Chord]:
    """The chord symbols of a score that sound (N.C. left out), each lasting to the next;
    the last to the end of the piece, at least a bar."""
    from music21 import harmony

    flat = score.flatten()
    symbols = [s for s in flat.getElementsByClass(harmony.ChordSymbol) if s.pitches]
    length = float(score.highestTime)
    out = []
    for i, s in enumerate(symbols):
        offset = float(flat.elementOffset(s))
        end = float(flat.elementOffset(symbols[i + 1])) if i + 1 < len(symbols) else \
            max(length, offset + MEASURE)
        out.append(chord_value(s, offset, end - offset))
    return out


def _metronome_marks(score) -> list[tuple[float, float]]:
    """(quarter, bpm) of each metronome mark (none: 120 bpm)."""
    from music21 import tempo

    flat = score.flatten()
    return [(float(flat.elementOffset(m)), float(m.getQuarterBPM()))
            for m in flat.getElementsByClass(tempo.MetronomeMark)
            if m.getQuarterBPM()]
