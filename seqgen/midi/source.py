"""A MIDI file as the jazz tools see it: music21's parts, tempo marks and chord symbols,
and the melody, chords and section cut out of it (for training, and for a primer).

``open_midi`` summarises every part (for ``midi-info`` and the automatic part choice of
``seqgen.midi.parts``); ``load_solo`` (parts named by a config), ``load_solo_auto`` (parts
chosen automatically) and ``read_primer`` cut out a melody and its chords, bar by bar.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from seqgen.errors import MusicError
from seqgen.midi import parts as rules
from seqgen.midi.notes import DEFAULT_BPM, MEASURE, Chord, Note, TempoMap
from seqgen.midi.parts import PartChoice, PartSummary
from seqgen.midi.smf import midi_file, read_bytes, track_events

MIDI_HINT = "pass --midi PATH (or set midi: in the config)"
_FLAT = re.compile(r"(^|/)([A-G])b")  # a root's or a bass's flat, written "b"
_SYMBOL = re.compile(r"^[A-G][#b-]?[A-Za-z0-9#+()/-]{0,14}$")  # what may be a chord name


# --------------------------------------------------------------------------- music21's view

@dataclass(frozen=True)
class MidiSource:
    """A MIDI file as the jazz tools see it: music21's parts and what they hold.

    ``parts`` summarise the whole piece; ``tempos`` are the file's tempo marks as
    (quarter, seconds, bpm) (empty when it sets none: 120 bpm); ``symbols`` its chord
    symbols (text or lyric events that name chords, when they are most of that text).
    """

    name: str
    score: object = field(repr=False)  # music21.stream.Score
    tempo: TempoMap
    tempos: tuple[tuple[float, float, float], ...]
    symbols: tuple[Chord, ...]
    parts: tuple[PartSummary, ...]
    length: float  # quarter notes to the end of the last note

    @property
    def bpm(self) -> float:
        """The first tempo mark's bpm (120 when the file has none)."""
        return self.tempos[0][2] if self.tempos else DEFAULT_BPM


def open_midi(path: str | Path, hint: str = "") -> MidiSource:
    """Read ``path`` with music21 and summarise its parts.

    ``hint`` ends the message for a missing file (what the user can do about it).

    Raises:
        DataError: missing, a directory or empty. MusicError: not MIDI or unreadable.
    """
    p, data = read_bytes(path, hint)
    return source_from_bytes(data, str(p))


def source_from_bytes(data: bytes, name: str) -> MidiSource:
    """:func:`open_midi` for bytes already in memory (``name`` for messages)."""
    from music21 import midi as m21midi

    mf = midi_file(data, name, "cannot read MIDI file")
    events = track_events(mf, m21midi)
    try:
        score = m21midi.translate.midiFileToStream(mf)
    except Exception as exc:  # noqa: BLE001 - music21 raises many kinds on corrupt files
        raise MusicError(f"cannot read MIDI file {name}: {type(exc).__name__}: {exc}") from None
    # marks as a score shows them: bpm to 2 decimals (60e6 / round(60e6 / 130) is 130.00002)
    tempos = tuple((q, s, round(bpm, 2)) for q, s, bpm in events.tempo.changes()
                   ) if events.marks else ()
    symbols = _chord_symbols([(events.quarters(t), text) for t, text in events.texts],
                             float(score.highestTime))
    summaries = _summaries(score, events.tempo, None)
    return MidiSource(name, score, events.tempo, tempos, symbols, summaries,
                      float(score.highestTime))


def music21_spelling(symbol: str) -> str:
    """A chord symbol as music21 reads it: the flat of a root or bass is "-" ("Bb7" is
    "B-7", "C/Bb" is "C/B-")."""
    return _FLAT.sub(r"\1\2-", symbol)


def _chord_symbols(texts: list[tuple[float, str]], length: float) -> tuple[Chord, ...]:
    """Chords named by text events, each lasting to the next (the last to ``length``).

    Used only when at least ``parts.MIN_SYMBOLS`` of them name chords and they are at
    least half of the text: lyrics and remarks are not harmony.
    """
    from music21 import harmony

    found: list[tuple[float, object]] = []
    for quarter, text in texts:
        if not _SYMBOL.match(text):
            continue
        spelled = music21_spelling(text).replace("(", "").replace(")", "")
        try:
            symbol = harmony.ChordSymbol(spelled)
        except Exception:  # noqa: BLE001 - music21 raises several kinds for non-chords
            continue
        if symbol.pitches:
            found.append((quarter, symbol))
    if len(found) < rules.MIN_SYMBOLS or 2 * len(found) < len(texts):
        return ()
    found.sort(key=lambda item: item[0])
    out = []
    for i, (quarter, symbol) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else max(length, quarter + MEASURE)
        out.append(chord_value(symbol, quarter, end - quarter))
    return tuple(out)


def _summaries(score, tempo: TempoMap, window: tuple[float, float] | None
               ) -> tuple[PartSummary, ...]:
    """One :class:`PartSummary` per music21 part, of the elements inside ``window``."""
    from music21 import instrument, note, percussion

    out = []
    for index, part in enumerate(score.parts):
        flat = part.flatten()
        onsets: dict[float, set[int]] = {}
        spans: list[tuple[float, float]] = []
        drums = False
        for el in flat.notes:
            off = float(flat.elementOffset(el))
            if window is not None and not window[0] <= off <= window[1]:
                continue
            if isinstance(el, (note.Unpitched, percussion.PercussionChord)):
                drums = True
                pitches = []
            else:
                pitches = [int(p.midi) for p in el.pitches]
            onsets.setdefault(off, set()).update(pitches)
            end = off + max(float(el.quarterLength), 1e-6)
            spans.extend((off, end) for _ in range(max(len(pitches), 1)))
        insts = list(flat.getElementsByClass(instrument.Instrument))
        drums = drums or any(isinstance(i, instrument.UnpitchedPercussion) for i in insts)
        out.append(_summary(index, str(part.partName or "").strip(), _instrument_name(insts),
                            drums, onsets, spans, tempo))
    return tuple(out)


def _instrument_name(insts: list) -> str:
    """The instrument a part's program names (the last one set), else its first name."""
    named = [i for i in insts if i.midiProgram is not None and i.instrumentName]
    if named:
        return str(named[-1].instrumentName)
    return next((str(i.instrumentName) for i in insts if i.instrumentName), "")


def _summary(index: int, name: str, inst: str, drums: bool, onsets: dict[float, set[int]],
             spans: list[tuple[float, float]], tempo: TempoMap) -> PartSummary:
    pitched = [ps for ps in onsets.values() if ps] if not drums else []
    singles = sum(len(ps) == 1 for ps in pitched)
    chords = len(pitched) - singles
    notes = singles if not drums else len(onsets)
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    depth = most = 0
    for _, step in edges:  # at equal times ends (-1) sort first: touching notes do not stack
        depth += step
        most = max(most, depth)
    all_pitches = [p for ps in pitched for p in ps]
    tops = sorted(max(ps) for ps in pitched)
    first = min(onsets) if onsets else None
    last = max(onsets) if onsets else None
    return PartSummary(
        index, name, "drums" if drums and not inst else inst, drums, notes, chords, most,
        min(all_pitches) if all_pitches else None, max(all_pitches) if all_pitches else None,
        float(tops[len(tops) // 2]) if tops else None, first, last,
        tempo.seconds(first) if first is not None else None,
        tempo.seconds(last) if last is not None else None)


# --------------------------------------------------------------------------- solos

@dataclass
class Solo:
    """A solo cut into measures: melody and chords per measure (absolute offsets).

    ``bpm`` is the source's first tempo mark (120 without one); ``choice`` says which
    parts it came from when they were chosen by :func:`load_solo_auto`.
    """

    melody: list[list[Note]]
    chords: list[list[Chord]]
    bars: list[int]  # the measure numbers, int(offset / 4)
    bpm: float = DEFAULT_BPM
    choice: PartChoice | None = None


def chord_value(c, offset: float, duration: float | None = None) -> Chord:
    pitches = tuple(sorted(int(p.midi) for p in c.pitches))
    try:
        root = int(c.root().pitchClass)
    except Exception:  # noqa: BLE001 - music21 cannot find a root for some sets
        root = pitches[0] % 12
    quality = c.quality if len(set(p % 12 for p in pitches)) > 1 else "other"
    length = float(c.quarterLength) if duration is None else float(duration)
    return Chord(float(offset), length, pitches, root, str(quality))


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


_WINDOW = dict(includeEndBoundary=True, mustBeginInSpan=True)


def _melody_line(part, start: float, end: float) -> list[Note]:
    """The part's notes and rests in the window as one line (voices merged)."""
    flat = part.flatten()  # voices, when present, merge here
    by_offset: dict[float, Note] = {}
    for el in flat.getElementsByOffset(start, end, **_WINDOW).notesAndRests:
        n = _melody_value(el, flat.elementOffset(el))
        old = by_offset.get(n.offset)
        # one line: of simultaneous elements keep the highest note (a rest only if alone)
        if old is None or (n.pitch is not None and (old.pitch is None or n.pitch > old.pitch)):
            by_offset[n.offset] = n
    return [by_offset[k] for k in sorted(by_offset)]


def _part_chords(part, start: float, end: float) -> list[Chord]:
    """The chord objects of a part in the window (its single notes and rests left out)."""
    from music21 import chord as m21chord

    flat = part.flatten()
    return [chord_value(c, flat.elementOffset(c))
            for c in flat.getElementsByOffset(start, end, **_WINDOW)
            .getElementsByClass(m21chord.Chord)]


def _inferred_chords(score, indices: tuple[int, ...], start: float, end: float
                     ) -> list[Chord]:
    """Chords per beat from the pitched notes of the parts ``indices``."""
    from music21 import chord as m21chord
    from music21 import note as m21note
    from music21 import pitch as m21pitch

    notes = []
    for i in indices:
        flat = score.parts[i].flatten()
        for el in flat.notes:
            if isinstance(el, (m21note.Note, m21chord.Chord)) and \
                    not isinstance(el, m21note.Unpitched):
                off, dur = float(flat.elementOffset(el)), float(el.quarterLength)
                notes.extend(Note(off, dur, int(p.midi)) for p in el.pitches)
    return [chord_value(m21chord.Chord([m21pitch.Pitch(midi=p) for p in pitches]), off, dur)
            for off, dur, pitches in rules.beat_harmony(notes, start, end)]


def _by_bar(melody: list[Note], chords: list[Chord], end: float) -> Solo:
    # the window's end is inclusive for the elements on it, but a bar starting there is
    # outside the solo (the reference drops that last group)
    bars = sorted({int(n.offset // MEASURE) for n in melody
                   if int(n.offset // MEASURE) * MEASURE < end or end % MEASURE})
    melody_by_bar = {b: [n for n in melody if int(n.offset // MEASURE) == b] for b in bars}
    chords_by_bar = {b: [c for c in chords if int(c.offset // MEASURE) == b] for b in bars}
    return Solo([melody_by_bar[b] for b in bars], [chords_by_bar[b] for b in bars], bars)


def load_solo(path: MidiSource | str | Path, melody_part: int, chord_part: int,
              accompaniment_parts: tuple[int, ...], start: float, end: float) -> Solo:
    """Read the solo section of a MIDI file (the parts and the offset window the course's reference
    uses).

    Args:
        melody_part / chord_part / accompaniment_parts: part indices in the parsed file.
        start, end: the offset window in quarter notes (end inclusive).
    Returns:
        The melody grouped into measures of 4 quarters (``int(offset / 4)``) and, for each
        of those measures, the chords of ``chord_part`` that start in it.
    Raises:
        DataError: missing or empty file. MusicError: not MIDI, missing parts, no notes.
    """
    source = path if isinstance(path, MidiSource) else open_midi(path, MIDI_HINT)
    solo = solo_from_score(source.score, source.name, melody_part, chord_part,
                           accompaniment_parts, start, end)
    solo.bpm = source.bpm
    return solo


def solo_from_score(score, name: str, melody_part: int, chord_part: int,
                    accompaniment_parts: tuple[int, ...], start: float, end: float) -> Solo:
    """:func:`load_solo` for a music21 score already in memory (``name`` for messages)."""
    parts = list(score.parts)
    for role, index in [("melody_part", melody_part), ("chord_part", chord_part),
                        *(("accompaniment_parts", i) for i in accompaniment_parts)]:
        if not 0 <= index < len(parts):
            raise MusicError(f"{name} has {len(parts)} parts (0-{len(parts) - 1}); the config's "
                             f"{role} {index} is not one of them")
    melody = _melody_line(parts[melody_part], start, end)
    if not any(not n.is_rest for n in melody):
        raise MusicError(f"{name}: part {melody_part} has no notes between offsets {start:g} "
                         f"and {end:g}; check melody_part and the offset window in the config")
    chords = _part_chords(parts[chord_part], start, end)
    if not chords:
        raise MusicError(f"{name}: part {chord_part} has no chords between offsets {start:g} "
                         f"and {end:g}; check chord_part in the config")
    return _by_bar(melody, chords, end)


def _source(source: MidiSource | str | Path) -> MidiSource:
    return source if isinstance(source, MidiSource) else open_midi(source)


def choose_parts(source: MidiSource | str | Path, melody: int | str | None = None,
                 chords: int | str | None = None, window: tuple[float, float] | None = None,
                 *, min_notes: int = rules.MIN_MELODY_NOTES, need_harmony: bool = True
                 ) -> PartChoice:
    """The melody and harmony parts of a file, by the rules of ``seqgen.midi.parts``.

    Args:
        source: a file or an :func:`open_midi` result.
        melody / chords: a part index or name instead of the automatic choice.
        window: (start, end) in quarter notes, end inclusive; default the whole piece.
        min_notes: the fewest onsets of a melody. need_harmony: raise without harmony.
    Raises:
        DataError / MusicError: unreadable file; no usable melody or harmony (naming the
        file and the reason); an override that names no usable part.
    """
    src = _source(source)
    win = (0.0, src.length) if window is None else (float(window[0]), float(window[1]))
    if win[1] < win[0]:
        raise MusicError(f"{src.name}: the window ends ({win[1]:g}) before it starts "
                         f"({win[0]:g})")
    summaries = src.parts if window is None else _summaries(src.score, src.tempo, win)
    symbols = sum(win[0] <= c.offset <= win[1] for c in src.symbols)
    return rules.choose(summaries, src.name, symbols, win, melody, chords, min_notes,
                        need_harmony)


def harmony_of(src: MidiSource, choice: PartChoice) -> list[Chord]:
    start, end = choice.window
    if choice.chord_source == "symbols":
        return [c for c in src.symbols if start <= c.offset <= end]
    if choice.chord_source == "part":
        return _part_chords(src.score.parts[choice.chords], start, end)
    if choice.chord_source == "inferred":
        return _inferred_chords(src.score, choice.harmony_parts, start, end)
    return []


def load_solo_auto(source: MidiSource | str | Path, melody: int | str | None = None,
                   chords: int | str | None = None,
                   window: tuple[float, float] | None = None) -> Solo:
    """Read a solo from any MIDI file, its parts chosen by :func:`choose_parts`.

    Bars before the harmony starts are left out. ``Solo.bpm`` is the source's first tempo
    mark (120 without one) and ``Solo.choice`` the parts used.

    Raises:
        DataError / MusicError: unreadable file, no usable melody or harmony, or fewer
        than 2 measures of melody over the harmony.
    """
    src = _source(source)
    choice = choose_parts(src, melody, chords, window)
    start, end = choice.window
    line = _melody_line(src.score.parts[choice.melody], start, end)
    harmony = sorted(harmony_of(src, choice), key=lambda c: c.offset)
    if not harmony:
        raise MusicError(f"{src.name}: no usable harmony in offsets {start:g}-{end:g} "
                         f"({choice.describe(src.parts)})")
    solo = _by_bar(line, harmony, end if window is not None else math.inf)
    keep = [i for i, bar in enumerate(solo.bars) if harmony[0].offset < (bar + 1) * MEASURE]
    solo = Solo([solo.melody[i] for i in keep], [solo.chords[i] for i in keep],
                [solo.bars[i] for i in keep], src.bpm, choice)
    if sum(any(not n.is_rest for n in m) for m in solo.melody) < 2:
        raise MusicError(f"{src.name}: too few notes: the melody (part {choice.melody}) fills "
                         f"{len(solo.melody)} measure(s) over the harmony; at least 2 are "
                         "needed")
    return solo


@dataclass(frozen=True)
class Primer:
    """A primer's melody and the chords around it, for continuing it with the jazz model.

    Offsets are relative to the bar line before the first note: ``measures[m]`` holds the
    notes and rests of bar ``m`` (offsets 4m … 4m+4), leading and trailing rests dropped. ``chords``
    are on the same clock (the one sounding at the first note moved to 0); empty when the
    file has no harmony.
    """

    measures: tuple[tuple[Note, ...], ...]
    chords: tuple[Chord, ...]
    bpm: float
    choice: PartChoice

    @property
    def notes(self) -> tuple[Note, ...]:
        return tuple(n for m in self.measures for n in m)


def read_primer(path: str | Path, melody: int | str | None = None) -> Primer:
    """The melody of a primer MIDI file (chosen as by :func:`choose_parts`) and its chords.

    A file with one pitched part takes it as the melody, however short or chordal.

    Raises:
        DataError / MusicError: unreadable file; a primer without notes.
    """
    src = open_midi(path)
    pitched = [p for p in src.parts if p.pitched]
    if not pitched:
        why = " (only drums)" if any(p.drums and p.onsets for p in src.parts) else ""
        raise MusicError(f"primer {src.name} has no notes{why}")
    if melody is None and len(pitched) == 1:
        melody = pitched[0].index
    choice = choose_parts(src, melody, min_notes=1, need_harmony=False)
    line = _melody_line(src.score.parts[choice.melody], *choice.window)
    while line and line[0].is_rest:  # the melody starts with its first note ...
        line.pop(0)
    while line and line[-1].is_rest:  # ... and ends with its last (music21 pads the bar)
        line.pop()
    if not line:
        raise MusicError(f"primer {src.name} has no notes in part {choice.melody}")
    shift = int(line[0].offset // MEASURE) * MEASURE
    line = [_moved(n, -shift) for n in line]
    bars: dict[int, list[Note]] = {}
    for n in line:
        bars.setdefault(int(n.offset // MEASURE), []).append(n)
    measures = tuple(tuple(bars.get(b, ())) for b in range(max(bars) + 1))
    harmony = sorted(harmony_of(src, choice), key=lambda c: c.offset)
    first = line[0].offset + shift
    before = [c for c in harmony if c.offset <= first]
    last = line[-1].offset + line[-1].duration + shift
    kept = ([before[-1]] if before else []) + [c for c in harmony if first < c.offset < last]
    chords = tuple(Chord(max(c.offset - shift, 0.0), c.duration, c.pitches, c.root, c.quality)
                   for c in kept)
    return Primer(measures, chords, src.bpm, choice)


def _moved(n: Note, delta: float) -> Note:
    return Note(n.offset + delta, n.duration, n.pitch, n.diatonic)
