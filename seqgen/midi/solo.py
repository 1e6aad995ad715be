"""Writing a solo: the melody (electric guitar) over its chords (piano), as a MIDI file."""

from __future__ import annotations

import io
from pathlib import Path

from seqgen.atomic import write_bytes_atomic
from seqgen.midi.notes import Chord, Note


def solo_bytes(melody: list[Note], chords: list[Chord], bpm: float) -> bytes:
    """A two-track MIDI file: the melody (electric guitar) and the chords (piano)."""
    from music21 import chord, instrument, midi, note, pitch, stream, tempo

    def part(inst) -> stream.Part:
        p = stream.Part()
        p.insert(0, inst)
        p.insert(0, tempo.MetronomeMark(number=bpm))
        return p

    lead, comp = part(instrument.ElectricGuitar()), part(instrument.Piano())
    for n in melody:
        if n.is_rest:
            continue
        lead.insert(n.offset, note.Note(pitch.Pitch(midi=n.pitch), quarterLength=n.duration))
    for c in chords:
        comp.insert(c.offset, chord.Chord([pitch.Pitch(midi=p) for p in c.pitches],
                                          quarterLength=c.duration))
    score = stream.Score([lead, comp])
    mf = midi.translate.streamToMidiFile(score)
    buf = mf.writestr()
    return buf if isinstance(buf, bytes) else io.BytesIO(buf).getvalue()


def write_solo(path: str | Path, melody: list[Note], chords: list[Chord], bpm: float) -> None:
    """Write the solo to ``path`` atomically (temp file, then rename).

    Raises:
        OutputError: the file cannot be written.
    """
    write_bytes_atomic(path, solo_bytes(melody, chords, bpm))
