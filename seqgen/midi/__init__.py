"""MIDI files: reading and writing them (the only place music21 is imported: to read a
file, and a chord symbol outside ``symbols``' table), notes and chords, the parts of a file."""
