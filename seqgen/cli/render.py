"""render-midi: a MIDI file to a WAV (FluidSynth or the built-in synthesiser) and a piano roll."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import info, user_errors

app = typer.Typer()


@app.command("render-midi")
def render_midi(
    midi: Annotated[Path, typer.Argument(help="The MIDI file to render.", show_default=False)],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="WAV file to write (default: the MIDI's name with .wav).")] = None,
    synth: Annotated[str, typer.Option(
        "--synth", help="auto (FluidSynth when installed, else built-in), fluidsynth or "
        "builtin.")] = "auto",
    soundfont: Annotated[Optional[Path], typer.Option(
        "--soundfont", help="SoundFont (.sf2) for FluidSynth (default: the installed GM "
        "SoundFont).")] = None,
    sample_rate: Annotated[int, typer.Option(
        "--sample-rate", help="Samples per second (8000-96000).")] = 44100,
    plot: Annotated[bool, typer.Option(
        "--plot", help="Also write a piano-roll PNG next to the WAV.")] = False,
) -> None:
    """Render a MIDI file to a 16-bit WAV, respecting its tempo changes.

    Uses FluidSynth with a General MIDI SoundFont when installed, otherwise a built-in
    NumPy synthesiser; says which on stderr. Prints the written paths on stdout.
    """
    from seqgen.audio.render import render_midi as run

    with user_errors():
        result = run(midi, out, synth, soundfont, sample_rate, plot, on_status=info)
    info(f"rendered {result.notes} notes, {result.midi_seconds:.1f} s of music, to "
         f"{result.wav_seconds:.1f} s of {result.sample_rate} Hz audio with {result.synth} "
         f"in {result.render_seconds:.2f} s")
    print(result.wav)
    if result.png is not None:
        print(result.png)
