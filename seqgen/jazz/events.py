"""The note model's representation: a melody as events over the chords that sound under it.

Each melody event is a note (its MIDI pitch) or a rest, with its duration and its place in
the bar, on a sixteenth-note grid. The line is read left to right: simultaneous notes keep
the highest, a gap between two notes becomes a rest, a note longer than ``MAX_STEPS`` is
cut there and the rest of it becomes silence (long rests are split into bars).

What the network sees at an event is the harmony at that moment: the chord sounding when
the event starts (its root and pitch-class set) and the next chord to come, and how far
away it is. Everything is said *relative to the sounding chord's root*: the previous
pitch, the pitch to predict, the next chord's root. A tune transposed by any interval gives
the same inputs and targets (the register moves by less than an octave), so what the
network learns about chord tones holds in every key without transposing the training
pieces (see ``docs/jazz.md`` for the measured comparison).

Pure Python and NumPy: no music21, no TensorFlow.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from seqgen.midi.notes import MEASURE, Chord, Note

STEP = 0.25  # quarter notes per grid step (a sixteenth)
BAR_STEPS = int(MEASURE / STEP)  # 16 steps in a 4/4 bar
MAX_STEPS = 32  # the longest event: two bars
PITCHES = 128  # MIDI pitches 0-127
REST = PITCHES  # the pitch index of a rest
PITCH_OUT = PITCHES + 1  # the pitch head predicts a root-relative pitch 0-127, or a rest
EVENTS = PITCH_OUT * MAX_STEPS  # every (pitch or rest, duration) pair: the baselines' alphabet

# the input features of one event, in order (their widths)
START = PITCHES + 1  # the "previous pitch" of a tune's first event
STEP_SPAN = 12  # the previous step's interval is told up to an octave either way
LINE_SPAN = 8  # the previous pitch's distance from the line's recent mean, up to 8 semitones
BEATS_AHEAD = 4  # the chords sounding 1, 2, 3 and 4 beats after an event's start
FEATURES = (("previous pitch", PITCHES + 2), ("previous duration", MAX_STEPS + 1),
            ("position in bar", BAR_STEPS), ("chord", 12), ("next chord root", 12),
            ("next chord", 12), ("steps to next chord", MAX_STEPS + 1),
            ("the melody's recent pitch classes", 12),
            # the melody's contour: exact in semitones, where the chord-relative pitches
            # above cannot tell it (their frame moves with every chord)
            ("the previous step", 2 * STEP_SPAN + 2),
            ("the previous pitch against the recent line", 2 * LINE_SPAN + 2),
            ("the chords on the beats ahead", 12 * BEATS_AHEAD))
# (features only ever come last: a run of an older version, whose LSTM kernel lacks the
# rows of the newer ones, reads them as zeros; ``schema.with_skip_paths``)
RECENT = 0.85  # how much of the pitch-class profile (and of the line's mean) one event keeps
LSTM_WIDTH = sum(w for _, w in FEATURES)  # what the LSTM reads
# after them, one feature only the pitch head reads: this event's own length, drawn (or, in
# a real melody, read) before its pitch, so the pitch is chosen for the length it will have
INPUT_WIDTH = LSTM_WIDTH + MAX_STEPS
LENGTH_NOW = slice(LSTM_WIDTH, INPUT_WIDTH)


def _offset(name: str) -> int:
    """Where feature ``name`` starts in the input vector."""
    names = [n for n, _ in FEATURES]
    return sum(w for _, w in FEATURES[:names.index(name)])


# where the note model's direct paths read the input: the previous pitch's one-hot (a rest
# or the start sets none of these), the previous event's length, and the contour's two
# one-hots, which choose the interval weights
PREVIOUS_PITCH = slice(0, PITCHES)
PREVIOUS_LENGTH = slice(PITCHES + 2, PITCHES + 2 + MAX_STEPS + 1)
CONTOUR_WIDTH = 2 * STEP_SPAN + 2 + 2 * LINE_SPAN + 2
CONTOUR = slice(_offset("the previous step"), _offset("the previous step") + CONTOUR_WIDTH)
AHEAD = slice(_offset("the chords on the beats ahead"), LSTM_WIDTH)

def interval_index() -> np.ndarray:
    """``(PITCHES, PITCHES)``: for [previous pitch, next pitch], the index of their interval
    among the ``2 * PITCHES - 1`` from ``PITCHES - 1`` semitones down to as many up."""
    return (np.arange(PITCHES)[None, :] - np.arange(PITCHES)[:, None]
            + PITCHES - 1).astype(np.int32)


@dataclass(frozen=True)
class Event:
    """One melody event: ``pitch`` (None for a rest), ``steps`` long, starting at grid step
    ``start`` from the beginning of the piece."""

    start: int
    steps: int
    pitch: int | None

    @property
    def symbol(self) -> int:
        """The event as one symbol of the baselines' alphabet (pitch and duration)."""
        return (REST if self.pitch is None else self.pitch) * MAX_STEPS + self.steps - 1


@dataclass(frozen=True)
class Harmony:
    """The chords under a melody, in time order: ``starts`` in grid steps, each chord's
    ``root`` and ``pcs`` (its pitch classes as a 12-bit mask relative to the root)."""

    starts: tuple[int, ...]
    roots: tuple[int, ...]
    pcs: tuple[int, ...]

    @classmethod
    def of(cls, chords: list[Chord]) -> Harmony:
        """From chords with absolute offsets (quarter notes); one chord per grid step (the
        last one wins when several start on the same step)."""
        by_step: dict[int, Chord] = {}
        for c in sorted(chords, key=lambda c: c.offset):
            if c.pitches:
                by_step[quantise(c.offset)] = c
        starts = sorted(by_step)
        return cls(tuple(starts), tuple(by_step[s].root % 12 for s in starts),
                   tuple(relative_mask(by_step[s]) for s in starts))

    def __len__(self) -> int:
        return len(self.starts)

    def at(self, step: int) -> int:
        """Index of the chord sounding at grid step ``step`` (the first one before any)."""
        return max(bisect.bisect_right(self.starts, step) - 1, 0)

    def to_json(self) -> list:
        return [list(self.starts), list(self.roots), list(self.pcs)]

    @classmethod
    def from_json(cls, item) -> Harmony:
        starts, roots, pcs = item
        h = cls(tuple(int(s) for s in starts), tuple(int(r) for r in roots),
                tuple(int(p) for p in pcs))
        if not (len(h.starts) == len(h.roots) == len(h.pcs)) or any(
                not 0 <= r < 12 for r in h.roots) or any(not 0 <= p < 4096 for p in h.pcs):
            raise ValueError("malformed harmony")
        return h


def quantise(quarters: float) -> int:
    """Quarter notes to the nearest grid step."""
    return int(round(quarters / STEP))


def relative_mask(chord: Chord) -> int:
    """The chord's pitch classes, relative to its root, as a 12-bit mask (bit 0: the root)."""
    mask = 0
    for pc in chord.pitch_classes:
        mask |= 1 << ((pc - chord.root) % 12)
    return mask | 1


def melody_events(notes: list[Note]) -> list[Event]:
    """The melody line as events on the grid (see the module's docstring)."""
    onsets: dict[int, Note] = {}
    for n in sorted(notes, key=lambda n: n.offset):
        step = quantise(n.offset)
        old = onsets.get(step)
        if old is None or (n.pitch is not None and (old.pitch is None or n.pitch > old.pitch)):
            onsets[step] = n
    steps = sorted(onsets)
    events: list[Event] = []
    for i, s in enumerate(steps):
        n = onsets[s]
        end = s + max(quantise(n.duration), 1)
        if i + 1 < len(steps):
            end = min(end, steps[i + 1])
        pitch = None if n.pitch is None else min(max(int(n.pitch), 0), PITCHES - 1)
        _add(events, s, end, pitch)
        if i + 1 < len(steps) and end < steps[i + 1]:  # a gap: silence until the next onset
            _add(events, end, steps[i + 1], None)
    return events


def _add(events: list[Event], start: int, end: int, pitch: int | None) -> None:
    """Append ``pitch`` from ``start`` to ``end``: a rest merged with a rest before it and cut
    at bar lines; a note cut at ``MAX_STEPS`` and the rest of it silence."""
    if pitch is not None:
        steps = min(end - start, MAX_STEPS)
        events.append(Event(start, steps, pitch))
        start += steps
    while start < end:
        if events and events[-1].pitch is None and events[-1].start + events[-1].steps == start \
                and (start % BAR_STEPS):
            last = events.pop()  # a rest continuing a rest within the bar
            start = last.start
        bar_end = (start // BAR_STEPS + 1) * BAR_STEPS
        stop = min(end, bar_end, start + MAX_STEPS)
        events.append(Event(start, stop - start, None))
        start = stop


@dataclass(frozen=True)
class Tune:
    """One piece as the note model reads it: its melody events and the harmony under them."""

    events: tuple[Event, ...]
    harmony: Harmony

    def to_json(self) -> dict:
        return {"events": [[e.start, e.steps, e.pitch] for e in self.events],
                "harmony": self.harmony.to_json()}

    @classmethod
    def from_json(cls, item: dict) -> Tune:
        """Raises ValueError, KeyError or TypeError on anything malformed."""
        events = tuple(Event(int(s), int(d), None if p is None else int(p))
                       for s, d, p in item["events"])
        if any(not 1 <= e.steps <= MAX_STEPS or (e.pitch is not None and
                                                  not 0 <= e.pitch < PITCHES) for e in events):
            raise ValueError("malformed events")
        harmony = Harmony.from_json(item["harmony"])
        if events and not len(harmony):
            raise ValueError("events without harmony")
        return cls(events, harmony)

    @property
    def melody_key(self) -> tuple:
        """What makes two files the same piece: the melody's pitches and durations from its
        first note (the same tune in two formats or two files, whatever its offset)."""
        return tuple((e.pitch, e.steps) for e in self.events)

    def symbols(self) -> np.ndarray:
        """The events as the baselines' symbols ``(n,)``."""
        return np.array([e.symbol for e in self.events], dtype=np.int64)


def tune_of(melody: list[Note], chords: list[Chord]) -> Tune:
    """A tune from a melody and chords with absolute offsets. Events before the first
    chord are left out (the network predicts each event over a chord)."""
    harmony = Harmony.of(chords)
    events = melody_events(melody)
    if len(harmony):
        first = harmony.starts[0]
        events = [e for e in events if e.start >= first]
    while events and events[0].pitch is None:  # a tune starts with its first note
        events.pop(0)
    while events and events[-1].pitch is None:
        events.pop()
    return Tune(tuple(events), harmony)


# --------------------------------------------------------------- the network's view

def relative_pitch(pitch: int | None, root: int) -> int:
    """A pitch as the network's pitch index: ``pitch - root`` (0-127), or ``REST``."""
    if pitch is None:
        return REST
    return min(max(pitch - root, 0), PITCHES - 1)


def absolute_pitch(index: int, root: int) -> int | None:
    """The inverse of :func:`relative_pitch` (None for a rest)."""
    return None if index == REST else index + root


def context(harmony: Harmony, step: int) -> tuple[int, int, int, int, int]:
    """What the network sees of the harmony at grid step ``step``:
    (root, chord mask, next root relative to the root, next chord mask, steps to it)."""
    i = harmony.at(step)
    root, mask = harmony.roots[i], harmony.pcs[i]
    if i + 1 < len(harmony):
        j = i + 1
        until = min(harmony.starts[j] - step, MAX_STEPS)
    else:
        j, until = i, 0  # no chord change to come: the same chord, "now"
    return root, mask, (harmony.roots[j] - root) % 12, harmony.pcs[j], until



class Reader:
    """What the network has read of a melody so far: the previous event, the pitch
    classes of the recent notes (each weighted by its length, fading by ``RECENT`` an
    event): the key the melody is in, which the chords alone do not tell; and the
    contour: the step into the previous event and that pitch's height against the line's
    recent mean (its notes' pitches, fading the same way)."""

    def __init__(self) -> None:
        self.prev: Event | None = None
        self.before: int | None = None  # the pitch of the event before ``prev`` (None: a rest)
        self.profile = np.zeros(12)
        self.line: float | None = None

    def push(self, event: Event) -> None:
        self.profile *= RECENT
        self.before = None if self.prev is None else self.prev.pitch
        if event.pitch is not None:
            self.profile[event.pitch % 12] += event.steps
            self.line = event.pitch if self.line is None else \
                RECENT * self.line + (1 - RECENT) * event.pitch
        self.prev = event

    def contour(self) -> tuple[int, int]:
        """The indices of the two contour features: the previous step in semitones (the
        last index when it or the event before it is a rest, or nothing came before) and
        the previous pitch's distance from the line's mean (the last index after a rest)."""
        pitch = None if self.prev is None else self.prev.pitch
        if pitch is None:
            return 2 * STEP_SPAN + 1, 2 * LINE_SPAN + 1
        step = 2 * STEP_SPAN + 1 if self.before is None else \
            int(np.clip(pitch - self.before, -STEP_SPAN, STEP_SPAN)) + STEP_SPAN
        return step, int(np.clip(round(pitch - self.line), -LINE_SPAN, LINE_SPAN)) + LINE_SPAN

    def features(self, step: int, harmony: Harmony) -> tuple[np.ndarray, int]:
        """The input vector ``(INPUT_WIDTH,)`` of the event starting at grid step ``step``,
        and the root of the chord it sounds over. Its own length is not set: the caller
        sets it (:func:`set_length`) once it is known, before the pitch head reads it."""
        root, mask, next_root, next_mask, until = context(harmony, step)
        prev = self.prev
        x = np.zeros(INPUT_WIDTH, dtype=np.float32)
        at = 0
        # the previous pitch relative to this event's root: the pitch head's own coordinates
        x[at + (START if prev is None else relative_pitch(prev.pitch, root))] = 1
        at += PITCHES + 2
        x[at + (0 if prev is None else prev.steps)] = 1
        at += MAX_STEPS + 1
        x[at + step % BAR_STEPS] = 1
        at += BAR_STEPS
        at = _bits(x, at, mask)
        x[at + next_root] = 1
        at += 12
        at = _bits(x, at, next_mask)
        x[at + until] = 1
        at += MAX_STEPS + 1
        total = self.profile.sum()
        if total:  # relative to the root, as a share of the recent notes
            x[at:at + 12] = np.roll(self.profile, -root) / total
        at += 12
        step_index, line_index = self.contour()
        x[at + step_index] = 1
        x[at + 2 * STEP_SPAN + 2 + line_index] = 1
        at += CONTOUR_WIDTH
        for k in range(1, BEATS_AHEAD + 1):  # what the line must lead to: the changes ahead
            i = harmony.at(step + k * BAR_STEPS // 4)
            at = _bits(x, at, _rotate(harmony.pcs[i], harmony.roots[i] - root))
        return x, root


def set_length(x: np.ndarray, steps: int) -> None:
    """Tell the pitch head of input ``x`` its event's length in grid steps."""
    x[LENGTH_NOW] = 0
    x[LSTM_WIDTH + steps - 1] = 1


def _rotate(mask: int, by: int) -> int:
    """A 12-bit pitch-class mask moved up by ``by`` semitones."""
    by %= 12
    return ((mask << by) | (mask >> (12 - by))) & 0xFFF


def _bits(x: np.ndarray, at: int, mask: int) -> int:
    for b in range(12):
        if mask >> b & 1:
            x[at + b] = 1
    return at + 12


def encode_tune(tune: Tune) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The network's inputs and targets for a whole tune: ``X (n, INPUT_WIDTH)``, the
    pitch targets ``P (n,)`` (root-relative, or ``REST``) and the duration targets
    ``D (n,)`` (steps - 1)."""
    n = len(tune.events)
    X = np.zeros((n, INPUT_WIDTH), dtype=np.float32)
    P = np.zeros(n, dtype=np.int32)
    D = np.zeros(n, dtype=np.int32)
    reader = Reader()
    for i, e in enumerate(tune.events):
        X[i], root = reader.features(e.start, tune.harmony)
        set_length(X[i], e.steps)
        P[i] = relative_pitch(e.pitch, root)
        D[i] = e.steps - 1
        reader.push(e)
    return X, P, D
