"""The jazz pipeline's MIDI adapter: the only module of it that imports music21 (lazily).

It turns a MIDI file into the plain ``grammar.Note`` / ``grammar.Chord`` values
(melody of one part, chords of another, inside an offset window) and writes a
generated solo back out. Everything musical happens in ``grammar`` and ``improvise``.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

from seqgen.atomic import write_bytes_atomic
from seqgen.errors import DataError, MusicError
from seqgen.music.grammar import Chord, Note
from seqgen.textio import check_input_file

MEASURE = 4.0  # quarter notes per measure (4/4)
MIDI_HINT = "run `make data` (copies it from ../shared/data) or pass --midi PATH"


@dataclass
class Solo:
    """A solo cut into measures: melody and chords per measure (absolute offsets)."""

    melody: list[list[Note]]
    chords: list[list[Chord]]
    bars: list[int]  # the measure numbers, int(offset / 4)


def _parse(path: str | Path, what: str = "MIDI file"):
    """music21 score of ``path``; every failure becomes a MusicError/DataError."""
    p = check_input_file(path, what, hint=MIDI_HINT if what == "MIDI file" else "")
    with open(p, "rb") as f:
        head = f.read(4)
    if head != b"MThd":
        raise MusicError(f"{p} is not a MIDI file (no MThd header)")
    from music21 import converter

    try:
        return converter.parse(str(p), format="midi")
    except Exception as exc:  # noqa: BLE001 - music21 raises many kinds on corrupt files
        raise MusicError(f"cannot read MIDI file {p}: {type(exc).__name__}: {exc}") from None


def _chord_value(c, offset: float) -> Chord:
    pitches = tuple(sorted(int(p.midi) for p in c.pitches))
    try:
        root = int(c.root().pitchClass)
    except Exception:  # noqa: BLE001 - music21 cannot find a root for some sets
        root = pitches[0] % 12
    quality = c.quality if len(set(p % 12 for p in pitches)) > 1 else "other"
    return Chord(float(offset), float(c.quarterLength), pitches, root, str(quality))


def _melody_value(element, offset: float) -> Note:
    """A music21 note, rest or chord as one melody Note (a chord by its top note)."""
    from music21 import chord, note

    duration = float(element.quarterLength) or 0.25  # zero-length (grace) notes: a 16th
    if isinstance(element, note.Rest):
        return Note(float(offset), duration)
    if isinstance(element, chord.Chord):
        top = max(element.pitches, key=lambda p: p.midi)
    else:
        top = element.pitch
    return Note(float(offset), duration, int(top.midi),
                7 * int(top.octave) + "CDEFGAB".index(top.step))


def load_solo(path: str | Path, melody_part: int, chord_part: int,
              accompaniment_parts: tuple[int, ...], start: float, end: float) -> Solo:
    """Read the solo section of a MIDI file (SPEC §4 steps 1-2).

    Args:
        melody_part / chord_part / accompaniment_parts: part indices in the parsed file.
        start, end: the offset window in quarter notes (end inclusive).
    Returns:
        The melody grouped into measures of 4 quarters (``int(offset / 4)``) and, for each
        of those measures, the chords of ``chord_part`` that start in it.
    Raises:
        DataError: missing or empty file. MusicError: not MIDI, missing parts, no notes.
    """
    return solo_from_score(_parse(path), str(path), melody_part, chord_part,
                           accompaniment_parts, start, end)


def solo_from_score(score, name: str, melody_part: int, chord_part: int,
                    accompaniment_parts: tuple[int, ...], start: float, end: float) -> Solo:
    """:func:`load_solo` for a music21 score already in memory (``name`` for messages)."""
    path = name
    parts = list(score.parts)
    for role, index in [("melody_part", melody_part), ("chord_part", chord_part),
                        *(("accompaniment_parts", i) for i in accompaniment_parts)]:
        if not 0 <= index < len(parts):
            raise MusicError(f"{path} has {len(parts)} parts (0-{len(parts) - 1}); the config's "
                             f"{role} {index} is not one of them")
    window = dict(includeEndBoundary=True, mustBeginInSpan=True)
    melody_flat = parts[melody_part].flatten()  # voices, when present, merge here
    by_offset: dict[float, Note] = {}
    for el in melody_flat.getElementsByOffset(start, end, **window).notesAndRests:
        n = _melody_value(el, melody_flat.elementOffset(el))
        old = by_offset.get(n.offset)
        # one line: of simultaneous elements keep the highest note (a rest only if alone)
        if old is None or (n.pitch is not None and (old.pitch is None or n.pitch > old.pitch)):
            by_offset[n.offset] = n
    melody = [by_offset[k] for k in sorted(by_offset)]
    if not any(not n.is_rest for n in melody):
        raise MusicError(f"{path}: part {melody_part} has no notes between offsets {start:g} "
                         f"and {end:g}; check melody_part and the offset window in the config")
    chord_flat = parts[chord_part].flatten()
    from music21 import chord as m21chord

    chords = [_chord_value(c, chord_flat.elementOffset(c))
              for c in chord_flat.getElementsByOffset(start, end, **window)
              .getElementsByClass(m21chord.Chord)]
    if not chords:
        raise MusicError(f"{path}: part {chord_part} has no chords between offsets {start:g} "
                         f"and {end:g}; check chord_part in the config")
    # the window's end is inclusive for the elements on it, but a bar starting there is
    # outside the solo (the reference drops that last group)
    bars = sorted({int(n.offset // MEASURE) for n in melody
                   if int(n.offset // MEASURE) * MEASURE < end or end % MEASURE})
    melody_by_bar = {b: [n for n in melody if int(n.offset // MEASURE) == b] for b in bars}
    chords_by_bar = {b: [c for c in chords if int(c.offset // MEASURE) == b] for b in bars}
    return Solo([melody_by_bar[b] for b in bars], [chords_by_bar[b] for b in bars], bars)


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
        DataError: the file cannot be written.
    """
    data = solo_bytes(melody, chords, bpm)
    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None


@dataclass
class Performance:
    """What the quality check needs from a MIDI file."""

    melody: list[Note]
    chords: list[Chord]
    bpm: float
    quarters: float  # length to the last note's end


def read_performance(path: str | Path) -> Performance:
    """Melody, chords and tempo of a MIDI file, for :func:`improvise.solo_report`.

    With several tracks the first is the melody and the others the accompaniment; a single
    track (the reference outputs) counts its single notes as melody and its chords as the
    accompaniment. A chord in the melody track counts as notes starting together.

    Raises:
        DataError / MusicError: unreadable or not MIDI.
    """
    from music21 import chord, note, tempo

    score = _parse(path)
    parts = [p.flatten() for p in score.parts] or [score.flatten()]
    marks = list(score.flatten().getElementsByClass(tempo.MetronomeMark))
    bpm = float(marks[0].number) if marks and marks[0].number else 120.0
    melody, chords = [], []
    for i, flat in enumerate(parts):
        for el in flat.notes:
            off = float(flat.elementOffset(el))
            dur = float(el.quarterLength)
            if isinstance(el, chord.Chord) and (len(parts) == 1 or i > 0):
                chords.append(_chord_value(el, off))
            elif isinstance(el, chord.Chord):
                melody.extend(Note(off, dur, int(p.midi)) for p in el.pitches)
            elif isinstance(el, note.Note) and (len(parts) == 1 or i == 0):
                melody.append(Note(off, dur, int(el.pitch.midi)))
            elif isinstance(el, note.Note):
                chords.append(Chord(off, dur, (int(el.pitch.midi),), el.pitch.pitchClass,
                                    "other"))
    melody.sort(key=lambda n: (n.offset, n.pitch))
    chords.sort(key=lambda c: c.offset)
    quarters = max((n.offset + n.duration for n in [*melody, *chords]), default=0.0)
    if math.isclose(quarters, 0.0):
        raise MusicError(f"{path} has no notes")
    return Performance(melody, chords, bpm, quarters)
