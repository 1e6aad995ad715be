"""Reading MIDI into notes: the tempo map, note pairing, programs, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqgen.errors import DataError, MusicError
from seqgen.midi.notes import Note
from seqgen.midi.smf import parse_midi_bytes, read_midi_notes
from tests.conftest import DATA
from tests.fixtures.render import smf
from tests.helpers.midi_io import notes_to_midi_bytes


def test_tempo_change_converts_ticks_to_seconds():
    data, seconds = smf.tempo_change_midi()
    score = parse_midi_bytes(data)
    assert score.duration == pytest.approx(seconds)
    starts = [n.start for n in score.notes]
    # 0.5 s per beat for beats 0-4, then 1 s per beat
    assert starts == pytest.approx([0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0])
    assert [n.end - n.start for n in score.notes] == pytest.approx([0.5] * 4 + [1.0] * 4)
    assert [t for pair in score.tempos for t in pair] == pytest.approx([0.0, 120.0, 2.0, 60.0])
    assert score.track_names == {1: "Melody"}


def test_note_fields_programs_channels_and_zero_velocity_offs():
    t = smf.TPQ
    events = [smf.program(0, 3, 40), smf.program(2 * t, 3, 73)]
    events += smf.note(3, 60, 90, 0, t, zero_velocity_off=True)
    events += smf.note(3, 64, 80, 2 * t, 3 * t)
    events += smf.note(10, 36, 127, t, t + 10)
    score = parse_midi_bytes(smf.smf([smf.track(events)], fmt=0))
    got = [(n.pitch, n.velocity, n.program, n.channel, n.track, n.is_drum) for n in score.notes]
    assert got == [(60, 90, 40, 3, 0, False), (36, 127, 0, 10, 0, True),
                   (64, 80, 73, 3, 0, False)]
    assert score.notes[0].end == pytest.approx(0.5)  # 120 bpm by default


def test_overlapping_same_pitch_first_on_first_off_and_unterminated_notes():
    t = smf.TPQ
    events = [(0, b"\x90\x3c\x40"), (t, b"\x90\x3c\x50"), (2 * t, b"\x80\x3c\x00"),
              (3 * t, b"\x80\x3c\x00"), (3 * t, b"\x80\x3e\x00"),  # stray off: ignored
              (4 * t, b"\x90\x40\x40")]  # never released: ends with its track
    score = parse_midi_bytes(smf.smf([smf.track(events, end_tick=6 * t)]))
    spans = [(n.pitch, n.start, n.end, n.velocity) for n in score.notes]
    assert spans == [(60, 0, 1.0, 64), (60, 0.5, 1.5, 80), (64, 2.0, 3.0, 64)]
    assert score.duration == pytest.approx(3.0)


def test_smpte_time_division_counts_ticks_per_second():
    # division 0xE719: 25 frames a second, 25 ticks a frame -> 625 ticks a second,
    # whatever the tempo says
    events = [smf.tempo(0, 60)] + smf.note(1, 60, 100, 625, 1250)
    data = bytearray(smf.smf([smf.track(events)]))
    data[12:14] = b"\xe7\x19"
    score = parse_midi_bytes(bytes(data))
    assert (score.notes[0].start, score.notes[0].end) == pytest.approx((1.0, 2.0))


def test_round_trip_through_the_music21_writer():
    notes = [Note(0.0, 1.0, 60, velocity=100), Note(1.0, 1.5, 64, velocity=90, program=33,
                                                    channel=2, track=1),
             Note(2.0, 0.25, 42, velocity=70, channel=10, track=2), Note(3.0, 1.0)]  # a rest
    score = parse_midi_bytes(notes_to_midi_bytes(notes, tempos=[(0, 120), (2, 60)]))
    # quarters come back as written (the rest is not written) ...
    got = [(n.offset, n.duration, n.pitch, n.velocity, n.program, n.channel)
           for n in score.notes]
    assert got == [(n.offset, n.duration, n.pitch, n.velocity, n.program, n.channel)
                   for n in notes[:3]]
    assert [n.track for n in score.notes] == [1, 2, 3]  # after the tempo track
    # ... and seconds follow the tempo map: 0.5 s per quarter before quarter 2, 1 s after
    assert [(n.start, n.end) for n in score.notes] == [(0.0, 0.5), (0.5, 1.5), (1.0, 1.25)]
    assert score.tempos == ((0.0, 120.0), (1.0, 60.0))


def test_quarters_and_seconds_agree_through_a_tempo_change():
    data, _ = smf.tempo_change_midi()
    score = parse_midi_bytes(data)
    assert [n.offset for n in score.notes] == pytest.approx(list(range(8)))
    assert all(n.duration == pytest.approx(1.0) for n in score.notes)


def test_real_files_read(tmp_path):
    score = read_midi_notes(DATA / "original_metheny.mid")
    assert len(score.notes) > 10_000
    assert 400 < score.duration < 500
    assert score.track_names[6] == "Piano"
    assert any(n.is_drum for n in score.notes)
    assert {n.program for n in score.notes if n.track == 7} == {32}  # the bass track
    assert all(0 <= n.start <= n.end <= score.duration + 1e-9 for n in score.notes)


@pytest.mark.parametrize("payload, message", [
    (b"RIFF\x00\x00\x00\x00WAVE", "not a MIDI file"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00",
     "malformed MIDI file"),  # says two tracks, has one
    (b"MThd\x00\x00\x00\x06\x00\x02\x00\x01\x01\xe0", "malformed MIDI file"),  # format 2
    (smf.smf([smf.track([smf.tempo(0, 100)])]), "no notes"),
])
def test_unusable_midi_is_a_music_error(tmp_path, payload, message):
    path = tmp_path / "bad.mid"
    path.write_bytes(payload)
    with pytest.raises(MusicError, match=message):
        read_midi_notes(path)


def test_missing_empty_and_directory_are_data_errors(tmp_path):
    (tmp_path / "empty.mid").write_bytes(b"")
    for path, message in [(tmp_path / "nope.mid", "not found"),
                          (tmp_path / "empty.mid", "empty"), (tmp_path, "directory")]:
        with pytest.raises(DataError, match=message):
            read_midi_notes(path)


def test_absurdly_long_file_is_refused():
    events = smf.note(1, 60, 100, 0, 0x0FFFFFFF)  # about 3 days at 120 bpm
    with pytest.raises(MusicError, match="at most"):
        parse_midi_bytes(smf.smf([smf.track(events)]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_files_raise_music_error_or_parse(data):
    """Truncated or byte-flipped MIDI files never escape as anything but MusicError."""
    base, _ = smf.tempo_change_midi()
    raw = bytearray(base)
    cut = data.draw(st.integers(4, len(raw)))
    raw = raw[:cut]
    for _ in range(data.draw(st.integers(0, 4))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    try:
        score = parse_midi_bytes(bytes(raw))
    except MusicError:
        return
    assert score.notes and score.duration >= 0
    assert all(n.end >= n.start for n in score.notes)
