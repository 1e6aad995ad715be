"""MIDI writing and reading that only the tests need: notes to a MIDI file (to build
inputs), and a file's melody, chords and tempo (to check a written solo)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from seqgen.errors import MusicError
from seqgen.midi.notes import DEFAULT_BPM, Chord, Note
from seqgen.midi.source import chord_value, open_midi


def notes_to_midi_bytes(notes: list[Note] | tuple[Note, ...],
                        tempos: list[tuple[float, float]] | None = None,
                        ticks_per_quarter: int = 480) -> bytes:
    """Write notes to a format-1 MIDI file: a tempo track, then one track per ``track``.

    Each note is placed by ``offset``/``duration`` (quarter notes) and sounds with its
    ``velocity``, ``program`` and ``channel``; rests are skipped. ``tempos`` is a list of
    (quarter, bpm), default 120 bpm. Returns the file's bytes.
    """
    from music21 import midi as m21midi

    tempos = tempos or [(0.0, DEFAULT_BPM)]

    def tick(quarter: float) -> int:
        return round(quarter * ticks_per_quarter)

    sounding = [n for n in notes if not n.is_rest]
    mf = m21midi.MidiFile()
    mf.ticksPerQuarterNote = ticks_per_quarter
    conductor = m21midi.MidiTrack(0)
    _fill_track(conductor, [(tick(q), 0, "tempo", round(60e6 / bpm)) for q, bpm in tempos],
                m21midi)
    mf.tracks.append(conductor)
    for t_index in sorted({n.track for n in sounding}):
        track = m21midi.MidiTrack(len(mf.tracks))
        events = [(0, 0, "program", (ch, prog))
                  for ch, prog in sorted({(n.channel, n.program) for n in sounding
                                          if n.track == t_index})]
        for n in sounding:
            if n.track == t_index:
                events.append((tick(n.offset), 2, "on", n))
                events.append((tick(n.offset + n.duration), 1, "off", n))
        _fill_track(track, sorted(events, key=lambda e: (e[0], e[1])), m21midi)
        mf.tracks.append(track)
    return mf.writestr()


def _fill_track(track, timed: list, m21midi) -> None:
    CV, Meta = m21midi.ChannelVoiceMessages, m21midi.MetaEvents
    now = 0
    for tick, _order, kind, payload in timed:
        dt = m21midi.DeltaTime(track=track, time=tick - now)
        now = tick
        if kind == "tempo":
            ev = m21midi.MidiEvent(track, type=Meta.SET_TEMPO)
            ev.data = payload.to_bytes(3, "big")
        elif kind == "program":
            ev = m21midi.MidiEvent(track, type=CV.PROGRAM_CHANGE, channel=payload[0])
            ev.data = payload[1]
        else:
            n = payload
            ev = m21midi.MidiEvent(track, type=CV.NOTE_ON, channel=n.channel)
            ev.pitch = n.pitch
            ev.velocity = n.velocity if kind == "on" else 0
        track.events.extend([dt, ev])
    track.events.extend([m21midi.DeltaTime(track=track, time=0),
                         m21midi.MidiEvent(track, type=Meta.END_OF_TRACK)])
    track.events[-1].data = b""
    track.updateEvents()


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
    from music21 import chord, note

    src = open_midi(path)
    score = src.score
    parts = [p.flatten() for p in score.parts] or [score.flatten()]
    melody, chords = [], []
    for i, flat in enumerate(parts):
        for el in flat.notes:
            off = float(flat.elementOffset(el))
            dur = float(el.quarterLength)
            if isinstance(el, chord.Chord) and (len(parts) == 1 or i > 0):
                chords.append(chord_value(el, off))
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
    return Performance(melody, chords, src.bpm, quarters)
