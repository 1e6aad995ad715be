"""Old import path of the MIDI reader, kept for callers outside ``seqgen/music``.

The reader now lives in the MIDI adapter (``seqgen.music.midi``) and the note type in
``seqgen.music.notes``; import them from there. Still imported by
``bench/bench_render.py`` and ``tests/test_render_cli.py``; delete this module once they
import ``seqgen.music.midi`` / ``seqgen.music.notes`` instead.
"""

from seqgen.music.midi import notes_to_midi_bytes, parse_midi_bytes, read_midi_notes
from seqgen.music.notes import Note, Score

__all__ = ["Note", "Score", "notes_to_midi_bytes", "parse_midi_bytes", "read_midi_notes"]
