"""generate-jazz over your own changes: a typed chord chart or a file's harmony, repeated for
--choruses; the solo follows the chart bar by bar and the file carries a comping part."""

from __future__ import annotations

from pathlib import Path

import music21
import pytest

from seqgen.errors import UsageError
from seqgen.midi.chart import by_bar, parse_chart, read_changes
from seqgen.midi.notes import Chord
from tests.conftest import one_error_line, run_cli
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
    again = run_cli("generate-jazz", "--chords", CHART, "--choruses", "2", "--seed", "1",
                    "--out", tmp_path / "again.midi")
    assert again.exit_code == 0 and (tmp_path / "again.midi").read_bytes() == out.read_bytes()
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
