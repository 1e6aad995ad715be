"""The music21 adapter: solos written and re-read, the quality check, bad MIDI refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from seqgen.errors import DataError, MusicError
from seqgen.jazz.improvise import solo_report
from seqgen.midi.notes import Chord, Note
from seqgen.midi.solo import solo_bytes, write_solo
from seqgen.midi.source import load_solo
from tests.conftest import ROOT
from tests.helpers.midi_io import read_performance

# two solos of the course's implementations (the notebook's and deepjazz's), kept here so the
# test runs in every clone
REFERENCE = ROOT / "tests" / "fixtures" / "reference-outputs"
MELODY = [Note(0.0, 1.0, 60), Note(1.0, 0.5, 64), Note(1.5, 0.5), Note(2.0, 2.0, 67),
          Note(4.0, 0.75, 62), Note(4.75, 3.25, 71)]
CHORDS = [Chord(0.0, 4.0, (48, 52, 55), 0, "major"), Chord(4.0, 4.0, (43, 47, 50, 53), 7, "other")]


def test_solo_written_and_read_back(tmp_path):
    path = tmp_path / "solo.midi"
    write_solo(path, MELODY, CHORDS, 130.0)
    perf = read_performance(path)
    assert perf.bpm == 130.0
    assert [(n.offset, n.duration, n.pitch) for n in perf.melody] == \
        [(n.offset, n.duration, n.pitch) for n in MELODY if not n.is_rest]
    assert [(c.offset, c.pitches) for c in perf.chords] == [(c.offset, c.pitches) for c in CHORDS]
    assert perf.chords[0].quality == "major" and perf.chords[0].root == 0
    report = solo_report(perf.melody, perf.chords, perf.bpm, perf.quarters)
    assert report.seconds == pytest.approx(8 * 60 / 130)
    assert report.clashes == 0 and report.notes == 5
    assert report.in_harmony == 1.0  # C E G over C; D, B over G7 (D chord tone, B chord tone)
    assert solo_bytes(MELODY, CHORDS, 130.0) == path.read_bytes()  # deterministic


def music21_solo_bytes(melody: list[Note], chords: list[Chord], bpm: float) -> bytes:
    """The same solo written by music21 (a score of two parts, ``streamToMidiFile``): the
    bytes seqgen's own writer must give."""
    from music21 import chord, instrument, midi, note, pitch, stream, tempo

    def part(inst) -> stream.Part:
        p = stream.Part()
        p.insert(0, inst)
        p.insert(0, tempo.MetronomeMark(number=bpm))
        return p

    lead, comp = part(instrument.ElectricGuitar()), part(instrument.Piano())
    for n in melody:
        if not n.is_rest:
            lead.insert(n.offset, note.Note(pitch.Pitch(midi=n.pitch), quarterLength=n.duration))
    for c in chords:
        comp.insert(c.offset, chord.Chord([pitch.Pitch(midi=p) for p in c.pitches],
                                          quarterLength=c.duration))
    return midi.translate.streamToMidiFile(stream.Score([lead, comp])).writestr()


def random_solo(rng: random.Random) -> tuple[list[Note], list[Chord], float]:
    """A solo as the models write them: lengths on a grid of 16ths and triplets, or with
    3 decimals as the grammar's; rests; chords of 3-5 notes sharing bars; any tempo."""
    grid = rng.choice([[0.25, 0.5, 0.75, 1.0, 1.5, 2.0], [1 / 3, 1 / 6, 2 / 3, 1 / 12, 0.5],
                       [0.333, 0.083, 0.167, 0.25, 0.5, 1.25, 0.667]])
    melody, t = [], rng.choice([0.0, 0.0, 0.5, 1 / 3])
    for _ in range(rng.randrange(0, 40)):
        length = rng.choice(grid)
        melody.append(Note(t, length, None if rng.random() < 0.2 else rng.randrange(36, 96)))
        t += length
    chords, bar = [], 0
    for _ in range(rng.randrange(1, 8)):
        parts = rng.choice([1, 2, 4])
        for k in range(parts):
            root = rng.randrange(40, 56)
            pitches = tuple(sorted({root, *(root + rng.randrange(1, 15)
                                            for _ in range(rng.randrange(2, 5)))}))
            chords.append(Chord(bar * 4.0 + k * 4 / parts, 4 / parts, pitches, root % 12,
                                "other"))
        bar += 1
    return melody, chords, rng.choice([130.0, 120.0, 110.0, 96.5, 77.0, 180.0])


def test_the_solo_file_is_byte_for_byte_music21s():
    """seqgen writes solos without music21 (it costs most of a second to import): the bytes
    are the ones music21 writes for the same two parts, for 60 random solos and the one
    above."""
    rng = random.Random(7)
    cases = [(MELODY, CHORDS, 130.0)] + [random_solo(rng) for _ in range(60)]
    for melody, chords, bpm in cases:
        assert solo_bytes(melody, chords, bpm) == music21_solo_bytes(melody, chords, bpm), \
            (melody, chords, bpm)


def test_report_counts_clashes_and_tones_outside_the_scale():
    melody = [Note(0, 1, 60), Note(0, 1, 67), Note(1, 1, 61), Note(2, 1, 62)]
    report = solo_report(melody, CHORDS[:1], 120.0, 4.0)
    assert report.clashes == 1
    assert report.in_harmony == pytest.approx(3 / 4)  # C# is neither chord nor C major scale
    assert report.chord_tones == pytest.approx(2 / 4)


def test_reference_outputs_score_about_eighty_percent_with_clashes():
    for name in ("course_my_music.midi", "deepjazz_128_epochs.midi"):
        perf = read_performance(REFERENCE / name)
        report = solo_report(perf.melody, perf.chords, perf.bpm, perf.quarters)
        assert 0.75 <= report.in_harmony <= 0.85 and report.clashes > 0


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data,error,message", [
    (b"", DataError, "empty"),
    (b"this is not music\n", MusicError, "not a MIDI file"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02", MusicError, "cannot read MIDI file"),
])
def test_bad_midi_files_are_refused(tmp_path, data, error, message):
    path = _write(tmp_path, "bad.mid", data)
    with pytest.raises(error, match=message):
        load_solo(path, 1, 0, (), 0.0, 8.0)


def test_missing_and_directory_refused(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_solo(tmp_path / "nope.mid", 1, 0, (), 0.0, 8.0)
    with pytest.raises(DataError, match="directory"):
        load_solo(tmp_path, 1, 0, (), 0.0, 8.0)


def test_missing_parts_and_empty_window_refused(tmp_path):
    path = tmp_path / "solo.midi"
    write_solo(path, MELODY, CHORDS, 130.0)  # part 0 melody, part 1 chords
    assert load_solo(path, 0, 1, (), 0.0, 8.0).bars == [0, 1]
    with pytest.raises(MusicError, match="has 2 parts.*melody_part 5"):
        load_solo(path, 5, 1, (), 0.0, 8.0)
    with pytest.raises(MusicError, match="accompaniment_parts 7"):
        load_solo(path, 0, 1, (0, 7), 0.0, 8.0)
    with pytest.raises(MusicError, match="no notes between offsets 100 and 200"):
        load_solo(path, 0, 1, (), 100.0, 200.0)
    with pytest.raises(MusicError, match="no chords"):
        load_solo(path, 0, 0, (), 0.0, 8.0)
