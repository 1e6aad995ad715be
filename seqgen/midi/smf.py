"""Standard MIDI files in and out, through music21's low-level reader (imported lazily).

``read_midi_notes`` / ``parse_midi_bytes`` give every note of a file with its time in
quarters and in seconds through the file's tempo map (for the renderers). The helpers
``read_bytes`` and ``midi_file`` check a file and open it for the other modules here.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass
from pathlib import Path

from seqgen.errors import MusicError
from seqgen.midi.notes import DEFAULT_BPM, Note, Score, TempoMap
from seqgen.textio import check_input_file

MAX_SECONDS = 3600.0  # longer "music" is almost surely a corrupt time stamp


# --------------------------------------------------------------------------- reading bytes

def read_bytes(path: str | Path, hint: str = "") -> tuple[Path, bytes]:
    """The bytes of a MIDI file; missing, empty, unreadable or non-MIDI files are refused."""
    p = check_input_file(path, "MIDI file", hint=hint)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise MusicError(f"cannot read MIDI file {p}: {exc.strerror}") from None
    return p, data


def midi_file(data: bytes, name: str, malformed: str):
    """music21's low-level MidiFile of ``data``; ``malformed`` starts the error message."""
    if data[:4] != b"MThd":
        raise MusicError(f"{name} is not a MIDI file (it does not start with 'MThd')")
    from music21 import midi as m21midi

    mf = m21midi.MidiFile()
    try:
        mf.readstr(data)
    except (m21midi.MidiException, IndexError, ValueError, TypeError, KeyError,
            struct.error, OverflowError) as exc:
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise MusicError(f"{malformed} {name}: {detail}") from None
    if not mf.tracks:
        raise MusicError(f"MIDI file has no tracks: {name}")
    if not mf.ticksPerSecond and not mf.ticksPerQuarterNote:
        raise MusicError(f"{malformed} {name}: zero ticks per quarter note")
    return mf


def read_midi_notes(path: str | Path) -> Score:
    """Read ``path`` (a Standard MIDI File) into a Score, every note timed in seconds.

    Raises:
        DataError: missing, a directory or empty.
        MusicError: not a MIDI file, malformed, too long, or without any notes.
    """
    p, data = read_bytes(path)
    return parse_midi_bytes(data, str(p))


def parse_midi_bytes(data: bytes, name: str = "<bytes>") -> Score:
    """Parse the bytes of a Standard MIDI File (see :func:`read_midi_notes`)."""
    from music21 import midi as m21midi

    mf = midi_file(data, name, "malformed MIDI file")
    events = track_events(mf, m21midi)
    if not events.notes:
        raise MusicError(f"MIDI file has no notes: {name}")
    duration = events.tempo.seconds(events.quarters(events.last_tick))
    if duration > MAX_SECONDS:
        raise MusicError(f"MIDI file lasts {duration:.0f} s; render-midi handles at most "
                         f"{MAX_SECONDS:.0f} s: {name}")
    program_at = _program_lookup(events.programs)
    q, sec = events.quarters, events.tempo.seconds
    notes = [Note(q(t0), q(t1) - q(t0), p, velocity=v, program=program_at(ch, t0), channel=ch,
                  track=tr, start=sec(q(t0)), end=sec(q(t1)))
             for t0, t1, p, v, ch, tr in events.notes]
    notes.sort(key=lambda n: (n.start, n.pitch, n.track))
    tempos = tuple((s, bpm) for _, s, bpm in events.tempo.changes())
    return Score(tuple(notes), duration, tempos, events.names)


@dataclass
class TrackEvents:
    """The raw contents of a MIDI file's tracks, in ticks."""

    ticks_per_quarter: float
    tempo: TempoMap
    notes: list[tuple[int, int, int, int, int, int]]  # start, end, pitch, velocity, ch, track
    programs: list[tuple[int, int, int]]  # (tick, channel, program)
    names: dict[int, str]
    texts: list[tuple[int, str]]  # (tick, text) of text and lyric events
    last_tick: int
    marks: int = 0  # how many tempo events the file has

    def quarters(self, tick: int) -> float:
        return tick / self.ticks_per_quarter


def track_events(mf, m21midi) -> TrackEvents:
    CV, Meta = m21midi.ChannelVoiceMessages, m21midi.MetaEvents
    tempo_changes: list[tuple[int, int]] = []  # (tick, µs per quarter)
    ev_all = TrackEvents(0, TempoMap(), [], [], {}, [], 0)
    for t_index, track in enumerate(mf.tracks):
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (ch, pitch) -> [(tick, vel)]
        for ev in track.events:
            if isinstance(ev, m21midi.DeltaTime):
                tick += int(ev.time or 0)
                continue
            kind = ev.type
            if kind == CV.NOTE_ON and ev.velocity:
                sounding.setdefault((ev.channel, ev.pitch), []).append((tick, ev.velocity))
            elif kind in (CV.NOTE_ON, CV.NOTE_OFF):
                started = sounding.get((ev.channel, ev.pitch))
                if started:  # first on, first off; a stray note-off is ignored
                    t0, vel = started.pop(0)
                    ev_all.notes.append((t0, tick, ev.pitch, vel, ev.channel, t_index))
            elif kind == CV.PROGRAM_CHANGE and isinstance(ev.data, int):
                ev_all.programs.append((tick, ev.channel, ev.data & 0x7F))
            elif kind == Meta.SET_TEMPO and isinstance(ev.data, bytes) and len(ev.data) == 3:
                us = int.from_bytes(ev.data, "big")
                if us > 0:
                    tempo_changes.append((tick, us))
            elif kind == Meta.SEQUENCE_TRACK_NAME and isinstance(ev.data, bytes):
                label = ev.data.decode("latin-1").strip()
                if label and t_index not in ev_all.names:
                    ev_all.names[t_index] = label
            elif kind in (Meta.TEXT_EVENT, Meta.LYRIC) and isinstance(ev.data, bytes):
                ev_all.texts.append((tick, ev.data.decode("latin-1").strip()))
        for (ch, pitch), started in sounding.items():  # never released: end with the track
            ev_all.notes.extend((t0, tick, pitch, vel, ch, t_index) for t0, vel in started)
        ev_all.last_tick = max(ev_all.last_tick, tick)
    if mf.ticksPerSecond:  # SMPTE time division: ticks are a fixed fraction of a second
        ev_all.ticks_per_quarter = mf.ticksPerSecond * 60.0 / DEFAULT_BPM
    else:
        tpq = mf.ticksPerQuarterNote or 1
        ev_all.ticks_per_quarter = tpq
        ev_all.tempo = TempoMap([(t / tpq, 60e6 / us) for t, us in tempo_changes])
        ev_all.marks = len(tempo_changes)
    return ev_all


def _program_lookup(programs: list[tuple[int, int, int]]):
    """A function (channel, tick) -> the program in force on that channel (0 if none yet)."""
    per_channel: dict[int, tuple[list[int], list[int]]] = {}
    for tick, ch, prog in sorted(programs):
        ticks, progs = per_channel.setdefault(ch, ([], []))
        ticks.append(tick)
        progs.append(prog)

    def program_at(channel: int, tick: int) -> int:
        if channel not in per_channel:
            return 0
        ticks, progs = per_channel[channel]
        i = bisect.bisect_right(ticks, tick) - 1
        return progs[i] if i >= 0 else 0

    return program_at
