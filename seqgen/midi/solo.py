"""Writing a solo: the melody (electric guitar) over its chords (piano), as a MIDI file.

The bytes are the ones music21 writes for a score of those two parts (``streamToMidiFile``
of a ``Score`` whose parts hold an instrument, a metronome mark and the notes), written
here without importing music21, which would cost most of a second of ``generate-jazz``:

- a type-1 file of three tracks at 10,080 ticks per quarter; the first holds the tempo and
  a 4/4 time signature;
- each part's track: its name, its program, the pitch bend centred, the program again,
  then its notes (velocity 90; the melody on channel 1, the chords on channel 2);
- an onset or an end is ``round(quarters x 10080)`` ticks, the quarters read as music21
  reads a float (the nearest fraction with a denominator up to 65,535); a note ends at its
  onset's tick plus its length's; at the same tick, ends come before onsets, and a chord's
  notes go in their written order;
- each track ends one quarter after its last event.

The suite checks these bytes against music21's for random solos.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from seqgen.atomic import write_bytes_atomic
from seqgen.midi.notes import Chord, Note

TICKS_PER_QUARTER = 10080
VELOCITY = 90
LEAD = ("Electric Guitar", 26, 0)  # (track name, General MIDI program, channel - 1)
COMP = ("Piano", 0, 1)
_TIME_SIGNATURE_4_4 = b"\xff\x58\x04\x04\x02\x18\x08"  # 4/4, 24 clocks a click, 8 32nds a beat
_END_OF_TRACK = b"\xff\x2f\x00"


def ticks(quarters: float) -> int:
    """Quarters as MIDI ticks, rounded as music21 rounds them."""
    exact = Fraction(quarters).limit_denominator(65535)
    return round(exact * TICKS_PER_QUARTER)


def _number(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _track(events: list[tuple[int, bytes]]) -> bytes:
    """``events`` (absolute tick, bytes) in order, as an ``MTrk`` chunk that ends one quarter
    after the last of them."""
    body, last = bytearray(), 0
    for tick, data in events:
        body += _number(tick - last) + data
        last = tick
    body += _number(TICKS_PER_QUARTER) + _END_OF_TRACK
    return b"MTrk" + len(body).to_bytes(4, "big") + bytes(body)


def _part(voice: tuple[str, int, int], sounds: list[tuple[float, float, tuple[int, ...]]]
          ) -> bytes:
    """One part's track: ``sounds`` are (onset, length, pitches) in quarters, in order."""
    name, program, channel = voice
    start = [(0, b"\xff\x03" + _number(len(name)) + name.encode("ascii")),
             (0, bytes([0xC0 | channel, program])),
             (0, bytes([0xE0 | channel, 0x00, 0x40])),
             (0, bytes([0xC0 | channel, program]))]
    notes = []  # (tick, 0 for an end / 1 for an onset, bytes), in the sounds' order
    for onset, length, pitches in sounds:
        on = ticks(onset)
        off = on + ticks(length)
        notes += [(on, 1, bytes([0x90 | channel, p, VELOCITY])) for p in pitches]
        notes += [(off, 0, bytes([0x80 | channel, p, 0])) for p in pitches]
    notes.sort(key=lambda event: (event[0], event[1]))  # stable: the written order stays
    return _track(start + [(tick, data) for tick, _, data in notes])


def solo_bytes(melody: list[Note], chords: list[Chord], bpm: float) -> bytes:
    """A two-part MIDI file: the melody (electric guitar) and the chords (piano)."""
    tempo = round(60_000_000 / bpm).to_bytes(3, "big")
    conductor = _track([(0, b"\xff\x51\x03" + tempo), (0, _TIME_SIGNATURE_4_4)])
    lead = _part(LEAD, sorted(((n.offset, n.duration, (n.pitch,)) for n in melody
                               if not n.is_rest), key=lambda s: s[0]))
    comp = _part(COMP, sorted(((c.offset, c.duration, tuple(c.pitches)) for c in chords),
                              key=lambda s: s[0]))
    header = b"MThd" + (6).to_bytes(4, "big") + (1).to_bytes(2, "big") + \
        (3).to_bytes(2, "big") + TICKS_PER_QUARTER.to_bytes(2, "big")
    return header + conductor + lead + comp


def write_solo(path: str | Path, melody: list[Note], chords: list[Chord], bpm: float) -> None:
    """Write the solo to ``path`` atomically (temp file, then rename).

    Raises:
        OutputError: the file cannot be written.
    """
    write_bytes_atomic(path, solo_bytes(melody, chords, bpm))
