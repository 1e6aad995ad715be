"""The one note type of seqgen's music code, its chord type, the tempo map and the
renderers' score.

Pure Python: the MIDI modules beside this one (``smf``, ``source``, ``solo``) fill these
values from a file and write them back; the grammar, the improviser, the synthesiser and
the piano roll only ever see them.

Time is kept in quarter notes (``offset``, ``duration``), the unit of the jazz grammar
and of music21. A note read from a file also carries its place in seconds
(``start``, ``end``), through the file's tempo map, which is what the renderers need.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

DRUM_CHANNEL = 10  # General MIDI percussion, 1-based as music21 numbers channels
DEFAULT_BPM = 120.0  # a MIDI file without a tempo mark plays at 120 bpm
MEASURE = 4.0  # quarter notes per measure: seqgen's music is in 4/4
PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# MIDI default spelling (C C# D E- E F F# G G# A B- B): diatonic step of each pitch class
_DEFAULT_STEP = (0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6)


def default_diatonic(pitch: int) -> int:
    """``7 * octave + step`` of a MIDI pitch spelled the MIDI way (music21's octave: C4 = 60)."""
    return 7 * (pitch // 12 - 1) + _DEFAULT_STEP[pitch % 12]


def pitch_name(pitch: int) -> str:
    """MIDI number to a name with octave, middle C (60) = C4."""
    return f"{PITCH_CLASSES[pitch % 12]}{pitch // 12 - 1}"


@dataclass(frozen=True)
class Note:
    """A note or rest.

    ``offset``/``duration`` in quarter notes; ``pitch`` the MIDI number (None for a rest);
    ``diatonic`` is ``7 * octave + step`` (C=0 … B=6) of its spelling, which names
    intervals (None: spell it the MIDI way). ``velocity`` 1-127, ``program`` the General
    MIDI program 0-127, ``channel`` 1-16 and ``track`` the file's track index say how it
    sounds. ``start``/``end`` are seconds from the beginning of the file, set when the
    note was read through a tempo map (None otherwise).
    """

    offset: float
    duration: float
    pitch: int | None = None
    diatonic: int | None = None
    velocity: int = 100
    program: int = 0
    channel: int = 1
    track: int = 0
    start: float | None = None
    end: float | None = None

    @property
    def is_rest(self) -> bool:
        return self.pitch is None

    @property
    def is_drum(self) -> bool:
        return self.channel == DRUM_CHANNEL

    @property
    def steps(self) -> int:
        """Diatonic step number, from the MIDI default spelling when none was given."""
        if self.diatonic is not None:
            return self.diatonic
        return default_diatonic(self.pitch)


class TempoMap:
    """Quarter notes to seconds through a list of (quarter, bpm) tempo changes."""

    def __init__(self, changes: list[tuple[float, float]] | tuple = ()):
        by_quarter: dict[float, float] = {}
        for quarter, bpm in sorted(changes, key=lambda c: c[0]):  # stable: last one wins
            if bpm > 0:
                by_quarter[float(quarter)] = float(bpm)
        if not by_quarter or min(by_quarter) > 0:
            by_quarter.setdefault(0.0, DEFAULT_BPM)
        self.quarters = sorted(by_quarter)
        self.bpms = [by_quarter[q] for q in self.quarters]
        self._seconds = [0.0]  # when each tempo segment starts
        for i in range(1, len(self.quarters)):
            span = self.quarters[i] - self.quarters[i - 1]
            self._seconds.append(self._seconds[-1] + span * 60.0 / self.bpms[i - 1])

    def seconds(self, quarter: float) -> float:
        """Seconds from the start of the file to ``quarter``."""
        i = max(bisect.bisect_right(self.quarters, quarter) - 1, 0)
        return self._seconds[i] + (quarter - self.quarters[i]) * 60.0 / self.bpms[i]

    def place(self, note: Note) -> Note:
        """``note`` with ``start``/``end`` in seconds from its offset and duration."""
        return replace(note, start=self.seconds(note.offset),
                       end=self.seconds(note.offset + note.duration))

    def changes(self) -> tuple[tuple[float, float, float], ...]:
        """Every tempo change as (quarter, seconds, bpm), the first at 0."""
        return tuple(zip(self.quarters, self._seconds, self.bpms))

    @property
    def first_bpm(self) -> float:
        return self.bpms[0]


@dataclass(frozen=True)
class Score:
    """Everything the renderers need from a MIDI file."""

    notes: tuple[Note, ...]
    duration: float  # seconds to the file's last event (note-off or end of track)
    tempos: tuple[tuple[float, float], ...]  # (time in seconds, bpm), first at 0
    track_names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chord:
    """A chord of the accompaniment: MIDI pitches, root pitch class and music21's quality."""

    offset: float
    duration: float
    pitches: tuple[int, ...]
    root: int
    quality: str  # "major", "minor", "diminished", "augmented" or "other"

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset(p % 12 for p in self.pitches)

    def to_json(self) -> list:
        return [self.offset, self.duration, list(self.pitches), self.root, self.quality]

    @classmethod
    def from_json(cls, item) -> Chord:
        offset, duration, pitches, root, quality = item
        return cls(float(offset), float(duration), tuple(int(p) for p in pitches), int(root),
                   str(quality))
