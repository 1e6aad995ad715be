"""Listening: MIDI to WAV (FluidSynth or the built-in synthesiser) and the piano roll."""
