"""The part-choice rules and the note type, on hand-made summaries and notes (no MIDI)."""

from __future__ import annotations

import pytest

from seqgen.errors import MusicError
from seqgen.midi.notes import Note, TempoMap, pitch_name
from seqgen.midi.parts import PartSummary, beat_harmony, choose, resolve_part

WINDOW = (0.0, 64.0)


def part(index: int, name: str, notes: int = 0, chords: int = 0, median: float | None = 70,
         drums: bool = False) -> PartSummary:
    low = None if drums or not notes + chords else int(median) - 5
    return PartSummary(index, name, "drums" if drums else name, drums, notes, chords, 3,
                       low, None if low is None else low + 10, None if drums else median,
                       0.0, 60.0, 0.0, 30.0)


def test_melody_is_the_busiest_mostly_monophonic_part_in_the_upper_register():
    parts = [part(0, "Piano", 10, 90, 65), part(1, "Bass", 300, 0, 38),
             part(2, "Guitar", 200, 60, 69), part(3, "Flute", 120, 0, 76),
             part(4, "Kit", 900, drums=True)]
    choice = choose(parts, "f.mid", 0, WINDOW)
    assert (choice.melody, choice.chord_source, choice.chords) == (2, "part", 0)
    assert choice.automatic and choice.window == WINDOW
    assert choice.describe(parts) == ("melody: part 2 'Guitar'; harmony: chords of part 0 "
                                      "'Piano'; offsets 0-64")


def test_a_low_part_is_the_melody_only_when_nothing_higher_qualifies():
    parts = [part(0, "Bass", 300, 0, 38), part(1, "Strings", 5, 40, 70)]
    assert choose(parts, "f.mid", 0, WINDOW).melody == 0


def test_harmony_symbols_then_chord_part_then_inferred_then_none():
    lead, comp, bass = part(0, "Lead", 100), part(1, "Comp", 4, 20, 60), part(2, "Bass", 50, 0, 36)
    assert choose([lead, comp, bass], "f", 8, WINDOW).chord_source == "symbols"
    assert choose([lead, comp, bass], "f", 1, WINDOW).chords == 1  # one symbol is not enough
    thin = part(1, "Comp", 40, 3, 60)  # too few chords for a chord part
    inferred = choose([lead, thin, bass], "f", 0, WINDOW)
    assert (inferred.chord_source, inferred.harmony_parts) == ("inferred", (1, 2))
    assert inferred.describe([lead, thin, bass]).endswith("inferred per beat from parts 1, 2; "
                                                          "offsets 0-64")
    alone = choose([lead], "f", 0, WINDOW, need_harmony=False)
    assert (alone.chord_source, alone.chords) == ("none", None)


@pytest.mark.parametrize("parts, message", [
    ([part(0, "Kit", 50, drums=True)], "no usable melody: it has only drums"),
    ([part(0, "Empty")], "no usable melody: it has no notes"),
    ([part(0, "Lead", 1)], "too few notes"),
    ([part(0, "Pad", 2, 30)], "mostly plays chords"),
    ([part(0, "Lead", 100), part(1, "Kit", 50, drums=True)], "no usable harmony"),
])
def test_unusable_files_name_the_file_and_the_reason(parts, message):
    with pytest.raises(MusicError, match=f"^song.mid: .*{message}"):
        choose(parts, "song.mid", 0, WINDOW)


def test_overrides_by_index_or_name():
    parts = [part(0, "Piano", 10, 90), part(1, "Bass", 300, 0, 38), part(2, "Guitar", 200)]
    choice = choose(parts, "f", 0, WINDOW, melody="bass", chords="0")
    assert (choice.melody, choice.chords, choice.automatic) == (1, 0, False)
    single = choose(parts, "f", 0, WINDOW, melody=2, chords="Bass")  # no chords: inferred
    assert (single.chord_source, single.harmony_parts) == ("inferred", (1,))
    assert resolve_part(" GUITAR ", parts, "melody part", "f") == 2


@pytest.mark.parametrize("spec, message", [
    (7, "has 3 parts \\(0-2\\); the melody part 7"),
    ("Sax", "no part named 'Sax'.*0 'Piano', 1 'Bass', 2 'Bass'"),
    ("bass", "several parts are named 'bass' \\(parts 1, 2\\)"),
])
def test_bad_overrides(spec, message):
    parts = [part(0, "Piano", 10, 90), part(1, "Bass", 300), part(2, "Bass", 20)]
    with pytest.raises(MusicError, match=message):
        choose(parts, "f", 0, WINDOW, melody=spec)


def test_a_drum_part_cannot_be_forced_as_melody():
    parts = [part(0, "Kit", 50, drums=True), part(1, "Lead", 100)]
    with pytest.raises(MusicError, match="melody part 0 'Kit' has drums"):
        choose(parts, "f", 0, WINDOW, melody=0)


def test_beat_harmony_merges_repeats_and_walking_chord_tones():
    notes = [Note(0, 2, 48), Note(0, 2, 52), Note(0, 2, 55),  # C for two beats
             Note(2, 1, 52),  # E alone: a tone of C, so C goes on
             Note(3, 1, 50), Note(3, 1, 53),  # D F: new
             Note(5, 1, 43), Note(5.5, 0.5, 47)]  # after a silent beat: G B
    assert beat_harmony(notes, 0, 8) == [(0.0, 3.0, (48, 52, 55)), (3.0, 1.0, (50, 53)),
                                         (5.0, 1.0, (43, 47))]
    assert beat_harmony(notes, 3, 3) == [(3.0, 1.0, (50, 53))]  # the window's beats only


def test_tempo_map_places_notes_in_seconds():
    tempo = TempoMap([(0, 120), (4, 60), (4, 30)])  # the last mark at a time wins
    assert tempo.changes() == ((0.0, 0.0, 120.0), (4.0, 2.0, 30.0))
    placed = tempo.place(Note(3.0, 2.0, 60))
    assert (placed.start, placed.end) == (1.5, 4.0)
    assert TempoMap().first_bpm == 120.0 and TempoMap([(8, 90)]).seconds(8) == 4.0


def test_one_note_type_for_melody_and_sound():
    rest, drum = Note(1.0, 0.5), Note(0.0, 0.25, 42, channel=10)
    assert rest.is_rest and not rest.is_drum and drum.is_drum and drum.start is None
    assert Note(0, 1, 61).steps == Note(0, 1, 60).steps  # C# spelled as C sharp
    assert Note(0, 1, 61, diatonic=36).steps == 36  # unless spelled otherwise (D flat)
    assert [pitch_name(p) for p in (60, 70, 21)] == ["C4", "Bb4", "A0"]
