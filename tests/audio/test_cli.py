"""seqgen render-midi through the CLI entry point: the WAV and PNG it writes, and its errors."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from seqgen.audio.synth import TAIL_SECONDS
from seqgen.audio.wav import read_wav
from seqgen.errors import MusicError
from tests.conftest import ROOT, one_error_line, run_cli, run_reporting_imports
from tests.fixtures.render import smf


def wav_header(path):
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE" and raw[12:16] == b"fmt "
    fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", raw[20:36])
    assert fmt == 1  # PCM
    return channels, rate, bits


@pytest.fixture
def tempo_midi(tmp_path):
    data, seconds = smf.tempo_change_midi()
    path = tmp_path / "tempo.mid"
    path.write_bytes(data)
    return path, seconds


def test_builtin_render_respects_the_tempo_map(tempo_midi):
    midi, seconds = tempo_midi
    r = run_cli("render-midi", midi, "--synth", "builtin", "--sample-rate", "22050")
    assert r.exit_code == 0, r.stderr
    wav = midi.with_suffix(".wav")
    assert r.stdout.splitlines() == [str(wav)]
    assert "synth: built-in" in r.stderr
    assert wav_header(wav) == (1, 22050, 16)
    x, rate = read_wav(wav)
    assert rate == 22050
    # 6 s of music (4 s if the tempo change were ignored) plus the release tail
    assert abs(len(x) / rate - (seconds + TAIL_SECONDS)) < 0.01
    x = x[:, 0]
    assert np.sqrt(np.mean(x[: int(seconds * rate)] ** 2)) > 0.05  # not silent
    assert np.max(np.abs(x)) < 0.95  # normalised below full scale: no clipping
    # the last note (beat 7-8 at 60 bpm) sounds from 5 s to 6 s
    assert np.sqrt(np.mean(x[int(5.2 * rate):int(5.9 * rate)] ** 2)) > 0.02


def test_one_note_file_renders_at_the_right_pitch(tmp_path):
    midi = tmp_path / "d4.mid"
    midi.write_bytes(smf.one_note_midi(pitch=62, seconds=1.5))
    out = tmp_path / "tone.wav"
    r = run_cli("render-midi", midi, "--synth", "builtin", "--out", out)
    assert r.exit_code == 0, r.stderr
    x, rate = read_wav(out)
    assert rate == 44100
    held = x[int(0.4 * rate):int(1.4 * rate), 0]
    n = 1 << 22
    spectrum = np.abs(np.fft.rfft(held * np.hanning(len(held)), n))
    peak = np.argmax(spectrum) * rate / n
    expected = 440 * 2 ** ((62 - 69) / 12)  # 293.66 Hz
    assert abs(1200 * np.log2(peak / expected)) < 3


def test_plot_writes_a_png_next_to_the_wav(tmp_path, tempo_midi):
    midi, _ = tempo_midi
    out = tmp_path / "solo.wav"
    r = run_cli("render-midi", midi, "--synth", "builtin", "--out", out, "--plot")
    assert r.exit_code == 0, r.stderr
    png = tmp_path / "solo.png"
    assert r.stdout.splitlines() == [str(out), str(png)]
    raw = png.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    width, height = struct.unpack(">II", raw[16:24])
    assert 400 <= width <= 3000 and 300 <= height <= 1200
    assert len(raw) > 5000  # a drawing, not an empty canvas


def test_real_solo_renders_with_plot(tmp_path):
    midi = tmp_path / "solo.midi"
    midi.write_bytes((ROOT / "tests/fixtures/reference-outputs/deepjazz_128_epochs.midi")
                     .read_bytes())
    r = run_cli("render-midi", midi, "--synth", "builtin", "--plot", "--sample-rate", "16000")
    assert r.exit_code == 0, r.stderr
    assert midi.with_suffix(".wav").stat().st_size > 1000
    assert midi.with_suffix(".png").stat().st_size > 5000


def test_render_midi_does_not_import_tensorflow(tempo_midi, tmp_path):
    """A real process: render-midi with --plot leaves TensorFlow and Keras unimported."""
    midi, _ = tempo_midi
    r, heavy = run_reporting_imports(["render-midi", midi, "--synth", "builtin", "--plot",
                                      "--sample-rate", "8000"])
    assert r.exit_code == 0 and "EXIT" not in r.stderr, r.stderr[-2000:]
    assert not {"tensorflow", "keras"} & set(heavy[0]), heavy


def no_outputs(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".wav", ".png", ".tmp")
                  or p.name.startswith("."))


def check_error(r, code, words):
    line = one_error_line(r, code)
    assert words in line, line
    assert r.stdout == ""


@pytest.mark.parametrize("setup, args, code, words", [
    ("missing", [], 1, "not found"),
    ("empty", [], 1, "empty"),
    ("text", [], 1, "not a MIDI file"),
    ("dir", [], 1, "directory"),
    ("good", ["--synth", "timidity"], 2, "unknown --synth"),
    ("good", ["--sample-rate", "0"], 2, "--sample-rate"),
    ("good", ["--sample-rate", "-44100"], 2, "--sample-rate"),
    ("good", ["--sample-rate", "fast"], 2, "--sample-rate"),
    ("good", ["--soundfont", "nowhere.sf2"], 1, "SoundFont not found"),
    ("good", ["--synth", "builtin", "--soundfont", "x.sf2"], 2, "--soundfont"),
    ("good", ["--out", "no/such/folder/x.wav"], 1, "does not exist"),
    ("good", ["--out", "."], 1, "is a directory"),
    ("good", ["--out", "in.mid"], 1, "refusing to overwrite"),
])
def test_bad_input_one_line_no_output(tmp_path, setup, args, code, words):
    midi = tmp_path / "in.mid"
    if setup == "empty":
        midi.write_bytes(b"")
    elif setup == "text":
        midi.write_text("MTh? this is not a MIDI file\n")
    elif setup == "dir":
        midi.mkdir()
    elif setup == "good":
        midi.write_bytes(smf.one_note_midi())
    before = no_outputs(tmp_path)
    r = run_cli("render-midi", midi.name, *args, "--plot", cwd=tmp_path)
    check_error(r, code, words)
    assert no_outputs(tmp_path) == before
    if setup == "good":
        assert midi.read_bytes() == smf.one_note_midi()


def test_failing_plot_leaves_no_wav(tmp_path, monkeypatch):
    """The WAV is renamed into place only after the PNG is complete too."""
    from seqgen.audio import pianoroll
    from seqgen.audio.render import render_midi

    midi = tmp_path / "in.mid"
    midi.write_bytes(smf.one_note_midi())

    def broken(fileobj, score, title=""):
        fileobj.write(b"\x89PNG half")
        raise MusicError("plot failed")

    monkeypatch.setattr(pianoroll, "write_pianoroll", broken)
    with pytest.raises(MusicError):
        render_midi(midi, synth="builtin", plot=True, sample_rate=8000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mid"]


def test_unwritable_folder_is_an_output_error(tmp_path, monkeypatch):
    import tempfile

    from seqgen.audio.render import render_midi
    from seqgen.errors import OutputError

    midi = tmp_path / "in.mid"
    midi.write_bytes(smf.one_note_midi())

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match="(?i)cannot write .*permission denied"):
        render_midi(midi, synth="builtin", sample_rate=8000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mid"]


def test_existing_outputs_survive_a_failed_render(tmp_path):
    midi = tmp_path / "in.mid"
    midi.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x05\x01\xe0")  # truncated
    old = tmp_path / "in.wav"
    old.write_bytes(b"old")
    r = run_cli("render-midi", midi, "--synth", "builtin")
    check_error(r, 1, "malformed MIDI file")
    assert old.read_bytes() == b"old"


def test_piano_roll_parts_labels_and_distinct_colours():
    from seqgen.audio.pianoroll import part_colours, part_labels, pitch_name
    from seqgen.midi.smf import parse_midi_bytes

    t = smf.TPQ
    lead = [smf.name("Lead")] + smf.note(1, 72, 100, 0, t)
    mixed = smf.note(2, 48, 100, 0, t) + smf.note(10, 36, 100, 0, 10)  # unnamed, two channels
    score = parse_midi_bytes(smf.smf([smf.track(lead), smf.track(mixed)]))
    assert part_labels(score) == {(0, 1): "Lead", (1, 2): "track 1 (channel 2)",
                                  (1, 10): "track 1 (channel 10) [drums]"}
    for n in (1, 7, 10, 19, 20, 33):
        assert len(set(part_colours(n))) == n
    assert [pitch_name(p) for p in (60, 61, 69, 21, 108)] == ["C4", "C#4", "A4", "A0", "C8"]
