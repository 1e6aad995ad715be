"""midi-info in-process (Typer's CliRunner), and the automatic choice on the Metheny solo."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqgen.cli import app, main
from seqgen.jazz import midi_info as pipeline
from seqgen.midi.source import choose_parts, load_solo_auto, open_midi, solo_from_score
from tests.conftest import DATA
from tests.fixtures import music as m

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["midi-info", *map(str, args)])


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def table(output: str) -> dict[str, list[str]]:
    """The table's rows by part index, split into cells (names here have no spaces)."""
    rows = {}
    for line in output.splitlines():
        cells = line.split()
        if cells and cells[0].isdigit():
            rows[cells[0]] = cells
    return rows


def test_parts_tempo_and_the_choice_are_shown(tmp_path):
    parts = [("Comp", "Piano", m.block_chords(8)), ("Bass", "AcousticBass", m.bass_line(8)),
             ("Kit", "BassDrum", m.drums(8)), ("Lead", "Trumpet", m.melody(8))]
    path = write(tmp_path, "band.mid", m.band(parts, bpm=96))
    r = invoke(path)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == f"{path}: 4 parts, 32 quarter notes (20.0 s)"
    assert lines[1] == "tempo: 96 bpm at quarter 0 (0.0 s)"
    assert lines[2].split()[:4] == ["part", "name", "instrument", "notes"]
    rows = table(r.output)
    # index name instrument notes chords max range first-q / first-s last-q / last-s use
    assert rows["0"] == ["0", "Comp", "Piano", "0", "16", "4", "G3-B4", "0", "/", "0.0",
                         "30", "/", "18.8", "harmony"]
    assert rows["1"][:7] == ["1", "Bass", "Acoustic", "Bass", "32", "0", "1"]
    assert rows["2"][-1] == "drums" and rows["2"][6] == "-"  # no pitch range for drums
    assert rows["3"][-1] == "melody" and rows["3"][3:7] == ["64", "0", "1", "C5-G5"]
    assert lines[-1] == ("train-jazz would use: melody: part 3 'Lead'; harmony: chords of "
                         "part 0 'Comp'; offsets 0-32")


def test_symbols_no_tempo_and_a_file_without_a_choice(tmp_path):
    data = m.band([("Lead", "Flute", m.melody(4))], bpm=None,
                  texts=[(4.0 * i, m.SYMBOLS[i]) for i in range(4)])
    r = invoke(write(tmp_path, "lead.mid", data))
    assert r.exit_code == 0, r.output
    assert "tempo: no tempo mark (120 bpm)" in r.output and "chord symbols: 4" in r.output
    assert "harmony: the file's chord symbols" in r.output
    solo = write(tmp_path, "solo.mid", m.band([("Lead", "Flute", m.melody(4))]))
    r = invoke(solo)
    assert r.exit_code == 0, r.output  # still described, with the reason on the last line
    assert r.output.splitlines()[-1].startswith(
        f"train-jazz cannot choose parts by itself: {solo}: no usable harmony")


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "nope.mid", "MIDI file not found"),
    (lambda d: write(d, "empty.mid", b""), "is empty"),
    (lambda d: write(d, "text.mid", b"hello\n"), "is not a MIDI file"),
    (lambda d: write(d, "bad.mid", b"MThd\x00\x00\x00\x06\x00\x01\x00\x02"),
     "cannot read MIDI file"),
    (lambda d: write(d, "silent.mid", m.band([])), "has no notes"),
    (lambda d: d, "no music files in directory"),  # an empty folder
])
def test_bad_input_is_one_line_and_status_1(tmp_path, capsys, make, message):
    path = make(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["midi-info", str(path)])
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("seqgen: error: ") and message in err and "Traceback" not in err


def test_help_describes_the_command():
    r = runner.invoke(app, ["midi-info", "--help"])
    assert r.exit_code == 0 and "Show each part of a MIDI file" in r.output


# --- the Metheny solo: parsed once for the module (music21 takes ~15 s on it)

@pytest.fixture(scope="module")
def metheny():
    return open_midi(DATA / "original_metheny.mid")


@pytest.mark.slow
def test_metheny_choice_agrees_with_the_reference(metheny):
    # configs/jazz.yaml: melody_part 5, chord_part 0, window 476-548
    for window in (None, (476.0, 548.0)):
        choice = choose_parts(metheny, window=window)
        assert (choice.melody, choice.chords, choice.chord_source) == (5, 0, "part"), window
    assert all(metheny.parts[i].drums for i in range(10, 19))
    assert metheny.bpm == 112.0


@pytest.mark.slow
def test_metheny_auto_solo_in_the_window_is_the_reference_solo(metheny):
    reference = solo_from_score(metheny.score, metheny.name, 5, 0, (0, 1, 6, 7), 476.0, 548.0)
    auto = load_solo_auto(metheny, window=(476.0, 548.0))
    assert (auto.melody, auto.chords, auto.bars) == \
        (reference.melody, reference.chords, reference.bars)
    assert auto.bpm == 112.0 and len(auto.bars) == 18


@pytest.mark.slow
def test_metheny_midi_info(metheny, monkeypatch):
    monkeypatch.setattr(pipeline, "open_music", lambda path: metheny)  # reuse the parse
    r = invoke(DATA / "original_metheny.mid")
    assert r.exit_code == 0, r.output
    rows = table(r.output)
    assert len(rows) == 19 and r.output.splitlines()[1] == "tempo: 112 bpm at quarter 0 (0.0 s)"
    assert rows["5"][1] == "Guitar" and rows["5"][-1] == "melody"
    assert rows["0"][1] == "Piano" and rows["0"][-1] == "harmony"
    assert rows["13"][-1] == "drums"
    assert "melody: part 5 'Guitar'; harmony: chords of part 0 'Piano'" in r.output
