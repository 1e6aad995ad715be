"""The FluidSynth path of render-midi, and how --synth auto chooses.

The rendering tests need the fluidsynth program and a General MIDI SoundFont
(`make install` installs them as root; CI does); they skip, saying so, elsewhere.
With SEQGEN_REQUIRE_FLUIDSYNTH=1 (for CI) a missing FluidSynth fails them instead.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from seqgen.audio import fluidsynth
from seqgen.audio.render import choose_synth
from seqgen.audio.wav import read_wav
from seqgen.errors import DataError, MusicError, UsageError
from tests.conftest import run_cli
from tests.fixtures.render import smf

HAVE_FLUIDSYNTH = fluidsynth.find_fluidsynth() is not None
HAVE_SOUNDFONT = fluidsynth.find_soundfont() is not None
MISSING = ("fluidsynth and a GM SoundFont are not installed "
           "(apt-get install fluidsynth fluid-soundfont-gm, as `make install` does as root)")
REQUIRED = os.environ.get("SEQGEN_REQUIRE_FLUIDSYNTH") == "1"
needs_fluidsynth = pytest.mark.skipif(not (HAVE_FLUIDSYNTH and HAVE_SOUNDFONT) and not REQUIRED,
                                      reason=MISSING)


def test_fluidsynth_is_installed_where_required():
    if not REQUIRED:
        pytest.skip("SEQGEN_REQUIRE_FLUIDSYNTH is not set")
    assert HAVE_FLUIDSYNTH and HAVE_SOUNDFONT, MISSING


@pytest.fixture
def tempo_midi(tmp_path):
    data, seconds = smf.tempo_change_midi()
    path = tmp_path / "tempo.mid"
    path.write_bytes(data)
    return path, seconds


@needs_fluidsynth
def test_fluidsynth_renders_the_tempo_map(tempo_midi, tmp_path):
    midi, seconds = tempo_midi
    out = tmp_path / "fs.wav"
    r = run_cli("render-midi", midi, "--synth", "fluidsynth", "--out", out,
                "--sample-rate", "22050", "--plot")
    assert r.returncode == 0, r.stderr
    assert "synth: fluidsynth with" in r.stderr
    assert r.stdout.splitlines() == [str(out), str(out.with_suffix(".png"))]
    x, rate = read_wav(out)
    assert rate == 22050 and x.shape[1] == 2  # FluidSynth writes stereo
    length = len(x) / rate
    # FluidSynth plays the file through, then lets the last notes ring out (about 2 s)
    assert seconds - 0.1 <= length <= seconds + 3.0, length
    assert np.max(np.abs(x)) == pytest.approx(0.9, abs=1e-3)  # normalised like built-in
    assert np.sqrt(np.mean(x[: int(seconds * rate)] ** 2)) > 0.05
    assert np.sqrt(np.mean(x[int(5.2 * rate):int(5.9 * rate)] ** 2)) > 0.02  # last note
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fs.png", "fs.wav", "tempo.mid"]


@needs_fluidsynth
def test_auto_prefers_fluidsynth(tmp_path):
    midi = tmp_path / "one.mid"
    midi.write_bytes(smf.one_note_midi(pitch=69))
    r = run_cli("render-midi", midi, "--sample-rate", "16000")
    assert r.returncode == 0, r.stderr
    assert "synth: fluidsynth" in r.stderr
    x, rate = read_wav(midi.with_suffix(".wav"))
    assert rate == 16000 and x.shape[1] == 2 and np.max(np.abs(x)) > 0.01


@needs_fluidsynth
def test_a_file_that_is_not_a_soundfont_is_refused(tmp_path):
    midi = tmp_path / "one.mid"
    midi.write_bytes(smf.one_note_midi())
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    r = run_cli("render-midi", midi, "--soundfont", fake)
    assert r.returncode == 1 and "not a SoundFont" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not midi.with_suffix(".wav").exists()


def test_auto_falls_back_to_builtin_without_fluidsynth(tmp_path):
    midi = tmp_path / "one.mid"
    midi.write_bytes(smf.one_note_midi())
    r = run_cli("render-midi", midi, "--sample-rate", "8000", env={"PATH": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    assert "synth: built-in (the fluidsynth program not found" in r.stderr
    assert read_wav(midi.with_suffix(".wav"))[0].shape[1] == 1


def test_fluidsynth_requested_but_missing_is_one_error_line(tmp_path):
    midi = tmp_path / "one.mid"
    midi.write_bytes(smf.one_note_midi())
    r = run_cli("render-midi", midi, "--synth", "fluidsynth", env={"PATH": str(tmp_path)})
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert "fluidsynth program is not installed" in r.stderr
    assert not midi.with_suffix(".wav").exists()


def make_sf2(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    return path


def test_choose_synth_rules(tmp_path):
    sf_dir = tmp_path / "sf2"
    other = make_sf2(sf_dir, "Another.sf2")
    dirs = (sf_dir,)
    assert choose_synth("auto", program="/bin/fs", soundfont_dirs=dirs).soundfont == other
    preferred = make_sf2(sf_dir, fluidsynth.PREFERRED)
    got = choose_synth("auto", program="/bin/fs", soundfont_dirs=dirs)
    assert (got.name, got.soundfont, got.program) == ("fluidsynth", preferred, "/bin/fs")
    assert choose_synth("builtin", program="/bin/fs", soundfont_dirs=dirs).name == "builtin"
    empty = (tmp_path / "none",)
    got = choose_synth("auto", program="/bin/fs", soundfont_dirs=empty)
    assert got.name == "builtin" and "SoundFont not found" in got.reason
    with pytest.raises(DataError, match="no SoundFont"):
        choose_synth("fluidsynth", program="/bin/fs", soundfont_dirs=empty)
    explicit = make_sf2(tmp_path / "mine", "piano.sf2")
    got = choose_synth("fluidsynth", explicit, program="/bin/fs", soundfont_dirs=empty)
    assert got.soundfont == explicit
    with pytest.raises(UsageError):
        choose_synth("fluid")
    with pytest.raises(UsageError):
        choose_synth("builtin", explicit)


def test_choose_synth_without_the_program(tmp_path, monkeypatch):
    monkeypatch.setattr(fluidsynth, "find_fluidsynth", lambda: None)
    dirs = (tmp_path,)
    make_sf2(tmp_path, "a.sf2")
    assert choose_synth("auto", soundfont_dirs=dirs).name == "builtin"
    with pytest.raises(MusicError, match="not installed"):
        choose_synth("fluidsynth", soundfont_dirs=dirs)


def test_fluidsynth_failure_is_a_music_error(tmp_path):
    """A fluidsynth that fails, or is not there, surfaces as MusicError, not a traceback."""
    sf2 = make_sf2(tmp_path, "a.sf2")
    midi = tmp_path / "one.mid"
    midi.write_bytes(smf.one_note_midi())
    failing = tmp_path / "fake-fluidsynth"
    failing.write_text("#!/bin/sh\necho 'fluidsynth: error: broken' >&2\nexit 3\n")
    failing.chmod(0o755)
    with pytest.raises(MusicError, match="could not render .*broken"):
        fluidsynth.render_fluidsynth(midi, tmp_path / "o.wav", sf2, 8000, program=str(failing))
    with pytest.raises(MusicError, match="cannot run fluidsynth"):
        fluidsynth.render_fluidsynth(midi, tmp_path / "o.wav", sf2, 8000,
                                     program=str(tmp_path / "absent"))
