"""The jazz grammar (the course's, after deepjazz): melody notes as
``TYPE,DURATION[,<UPPER,LOWER>]`` tokens.

Pure Python (no music21): the MIDI layer (``seqgen.midi.source``) turns a file into
notes (``seqgen.midi.notes.Note``, re-exported here) and the chords below, and
everything here works on MIDI numbers and diatonic step numbers.

- TYPE, judged against the chord sounding at the note: ``R`` rest, ``C`` chord tone,
  ``S`` scale tone (the chord's scale: major for major chords, Dorian otherwise),
  ``A`` approach tone (a semitone from a chord tone), ``X`` anything else.
- DURATION: the quarter length with 3 decimals.
- ``<UPPER,LOWER>`` (every note after the first of a measure): the directed names of the
  interval from the previous note plus and minus a minor third, spelled as music21
  spells them (``M-2``, ``d5``, ``A8`` …), so the window of the next note is known.

Pitch classes decide chord and scale membership (the file's spelling is MIDI's
default one, so this agrees with comparing music21's pitch names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seqgen.errors import GrammarError
from seqgen.midi.notes import Chord, Note

MAJOR = (0, 2, 4, 5, 7, 9, 11)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
_STEP_SEMITONES = (0, 2, 4, 5, 7, 9, 11)  # major / perfect intervals by simple generic step
_PERFECT = {0, 3, 4}  # unison, fourth, fifth (0-based generic steps)
_TOKEN = re.compile(r"^([RCSAX]),(\d+\.\d{3})(?:,<([^,<>]+),([^,<>]+)>)?$")
_INTERVAL = re.compile(r"^(P|M|m|A+|d+)(-?)(\d+)$")


@dataclass(frozen=True)
class Token:
    """One parsed grammar token."""

    kind: str
    duration: float
    upper: str | None = None
    lower: str | None = None

    def __str__(self) -> str:
        text = f"{self.kind},{self.duration:.3f}"
        if self.upper is not None:
            text += f",<{self.upper},{self.lower}>"
        return text


def interval_name(steps: int, semitones: int) -> str:
    """music21's ``directedName`` of an interval of ``steps`` diatonic steps, ``semitones``.

    >>> interval_name(2, 3), interval_name(-1, -2), interval_name(0, -1)
    ('m3', 'M-2', 'd1')
    """
    if steps == 0:  # unisons carry their direction in the quality
        return "P1" if semitones == 0 else ("A" * semitones if semitones > 0
                                            else "d" * -semitones) + "1"
    sign = 1 if steps > 0 else -1
    size, semis = abs(steps), semitones * sign
    simple, octaves = size % 7, size // 7
    diff = semis - (_STEP_SEMITONES[simple] + 12 * octaves)
    if simple in _PERFECT:
        quality = "P" if diff == 0 else ("A" * diff if diff > 0 else "d" * -diff)
    else:
        quality = {0: "M", -1: "m"}.get(diff) or ("A" * diff if diff > 0 else "d" * (-diff - 1))
    return f"{quality}{'' if sign > 0 else '-'}{size + 1}"


def interval_semitones(name: str) -> int:
    """Signed semitones of a directed interval name (the inverse of :func:`interval_name`).

    Raises:
        GrammarError: not an interval name (a ValueError too).
    """
    m = _INTERVAL.match(name)
    if not m:
        raise GrammarError(f"not an interval name: {name!r}")
    quality, minus, number = m.group(1), m.group(2), int(m.group(3))
    if number < 1:
        raise GrammarError(f"not an interval name: {name!r}")
    size = number - 1
    simple, octaves = size % 7, size // 7
    base = _STEP_SEMITONES[simple] + 12 * octaves
    if simple in _PERFECT:
        if quality in ("M", "m"):
            raise GrammarError(f"not an interval name: {name!r}")
        diff = 0 if quality == "P" else (len(quality) if quality[0] == "A" else -len(quality))
    else:
        if quality == "P":
            raise GrammarError(f"not an interval name: {name!r}")
        diff = {"M": 0, "m": -1}.get(quality)
        if diff is None:
            diff = len(quality) if quality[0] == "A" else -len(quality) - 1
    semis = base + diff
    if size == 0:  # unison: direction is in the quality (d1 is one semitone down)
        return semis
    return -semis if minus else semis


def interval_window(prev: Note, note: Note) -> tuple[str, str]:
    """(UPPER, LOWER): the interval prev → note plus and minus a minor third."""
    steps = note.steps - prev.steps
    semis = note.pitch - prev.pitch
    return interval_name(steps + 2, semis + 3), interval_name(steps - 2, semis - 3)


def scale_of(chord: Chord) -> frozenset[int]:
    """Pitch classes of the chord's scale: major for major chords, Dorian otherwise.

    Like music21's ``derive``, the tonic is the one whose scale holds the most chord
    tones; among equals the chord's root wins, then the next tonics upwards from it.
    """
    pattern = MAJOR if chord.quality == "major" else DORIAN
    pcs = chord.pitch_classes
    best, best_count = None, -1
    for k in range(12):
        tonic = (chord.root + k) % 12
        scale = frozenset((tonic + s) % 12 for s in pattern)
        count = len(pcs & scale)
        if count > best_count:
            best, best_count = scale, count
    return best


def classify(pitch: int | None, chord: Chord) -> str:
    """The grammar TYPE of ``pitch`` (None = rest) against ``chord``: R, C, S, A or X."""
    if pitch is None:
        return "R"
    pc = pitch % 12
    tones = chord.pitch_classes
    if pc in tones:
        return "C"
    if pc in scale_of(chord):
        return "S"
    if (pc + 1) % 12 in tones or (pc - 1) % 12 in tones:
        return "A"
    return "X"


def chord_at(chords: list[Chord], offset: float) -> Chord:
    """The most recent chord starting at or before ``offset`` (the first one if none has)."""
    current = chords[0]
    for chord in chords:
        if chord.offset <= offset + 1e-9:
            current = chord
        else:
            break
    return current


def encode_measure(notes: list[Note], chords: list[Chord]) -> list[str]:
    """Grammar tokens of one measure's notes and rests (a rest or a note per token, each with its
    duration).

    Args:
        notes: the measure's melody in time order (offsets on the same clock as ``chords``).
        chords: the chords sounding so far, sorted by offset (at least one).
    Returns:
        One token string per note or rest.
    """
    if not chords:
        raise ValueError("encode_measure needs at least one chord")
    tokens, prev = [], None
    for n in notes:
        kind = classify(n.pitch, chord_at(chords, n.offset))
        token = Token(kind, round(n.duration, 3))
        if not n.is_rest:
            if prev is not None:
                upper, lower = interval_window(prev, n)
                token = Token(kind, token.duration, upper, lower)
            prev = n
        tokens.append(str(token))
    return tokens


def parse_token(text: str) -> Token:
    """Parse ``TYPE,DURATION[,<UPPER,LOWER>]``.

    Raises:
        GrammarError: malformed token (a ValueError too).
    """
    m = _TOKEN.match(text)
    if not m:
        raise GrammarError(f"not a grammar token: {text!r}")
    kind, duration, upper, lower = m.groups()
    if upper is not None:
        interval_semitones(upper)
        interval_semitones(lower)
    return Token(kind, float(duration), upper, lower)
