"""The automatic part choice, load_solo_auto and primers on MIDI files built with music21."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqgen.errors import DataError, MusicError
from seqgen.jazz.grammar import encode_measure
from seqgen.midi.notes import Note
from seqgen.midi.source import (
    choose_parts,
    load_solo_auto,
    open_midi,
    read_primer,
    source_from_bytes,
)
from tests.fixtures import music as m
from tests.helpers.midi_io import notes_to_midi_bytes

LEAD_FIRST = [("Lead", "Flute", m.melody(8)), ("Comp", "Piano", m.block_chords(8)),
              ("Bass", "AcousticBass", m.bass_line(8)), ("Kit", "BassDrum", m.drums(8))]
LEAD_LAST = [("Comp", "ElectricPiano", m.block_chords(8)), ("Bass", "ElectricBass", m.bass_line(8)),
             ("Pad", "Violin", [(4.0 * i, 4.0, (84,)) for i in range(8)]),
             ("Kit", "BassDrum", m.drums(8)), ("Horn", "Trumpet", m.melody(8, low=-12))]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_melody_first_with_block_chords_and_a_drum_track():
    src = source_from_bytes(m.band(LEAD_FIRST, bpm=90), "first.mid")
    assert [(p.name, p.drums) for p in src.parts] == [("Lead", False), ("Comp", False),
                                                      ("Bass", False), ("Kit", True)]
    choice = choose_parts(src)
    assert (choice.melody, choice.chord_source, choice.chords) == (0, "part", 1)
    solo = load_solo_auto(src)
    assert solo.bpm == 90.0 and solo.bars == list(range(8)) and solo.choice == choice
    assert [n.pitch for n in solo.melody[0]] == m.SCALE
    assert [c.pitches for c in solo.chords[1]] == [m.PROGRESSION[1]] * 2
    assert solo.chords[2][0].root == 7 and solo.chords[1][0].quality == "minor"


def test_melody_last_among_other_instruments_at_another_tempo():
    src = source_from_bytes(m.band(LEAD_LAST, bpm=150), "last.mid")
    choice = choose_parts(src)
    assert (choice.melody, choice.chords) == (4, 0)  # the trumpet, over the electric piano
    assert src.parts[4].instrument == "Trumpet" and src.parts[3].instrument == "Percussion"
    assert load_solo_auto(src).bpm == 150.0


def test_a_choir_s_melody_is_its_soprano_though_the_inner_voices_move_more():
    """Four voices: the alto and tenor add passing eighths (20 onsets to the soprano's 16):
    the top line of parts about as busy is the melody. The pad in LEAD_LAST above shows the
    other side: a high line with a quarter of the trumpet's onsets is not."""
    soprano = [(float(i), 1.0, (72 + (i % 4),)) for i in range(16)]

    def inner(top: int) -> list:
        events = [(float(i), 1.0, (top - (i % 3),)) for i in range(16) if i % 4]
        return events + [(i + 0.5 * k, 0.5, (top + k,)) for i in range(0, 16, 4)
                         for k in (0, 1)]

    choir = [("Soprano", "Soprano", soprano), ("Alto", "Alto", inner(65)),
             ("Tenor", "Tenor", inner(58)), ("Bass", "Bass", m.bass_line(4))]
    src = source_from_bytes(m.band(choir), "choir.mid")
    assert [p.onsets for p in src.parts[:3]] == [16, 20, 20]
    assert choose_parts(src).melody == 0


def test_chord_symbols_win_over_inference_and_no_tempo_means_120():
    data = m.band([("Lead", "Flute", m.melody(8)), ("Bass", "AcousticBass", m.bass_line(8))],
                  bpm=None, texts=[(4.0 * i, m.SYMBOLS[i % 4]) for i in range(8)])
    src = source_from_bytes(data, "symbols.mid")
    assert src.tempos == () and src.bpm == 120.0
    assert [c.pitches for c in src.symbols[:2]] == [(48, 52, 55), (50, 53, 57)]
    choice = choose_parts(src)
    assert (choice.melody, choice.chord_source) == (0, "symbols")
    solo = load_solo_auto(src)
    assert [[(c.offset, c.root, c.quality) for c in cs] for cs in solo.chords[:3]] == \
        [[(0.0, 0, "major")], [(4.0, 2, "minor")], [(8.0, 7, "major")]]
    assert solo.chords[2][0].pitch_classes == {7, 11, 2, 5}  # G7


def test_lyrics_are_not_chord_symbols():
    words = [(float(i), w) for i, w in enumerate(["Go", "down", "Moses", "A", "long", "way"])]
    data = m.band([("Lead", "Flute", m.melody(4)), ("Comp", "Piano", m.block_chords(4))],
                  texts=words)
    assert source_from_bytes(data, "sung.mid").symbols == ()


def test_without_chords_the_harmony_is_inferred_per_beat_from_the_other_parts():
    data = m.band([("Guitar", "AcousticGuitar", m.arpeggio(8)),
                   ("Bass", "AcousticBass", m.bass_line(8)), ("Lead", "Saxophone", m.melody(8))])
    src = source_from_bytes(data, "inferred.mid")
    choice = choose_parts(src)
    assert (choice.melody, choice.chord_source, choice.harmony_parts) == (2, "inferred", (0, 1))
    solo = load_solo_auto(src)
    first = solo.chords[0][0]
    assert (first.offset, first.pitches) == (0.0, (36, 48))  # bass C2 and guitar C3 on beat 1
    assert all(c.offset % 1 == 0 for cs in solo.chords for c in cs)  # one chord per beat at most
    tokens = encode_measure(solo.melody[1], [c for cs in solo.chords[:2] for c in cs])
    assert len(tokens) == 8 and tokens[0].startswith(("C", "S", "A", "X"))


def test_overrides_and_a_window(tmp_path):
    src = source_from_bytes(m.band(LEAD_FIRST), "f.mid")
    bass = load_solo_auto(src, melody="Bass", chords=1, window=(8.0, 20.0))
    assert bass.choice.melody == 2 and not bass.choice.automatic
    assert bass.bars == [2, 3, 4] and bass.melody[0][0].offset == 8.0  # end bar 5 left out
    assert bass.chords[0][0].offset == 8.0


@pytest.mark.parametrize("parts, message", [
    ([("Kit", "BassDrum", m.drums(4))], "only drums"),
    ([("Lead", "Flute", [(0.0, 1.0, (72,))])], "too few notes"),
    ([("Lead", "Flute", m.melody(4))], "no usable harmony"),
    ([("Lead", "Flute", m.melody(1, start=8.0)), ("Comp", "Piano", m.block_chords(1, 8.0))],
     "too few notes: the melody \\(part 0\\) fills 1 measure"),
])
def test_unusable_files_are_one_music_error_naming_the_file(tmp_path, parts, message):
    path = write(tmp_path, "song.mid", m.band(parts))
    with pytest.raises(MusicError, match=f"{path}: .*{message}"):
        load_solo_auto(path)


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(DataError, match="not found"):
        open_midi(tmp_path / "nope.mid")
    with pytest.raises(MusicError, match="not a MIDI file"):
        open_midi(write(tmp_path, "x.mid", b"RIFF...."))


def test_primer_notes_and_the_chords_around_them(tmp_path):
    line = [(6.0, 1.0, (67,)), (7.0, 0.5, (69,)), (7.5, 0.5, (71,)), (9.0, 2.0, (72,))]
    data = m.band([("Lead", "Flute", line), ("Comp", "Piano", m.block_chords(3))], bpm=100)
    primer = read_primer(write(tmp_path, "primer.mid", data))
    assert primer.bpm == 100.0 and primer.choice.melody == 0
    # offsets from the bar line before the first note (bar 1, offset 4)
    assert [(n.offset, n.pitch) for n in primer.notes] == \
        [(2.0, 67), (3.0, 69), (3.5, 71), (4.0, None), (5.0, 72)]
    assert [len(bar) for bar in primer.measures] == [3, 2]
    # the chord sounding at the first note (Dm from offset 6), then those up to the end
    assert [(c.offset, c.pitches) for c in primer.chords] == \
        [(2.0, m.PROGRESSION[1]), (4.0, m.PROGRESSION[2]), (6.0, m.PROGRESSION[2])]


def test_primer_of_a_bare_melody_has_no_chords_and_an_empty_one_is_refused(tmp_path):
    bare = write(tmp_path, "bare.mid", notes_to_midi_bytes([Note(0.0, 1.0, 60),
                                                            Note(1.0, 1.0, 64)]))
    primer = read_primer(bare)
    assert [n.pitch for n in primer.notes] == [60, 64] and primer.chords == ()
    assert primer.bpm == 120.0
    drums = write(tmp_path, "drums.mid", m.band([("Kit", "BassDrum", m.drums(2))]))
    with pytest.raises(MusicError, match="primer .*drums.mid has no notes \\(only drums\\)"):
        read_primer(drums)
