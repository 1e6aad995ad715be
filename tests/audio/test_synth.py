"""The built-in synthesiser and the WAV writer: pitch, length, level, envelopes, drums."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from seqgen.audio.synth import PEAK, TAIL_SECONDS, midi_to_hz, render_notes, timbre_for
from seqgen.audio.wav import read_wav, to_int16, write_wav
from seqgen.midi.notes import Note, TempoMap

SR = 22050
SECOND = TempoMap([(0.0, 60.0)])  # 60 bpm: a quarter note lasts one second


def tone(pitch: int, start: float, end: float, velocity: int, **sound) -> Note:
    """A note from ``start`` to ``end`` seconds, timed as the MIDI reader times them."""
    return SECOND.place(Note(start, end - start, pitch, velocity=velocity, **sound))


def peak_frequency(x: np.ndarray, sr: int) -> float:
    """The strongest spectral line, to well under a cent: Hann window, 16x zero padding,
    then a parabola through the three top bins (on log magnitudes)."""
    n = 1 << int(math.ceil(math.log2(len(x) * 16)))
    mag = np.log(np.abs(np.fft.rfft(x * np.hanning(len(x)), n)) + 1e-12)
    k = int(np.argmax(mag[1:-1])) + 1
    a, b, c = mag[k - 1:k + 2]
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / n


def cents(f: float, ref: float) -> float:
    return 1200 * math.log2(f / ref)


@pytest.mark.parametrize("pitch, program", [(62, 0), (69, 24), (45, 33), (81, 56)])
def test_one_note_has_the_right_pitch(pitch, program):
    x = render_notes([tone(pitch, 0.0, 1.0, 100, program=program)], 1.0, SR)
    held = x[int(0.3 * SR):int(0.95 * SR)]  # the sustained part, after attack and decay
    assert abs(cents(peak_frequency(held, SR), midi_to_hz(pitch))) < 3


def test_equal_temperament_reference():
    assert midi_to_hz(69) == 440.0
    assert midi_to_hz(60) == pytest.approx(261.6256, abs=1e-4)


def test_long_high_note_keeps_its_pitch_to_the_end():
    # a float32 phase of ~1e5 rad would wobble; the phase is reduced in float64 first
    x = render_notes([tone(100, 0.0, 12.0, 100, program=16)], 12.0, SR)
    tail = x[int(11.0 * SR):int(11.9 * SR)]
    assert abs(cents(peak_frequency(tail, SR), midi_to_hz(100))) < 3


def test_length_normalisation_and_silence_outside_notes():
    notes = [tone(60, 1.0, 2.0, 100), tone(67, 1.5, 2.0, 50)]
    x = render_notes(notes, 3.0, SR)
    assert x.dtype == np.float32 and x.shape == (round((3.0 + TAIL_SECONDS) * SR),)
    assert np.max(np.abs(x)) == pytest.approx(PEAK, rel=1e-6)
    assert not np.any(x[:SR])  # nothing before the first note
    release = max(timbre_for(0).release, 0.0)
    assert not np.any(x[int((2.0 + release) * SR) + 2:])  # silent after the release


def test_many_loud_notes_never_clip():
    chord = [tone(p, 0.0, 2.0, 127, program=p) for p in range(40, 90, 2)]
    x = render_notes(chord, 2.0, SR)
    assert np.max(np.abs(x)) <= PEAK + 1e-6
    pcm = to_int16(x)
    assert pcm.max() < 32767 and pcm.min() > -32768


def test_envelope_starts_from_zero_and_velocity_scales():
    soft = render_notes([tone(60, 0, 1, 30), tone(72, 1, 2, 120)], 2.0, SR)
    assert abs(soft[0]) < 1e-3  # attack ramps up from silence: no click
    rms_soft = np.sqrt(np.mean(soft[int(0.3 * SR):SR] ** 2))
    rms_loud = np.sqrt(np.mean(soft[int(1.3 * SR):2 * SR] ** 2))
    assert rms_loud > 2 * rms_soft


def test_notes_shorter_than_the_attack_and_zero_length_notes_sound():
    x = render_notes([tone(60, 0.0, 0.001, 100), tone(64, 0.5, 0.5, 100)], 1.0, SR)
    assert np.any(x[:int(0.4 * SR)]) and np.any(x[int(0.5 * SR):])
    assert np.all(np.isfinite(x))


def test_drums_are_noise_bursts_on_channel_10():
    hits = [tone(p, 0.25 * i, 0.25 * i + 0.05, 100, channel=10)
            for i, p in enumerate([36, 38, 42, 49, 60, 75])]
    x = render_notes(hits, 1.5, SR)
    assert np.max(np.abs(x)) == pytest.approx(PEAK, rel=1e-6)
    again = render_notes(hits, 1.5, SR)
    assert np.array_equal(x, again)  # deterministic noise


def test_no_partials_above_nyquist_at_a_low_sample_rate():
    sr = 8000
    x = render_notes([tone(96, 0.0, 1.0, 100, program=80)], 1.0, sr)  # C7 = 2093 Hz
    spectrum = np.abs(np.fft.rfft(x[int(0.2 * sr):int(0.9 * sr)]))
    freqs = np.fft.rfftfreq(int(0.9 * sr) - int(0.2 * sr), 1 / sr)
    # only the fundamental fits under 0.45 * 8000 Hz; an aliased 2nd harmonic would land
    # at 8000 - 4186 = 3814 Hz
    assert spectrum[np.abs(freqs - 3814) < 30].max() < 1e-3 * spectrum.max()


def test_empty_score_is_silent():
    x = render_notes([], 1.0, SR)
    assert x.shape == (round(1.5 * SR),) and not np.any(x)


def test_wav_round_trip_header_and_samples():
    x = np.sin(np.linspace(0, 100, 1000)).astype(np.float32) * 0.5
    buf = io.BytesIO()
    write_wav(buf, x, 16000)
    raw = buf.getvalue()
    assert raw[:4] == b"RIFF" and raw[8:16] == b"WAVEfmt "
    assert int.from_bytes(raw[22:24], "little") == 1  # channels
    assert int.from_bytes(raw[24:28], "little") == 16000
    assert int.from_bytes(raw[34:36], "little") == 16  # bits per sample
    assert len(raw) == 44 + 2 * len(x)


def test_read_wav_reads_what_write_wav_wrote(tmp_path):
    x = (np.arange(-100, 100, dtype=np.float32) / 101)
    path = tmp_path / "t.wav"
    with open(path, "wb") as f:
        write_wav(f, x, 8000)
    y, rate = read_wav(path)
    assert rate == 8000 and y.shape == (200, 1)
    assert np.max(np.abs(y[:, 0] - x)) <= 0.5 / 32767 + 1e-7
