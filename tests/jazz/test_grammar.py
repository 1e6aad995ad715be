"""The jazz grammar: token types, interval names, encoding of small hand-built measures,
and decode -> encode round trips."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.jazz.grammar import (
    classify,
    encode_measure,
    interval_name,
    interval_semitones,
    interval_window,
    parse_token,
    scale_of,
)
from seqgen.jazz.improvise import GRID, realise_measure, snap
from seqgen.midi.notes import MEASURE, Chord, Note

C_MAJOR = Chord(0.0, 4.0, (48, 52, 55), root=0, quality="major")  # C3 E3 G3
D_MINOR = Chord(0.0, 4.0, (50, 53, 57), root=2, quality="minor")  # D3 F3 A3


@pytest.mark.parametrize("pitch,chord,kind", [
    (None, C_MAJOR, "R"),
    (60, C_MAJOR, "C"), (76, C_MAJOR, "C"), (67, C_MAJOR, "C"),  # C, E, G in any octave
    (62, C_MAJOR, "S"), (69, C_MAJOR, "S"), (71, C_MAJOR, "S"),  # D, A, B: C major scale
    (61, C_MAJOR, "A"), (63, C_MAJOR, "A"), (66, C_MAJOR, "A"),  # C#, E-, F#: a semitone off
    (70, C_MAJOR, "X"),                                          # B-: none of these
    (62, D_MINOR, "C"), (71, D_MINOR, "S"),                      # B natural: D Dorian
    (70, D_MINOR, "A"), (68, D_MINOR, "A"), (61, D_MINOR, "A"),
])
def test_classify_chord_scale_approach_other(pitch, chord, kind):
    assert classify(pitch, chord) == kind


def test_scale_is_major_for_major_chords_and_dorian_otherwise():
    assert scale_of(C_MAJOR) == frozenset({0, 2, 4, 5, 7, 9, 11})
    assert scale_of(D_MINOR) == frozenset({2, 4, 5, 7, 9, 11, 0})  # D Dorian
    # like music21's derive: the tonic whose scale holds the most chord tones
    c7_sharp5 = Chord(0, 4, (48, 51, 55, 56, 58), root=0, quality="other")  # C E- G G# B-
    # B- and F Dorian both hold all five; the first from the root upwards wins
    assert scale_of(c7_sharp5) == frozenset({5, 7, 8, 10, 0, 2, 3})  # F Dorian


def test_interval_names_match_music21():
    from music21 import interval, pitch

    for a in range(55, 74):
        for b in range(50, 80):
            d = interval.Interval(noteStart=pitch.Pitch(midi=a), noteEnd=pitch.Pitch(midi=b))
            expected = (interval.add([d, "m3"]).directedName,
                        interval.subtract([d, "m3"]).directedName)
            assert interval_window(Note(0, 1, a), Note(0, 1, b)) == expected, (a, b)
            assert interval_semitones(expected[0]) == b - a + 3
            assert interval_semitones(expected[1]) == b - a - 3


@pytest.mark.parametrize("steps,semis,name", [
    (2, 3, "m3"), (-1, -2, "M-2"), (0, -1, "d1"), (0, 0, "P1"), (4, 6, "d5"), (7, 13, "A8"),
    (-3, -5, "P-4"), (8, 14, "M9"), (2, 2, "d3"), (4, 5, "dd5")])
def test_interval_name_table(steps, semis, name):
    assert interval_name(steps, semis) == name
    assert interval_semitones(name) == semis


@pytest.mark.parametrize("bad", ["", "C", "C,1", "Q,1.000", "C,1.000,<m3>", "C,1.000,<x3,m3>",
                                 "C,1.000,<M4,m-3>", "R,0.250,<m3,m-3", "C,-1.000"])
def test_malformed_tokens_are_refused(bad):
    with pytest.raises(ValueError):
        parse_token(bad)


def _melody_stream():
    """Measure 2 of a hand-built music21 solo: C4 q, E4 e, rest e, D4 q, B3 q over C major."""
    from music21 import chord, note, stream

    melody, chords = stream.Part(), stream.Part()
    for offset in (0.0, 4.0):
        chords.insert(offset, chord.Chord(["C3", "E3", "G3"], quarterLength=4))
    melody.insert(0.0, note.Note("G4", quarterLength=4))  # measure 1: skipped (the reference does)
    for offset, item in [(4.0, note.Note("C4", quarterLength=1)),
                         (5.0, note.Note("E4", quarterLength=0.5)),
                         (5.5, note.Rest(quarterLength=0.5)),
                         (6.0, note.Note("D4", quarterLength=1)),
                         (7.0, note.Note("B3", quarterLength=1))]:
        melody.insert(offset, item)
    return stream.Score([chords, melody])


EXPECTED = ["C,1.000", "C,0.500,<P5,A1>", "R,0.500", "S,1.000,<m2,P-4>", "S,1.000,<P1,d-5>"]


def test_encode_a_hand_built_music21_measure():
    from seqgen.midi.source import solo_from_score

    solo = solo_from_score(_melody_stream(), "hand-built", 1, 0, (), 0.0, 8.0)
    assert solo.bars == [0, 1]
    chords = [c for cs in solo.chords for c in cs]
    assert chords[0].quality == "major" and chords[0].root == 0
    assert encode_measure(solo.melody[1], chords) == EXPECTED


def test_encode_pure_values_and_first_note_has_no_interval():
    notes = [Note(0, 0.5), Note(0.5, 1 / 3, 64), Note(5 / 6, 1 / 12, 61), Note(1, 3, 70)]
    tokens = encode_measure(notes, [C_MAJOR])
    # E4 -> C#4 is a minor third down (spelled E to C#): +m3 = P1, -m3 = d-5;
    # C#4 -> B-4 is a diminished seventh (C# to B-): +m3 = d9, -m3 = d5
    assert tokens == ["R,0.500", "C,0.333", "A,0.083,<P1,d-5>", "X,3.000,<d9,d5>"]


def test_encode_judges_each_note_against_the_last_chord_before_it():
    g7 = Chord(2.0, 2.0, (43, 47, 50, 53), root=7, quality="other")
    notes = [Note(0, 2, 71), Note(2, 2, 71)]  # B4 twice: scale tone of C, chord tone of G7
    assert [t[0] for t in encode_measure(notes, [C_MAJOR, g7])] == ["S", "C"]


def _tokens_from(seed: int) -> list[str]:
    """A measure of random C/S/R tokens on the 16th grid, encoded from a random melody."""
    rng = np.random.default_rng(seed)
    t, notes = 0.0, []
    while t < MEASURE:
        d = min(float(rng.choice([0.25, 0.5, 0.75, 1.0])), MEASURE - t)
        if rng.random() < 0.2:
            notes.append(Note(t, d))
        else:
            pcs = sorted(scale_of(C_MAJOR))
            notes.append(Note(t, d, 60 + int(rng.choice(pcs)) + 12 * int(rng.integers(0, 2))))
        t += d
    return encode_measure(notes, [C_MAJOR])


@pytest.mark.parametrize("seed", range(25))
def test_decode_then_encode_keeps_types_durations_and_windows(seed):
    tokens = _tokens_from(seed)
    queue = iter(tokens)
    rng = np.random.default_rng(seed)
    notes, used, _ = realise_measure(lambda: next(queue), [C_MAJOR], None, None, rng)
    assert used == tokens  # durations on the grid: the tokens fill the measure exactly
    again = encode_measure(notes + [], [C_MAJOR])
    # rests are implicit in the notes: compare the sounding tokens
    sounding = [parse_token(t) for t in tokens if not t.startswith("R")]
    back = [parse_token(t) for t in again if not t.startswith("R")]
    assert [(t.kind, t.duration) for t in back] == [(t.kind, t.duration) for t in sounding]
    prev = None
    for token, n in zip(sounding, notes):
        if token.upper is not None and prev is not None:
            lo, hi = sorted((interval_semitones(token.upper), interval_semitones(token.lower)))
            # inside the <UPPER,LOWER> window: an octave off only at the edges of the range,
            # a little wider only where the window's one fitting tone repeats the last note
            assert any(lo - 2 <= n.pitch - prev + k <= hi + 2 for k in (0, 12, -12))
        prev = n.pitch


def test_realise_fills_the_measure_and_cuts_at_the_bar_line():
    tokens = iter(["C,1.000", "S,1.500,<M3,m-3>", "C,2.000,<P5,P-4>", "C,1.000"])
    notes, used, _ = realise_measure(lambda: next(tokens), [C_MAJOR], None, 64,
                                     np.random.default_rng(0))
    assert len(used) == 3  # the third token reaches past beat 4 and is cut
    assert notes[-1].offset + notes[-1].duration == pytest.approx(MEASURE)
    ends = [n.offset + n.duration for n in notes]
    assert all(e <= b.offset + 1e-9 for e, b in zip(ends, notes[1:]))  # never overlapping
    assert len({n.offset for n in notes}) == len(notes)
    assert all(48 <= n.pitch <= 84 for n in notes)


def test_snap_rounds_to_the_grid_and_never_to_zero():
    rng = np.random.default_rng(1)
    for d in (0.0, 0.083, 0.333, 0.667, 1.0, 1.75, 2.333):
        s = snap(d, rng)
        assert s >= GRID and abs(s / GRID - round(s / GRID)) < 1e-9
        assert abs(s - d) < GRID + 1e-9
