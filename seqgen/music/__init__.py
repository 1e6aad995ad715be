"""Music: the jazz grammar, the MIDI adapters and the synthesisers."""
