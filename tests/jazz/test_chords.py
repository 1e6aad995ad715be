"""generate-jazz over your own changes: a typed chord chart or a file's harmony, repeated for
--choruses; the solo follows the chart bar by bar and the file carries a comping part."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import music21
import pytest

from seqgen.errors import UsageError
from seqgen.midi.chart import by_bar, parse_chart, read_changes
from seqgen.midi.notes import Chord
from seqgen.midi.symbols import ROOTS, TABLE, known_symbol, read_with_music21, table_symbols
from tests.conftest import one_error_line, run_cli, run_reporting_imports
from tests.fixtures.music import band, block_chords, melody
from tests.helpers.midi_io import read_performance

CHART = "Dm7 G7 | Cmaj7 | A7 | Dm7 G7 | Cmaj7"
PCS = {"Dm7": {2, 5, 9, 0}, "G7": {7, 11, 2, 5}, "Cmaj7": {0, 4, 7, 11}, "A7": {9, 1, 4, 7}}
LAYOUT = [["Dm7", "G7"], ["Cmaj7"], ["A7"], ["Dm7", "G7"], ["Cmaj7"]]


def test_a_chart_is_bars_of_chords_sharing_the_bar():
    bars = parse_chart(CHART)
    assert [[set(c.pitch_classes) for c in bar] for bar in bars] == \
        [[PCS[s] for s in bar] for bar in LAYOUT]
    assert [(c.offset, c.duration) for c in bars[0]] == [(0.0, 2.0), (2.0, 2.0)]
    assert [(c.offset, c.duration) for c in bars[1]] == [(0.0, 4.0)]
    assert bars[0][0].root == 2 and bars[2][0].root == 9
    flats = parse_chart("Bb7 Ebmaj7 F#m7b5 C/Bb")[0]
    assert [c.root for c in flats] == [10, 3, 6, 0] and [c.duration for c in flats] == [1.0] * 4


def test_the_symbol_table_is_what_music21_reads():
    """The shipped table holds every root with every chord kind music21 names, and a
    sample of them, each kind once with the roots in turn, reads as music21 reads it now
    (the whole table is 1,953 symbols: ``python -m seqgen.midi.symbols`` rebuilds it)."""
    symbols = table_symbols()
    table = json.loads(TABLE.read_text("utf-8"))
    assert sorted(table) == sorted(symbols) and len(symbols) == 21 * 93
    sample = symbols[::len(ROOTS) + 1]  # a symbol of each abbreviation, the root moving on
    assert len({s.lstrip("ABCDEFG#-")[:3] for s in sample}) > 40
    for symbol in sample:
        assert table[symbol] == read_with_music21(symbol), symbol
    assert known_symbol("B-m7") == ((46, 49, 53, 56), 10, "minor")


def test_a_chart_of_common_symbols_is_read_without_music21():
    """A chart's symbols in the table need no music21 import (most of a second); one outside
    it (added or altered tones, a slash chord) is still read by music21, the same as before."""
    code = ("import sys\n"
            "from seqgen.midi.chart import parse_chart\n"
            "bars = parse_chart('Dm7 G7 | Cmaj7 | Bb7 F#m7b5 | Ebm6')\n"
            "print(len(bars), 'music21' in sys.modules)\n"
            "parse_chart('C7#9 G/B')\n"
            "print('music21' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["4", "False", "True"]
    for symbol, spelled in [("C7#9", "C7#9"), ("G/B", "G/B"), ("C/Bb", "C/B-"),
                            ("Ebm6", "E-m6")]:
        chord = parse_chart(symbol)[0][0]
        parsed = music21.harmony.ChordSymbol(spelled)
        assert chord.pitches == tuple(sorted(p.midi for p in parsed.pitches))
        assert (chord.root, chord.quality) == (parsed.root().pitchClass, parsed.quality)


@pytest.mark.parametrize("chart, fragment", [
    ("Dm7 Xq7 | C", "'Xq7' is not a chord symbol"),
    ("Dm7 || C", "bar 2 is empty"),
    ("  |  ", "--chords is empty"),
])
def test_a_bad_chart_names_what_is_wrong(chart, fragment):
    with pytest.raises(UsageError, match=fragment):
        parse_chart(chart)


def test_chords_on_a_timeline_are_cut_at_the_bar_lines():
    c = Chord(0.0, 6.0, (60, 64, 67), 0, "major")  # across the first bar line
    g = Chord(6.0, 2.0, (55, 59, 62), 7, "major")
    bars = by_bar([c, g], 12.0)  # the third bar is empty: C... G holds
    assert [[(x.offset, x.duration, x.root) for x in bar] for bar in bars] == \
        [[(0.0, 4.0, 0)], [(0.0, 2.0, 0), (2.0, 2.0, 7)], [(0.0, 4.0, 7)]]


def bar_pitch_classes(path: Path) -> list[set[int]]:
    perf = read_performance(path)
    bars: dict[int, set[int]] = {}
    for c in perf.chords:
        bars.setdefault(int(c.offset // 4), set()).update(p % 12 for p in c.pitches)
    return [bars[b] for b in sorted(bars)]


def test_generate_jazz_follows_the_chart_for_each_chorus(tmp_path):
    out = tmp_path / "solo.midi"
    r = run_cli("generate-jazz", "--chords", CHART, "--choruses", "2", "--seed", "1",
                "--out", out)
    assert r.exit_code == 0, r.stderr
    assert "10 measures" in r.stderr
    expected = [set().union(*(PCS[s] for s in bar)) for bar in LAYOUT] * 2
    assert bar_pitch_classes(out) == expected  # the comping part, bar by bar
    perf = read_performance(out)
    assert len(perf.melody) > 20 and perf.quarters <= 40.0 + 1e-9
    # the same solo again, from a fresh process: neither TensorFlow nor music21 is imported
    # (the chart's symbols come from the shipped table, the file is written without it)
    again, [heavy] = run_reporting_imports(["generate-jazz", "--chords", CHART, "--choruses",
                                            "2", "--seed", "1", "--out",
                                            tmp_path / "again.midi"])
    assert again.exit_code == 0, again.stderr
    assert heavy == [] and (tmp_path / "again.midi").read_bytes() == out.read_bytes()
    assert run_cli("render-midi", out, "--synth", "builtin").exit_code == 0
    assert (tmp_path / "solo.wav").stat().st_size > 44


def test_generate_jazz_takes_the_harmony_of_a_file(tmp_path):
    source = tmp_path / "tune.mid"  # C Dm G7 Cmaj7, two half-note chords a bar
    source.write_bytes(band([("Lead", "Flute", melody(8)), ("Keys", "Piano", block_chords(8))]))
    bars = read_changes(source)
    assert len(bars) == 8 and all(len(bar) == 2 for bar in bars)
    out = tmp_path / "solo.midi"
    r = run_cli("generate-jazz", "--chords", source, "--seed", "3", "--out", out)
    assert r.exit_code == 0, r.stderr
    assert "8 measures" in r.stderr
    sheet = Path(music21.__file__).parent / "corpus" / "leadSheet" / "fosterBrownHair.mxl"
    assert len(read_changes(sheet)) > 8  # a lead sheet's chord symbols


def test_a_bad_chart_or_file_is_one_line_and_writes_nothing(tmp_path):
    r = run_cli("generate-jazz", "--chords", "Dm7 Hm | C", "--out", tmp_path / "s.midi")
    assert "'Hm' is not a chord symbol" in one_error_line(r, 2)
    (tmp_path / "notes.mid").write_bytes(band([("Lead", "Flute", melody(4))]))
    r = run_cli("generate-jazz", "--chords", tmp_path / "notes.mid", "--out",
                tmp_path / "s.midi")
    one_error_line(r, 1)
    r = run_cli("generate-jazz", "--chords", "missing.mid", "--out", tmp_path / "s.midi")
    assert "file not found: missing.mid" in one_error_line(r, 1)
    r = run_cli("generate-jazz", "--chords", CHART, "--choruses", "0", "--out",
                tmp_path / "s.midi")
    assert "--choruses must be positive" in one_error_line(r, 2)
    assert not (tmp_path / "s.midi").exists()
