"""MIDI files: reading and writing them (the only place music21 is imported), notes and
chords, the parts of a file."""
