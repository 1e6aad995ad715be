"""Reading a MIDI file into the project's note list (for rendering and plotting).

One of the two modules that import music21 (its low-level ``music21.midi``
reader, imported lazily). Times are converted from ticks to seconds through the
file's tempo map, so a tempo change half way through is respected.
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from pathlib import Path

from seqgen.errors import MusicError
from seqgen.textio import check_input_file

DEFAULT_TEMPO_US = 500_000  # µs per quarter note when a file sets none (120 bpm)
DRUM_CHANNEL = 10  # General MIDI percussion, 1-based as music21 numbers channels
MAX_SECONDS = 3600.0  # longer "music" is almost surely a corrupt time stamp


@dataclass(frozen=True)
class Note:
    """One sounding note. Times in seconds; ``channel`` 1-16; ``track`` the file's track index."""

    pitch: int
    start: float
    end: float
    velocity: int
    program: int = 0
    channel: int = 1
    track: int = 0

    @property
    def is_drum(self) -> bool:
        return self.channel == DRUM_CHANNEL


@dataclass(frozen=True)
class Score:
    """Everything the renderers need from a MIDI file."""

    notes: tuple[Note, ...]
    duration: float  # seconds to the file's last event (note-off or end of track)
    tempos: tuple[tuple[float, float], ...]  # (time in seconds, bpm), first at 0
    track_names: dict[int, str] = field(default_factory=dict)


class TempoMap:
    """Ticks to seconds for a list of (tick, µs per quarter) tempo changes."""

    def __init__(self, ticks_per_quarter: int, changes: list[tuple[int, int]],
                 ticks_per_second: float | None = None):
        self.tpq = ticks_per_quarter
        self.tps = ticks_per_second
        changes = sorted(changes)
        if not changes or changes[0][0] > 0:
            changes.insert(0, (0, DEFAULT_TEMPO_US))
        # keep the last change at each tick (a later event at the same tick wins)
        by_tick: dict[int, int] = {}
        for tick, us in changes:
            by_tick[tick] = us
        self.ticks = sorted(by_tick)
        self.us = [by_tick[t] for t in self.ticks]
        self.seconds = [0.0]  # time at which each tempo segment starts
        for i in range(1, len(self.ticks)):
            span = self.ticks[i] - self.ticks[i - 1]
            self.seconds.append(self.seconds[-1] + span * self.us[i - 1] / 1e6 / self.tpq)

    def to_seconds(self, tick: int) -> float:
        if self.tps:  # SMPTE time division: ticks are a fixed fraction of a second
            return tick / self.tps
        i = bisect.bisect_right(self.ticks, tick) - 1
        return self.seconds[i] + (tick - self.ticks[i]) * self.us[i] / 1e6 / self.tpq

    def bpm_changes(self) -> tuple[tuple[float, float], ...]:
        if self.tps:
            return ((0.0, 60e6 / DEFAULT_TEMPO_US),)
        return tuple((s, 60e6 / us) for s, us in zip(self.seconds, self.us))


def read_midi_notes(path: str | Path) -> Score:
    """Read ``path`` (a Standard MIDI File) into a Score.

    Raises:
        DataError: missing, a directory or empty.
        MusicError: not a MIDI file, malformed, too long, or without any notes.
    """
    p = check_input_file(path, "MIDI file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise MusicError(f"cannot read MIDI file {p}: {exc.strerror}") from None
    return parse_midi_bytes(data, str(p))


def parse_midi_bytes(data: bytes, name: str = "<bytes>") -> Score:
    """Parse the bytes of a Standard MIDI File (see ``read_midi_notes``)."""
    if data[:4] != b"MThd":
        raise MusicError(f"not a MIDI file (it does not start with 'MThd'): {name}")
    from music21 import midi as m21midi

    mf = m21midi.MidiFile()
    try:
        mf.readstr(data)
    except (m21midi.MidiException, IndexError, ValueError, TypeError, KeyError,
            struct.error, OverflowError) as exc:
        detail = " ".join(str(exc).split())[:80] or type(exc).__name__
        raise MusicError(f"malformed MIDI file {name}: {detail}") from None
    if not mf.tracks:
        raise MusicError(f"MIDI file has no tracks: {name}")
    if not mf.ticksPerSecond and not mf.ticksPerQuarterNote:
        raise MusicError(f"malformed MIDI file {name}: zero ticks per quarter note")
    return _score_from_tracks(mf, m21midi, name)


def _score_from_tracks(mf, m21midi, name: str) -> Score:
    CV, Meta = m21midi.ChannelVoiceMessages, m21midi.MetaEvents
    tempo_changes: list[tuple[int, int]] = []
    programs: list[tuple[int, int, int]] = []  # (tick, channel, program)
    raw: list[tuple[int, int, int, int, int, int]] = []  # start, end, pitch, vel, ch, track
    names: dict[int, str] = {}
    last_tick = 0
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
                    raw.append((t0, tick, ev.pitch, vel, ev.channel, t_index))
            elif kind == CV.PROGRAM_CHANGE and isinstance(ev.data, int):
                programs.append((tick, ev.channel, ev.data & 0x7F))
            elif kind == Meta.SET_TEMPO and isinstance(ev.data, bytes) and len(ev.data) == 3:
                us = int.from_bytes(ev.data, "big")
                if us > 0:
                    tempo_changes.append((tick, us))
            elif kind == Meta.SEQUENCE_TRACK_NAME and isinstance(ev.data, bytes):
                label = ev.data.decode("latin-1").strip()
                if label and t_index not in names:
                    names[t_index] = label
        for (ch, pitch), started in sounding.items():  # never released: end with the track
            raw.extend((t0, tick, pitch, vel, ch, t_index) for t0, vel in started)
        last_tick = max(last_tick, tick)

    if not raw:
        raise MusicError(f"MIDI file has no notes: {name}")
    tmap = TempoMap(mf.ticksPerQuarterNote or 1, tempo_changes, mf.ticksPerSecond)
    duration = tmap.to_seconds(last_tick)
    if duration > MAX_SECONDS:
        raise MusicError(f"MIDI file lasts {duration:.0f} s; render-midi handles at most "
                         f"{MAX_SECONDS:.0f} s: {name}")
    program_at = _program_lookup(programs)
    notes = [Note(pitch=p, start=tmap.to_seconds(t0), end=tmap.to_seconds(t1), velocity=v,
                  program=program_at(ch, t0), channel=ch, track=tr)
             for t0, t1, p, v, ch, tr in raw]
    notes.sort(key=lambda n: (n.start, n.pitch, n.track))
    return Score(tuple(notes), duration, tmap.bpm_changes(), names)


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


def notes_to_midi_bytes(notes: list[Note], tempos: list[tuple[float, float]] | None = None,
                        ticks_per_quarter: int = 480) -> bytes:
    """Write notes to a format-1 MIDI file: a tempo track, then one track per ``track``.

    Here ``Note.start``/``end`` are in beats (quarter notes), not seconds, and
    ``tempos`` is a list of (beat, bpm), default 120 bpm; reading the result back
    gives seconds through the tempo map. Returns the file's bytes.
    """
    from music21 import midi as m21midi

    tempos = tempos or [(0.0, 120.0)]

    def tick(beat: float) -> int:
        return round(beat * ticks_per_quarter)

    mf = m21midi.MidiFile()
    mf.ticksPerQuarterNote = ticks_per_quarter
    conductor = m21midi.MidiTrack(0)
    timed = [(tick(b), 0, "tempo", round(60e6 / bpm)) for b, bpm in tempos]
    _fill_track(conductor, timed, m21midi)
    mf.tracks.append(conductor)
    for t_index in sorted({n.track for n in notes}):
        track = m21midi.MidiTrack(len(mf.tracks))
        events = []
        for ch, prog in sorted({(n.channel, n.program) for n in notes if n.track == t_index}):
            events.append((0, 0, "program", (ch, prog)))
        for n in notes:
            if n.track == t_index:
                events.append((tick(n.start), 2, "on", n))
                events.append((tick(n.end), 1, "off", n))
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
