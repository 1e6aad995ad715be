"""render-midi: a MIDI file to a 16-bit WAV (FluidSynth or the built-in synthesiser),
optionally with a piano-roll PNG next to it.

Every output is written to a temporary file in its destination folder; the
renames happen only after all outputs are complete, so a failure leaves neither
a partial WAV nor a WAV without its requested PNG.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seqgen.atomic import staged_outputs
from seqgen.audio import fluidsynth
from seqgen.errors import DataError, MusicError, UsageError
from seqgen.midi.notes import Score
from seqgen.midi.smf import read_midi_notes
from seqgen.signals import pause_point
from seqgen.textio import check_output_path

SYNTHS = ("auto", "fluidsynth", "builtin")
MIN_RATE, MAX_RATE = 8000, 96000  # FluidSynth's accepted range; ample for the built-in synth


@dataclass(frozen=True)
class RenderResult:
    wav: Path
    png: Path | None
    synth: str  # "fluidsynth" or "builtin"
    sample_rate: int
    midi_seconds: float  # the score's length through its tempo map
    wav_seconds: float
    notes: int
    render_seconds: float  # wall time of the synthesis alone


@dataclass(frozen=True)
class SynthChoice:
    name: str  # "fluidsynth" or "builtin"
    soundfont: Path | None
    program: str | None
    reason: str  # one line for the user: which synthesiser and why


def choose_synth(requested: str, soundfont: Path | None = None,
                 program: str | None = None,
                 soundfont_dirs: tuple[Path, ...] = fluidsynth.SOUNDFONT_DIRS) -> SynthChoice:
    """Decide between FluidSynth and the built-in synthesiser.

    ``program`` is the fluidsynth executable (looked up on PATH when None).

    Raises:
        UsageError: an unknown ``requested`` name, or --soundfont with --synth builtin.
        DataError: a given SoundFont is missing or not a SoundFont; or fluidsynth was
            asked for and no SoundFont is installed.
        MusicError: fluidsynth was asked for and is not installed.
    """
    if requested not in SYNTHS:
        raise UsageError(f"unknown --synth {requested!r}; choose one of {', '.join(SYNTHS)}")
    if requested == "builtin":
        if soundfont is not None:
            raise UsageError("--soundfont needs --synth fluidsynth or auto, not builtin")
        return SynthChoice("builtin", None, None, "synth: built-in (as requested)")
    sf2 = fluidsynth.check_soundfont(soundfont) if soundfont is not None \
        else fluidsynth.find_soundfont(soundfont_dirs)
    program = program or fluidsynth.find_fluidsynth()
    if requested == "fluidsynth":
        if program is None:
            raise MusicError(f"--synth fluidsynth: the fluidsynth program is not installed; "
                             f"{fluidsynth.INSTALL_HINT}, or use --synth builtin")
        if sf2 is None:
            dirs = ", ".join(str(d) for d in soundfont_dirs)
            raise DataError(f"--synth fluidsynth: no SoundFont (.sf2) found in {dirs}; "
                            f"{fluidsynth.INSTALL_HINT} or pass --soundfont PATH")
    if program is not None and sf2 is not None:
        return SynthChoice("fluidsynth", sf2, program, f"synth: fluidsynth with {sf2}")
    missing = "the fluidsynth program" if program is None else "a General MIDI SoundFont"
    return SynthChoice("builtin", None, None,
                       f"synth: built-in ({missing} not found; for FluidSynth, "
                       f"{fluidsynth.INSTALL_HINT})")


def check_sample_rate(sample_rate: int) -> int:
    """Raises UsageError unless MIN_RATE <= sample_rate <= MAX_RATE."""
    if not MIN_RATE <= sample_rate <= MAX_RATE:
        raise UsageError(f"--sample-rate must be between {MIN_RATE} and {MAX_RATE} Hz, "
                         f"got {sample_rate}")
    return sample_rate


def output_paths(midi: Path, out: Path | None, plot: bool) -> tuple[Path, Path | None]:
    """The WAV path (default: the MIDI's name with .wav) and the PNG path next to it.

    Raises:
        DataError: a folder is missing, a path is a directory, or an output would
            overwrite the input MIDI file.
    """
    wav = Path(out) if out is not None else midi.with_suffix(".wav")
    check_output_path(wav, "output WAV")
    png = wav.with_suffix(".png") if plot else None
    if png is not None:
        check_output_path(png, "piano-roll PNG")
    for target in (wav, png):
        if target is not None and target.exists() and target.resolve() == midi.resolve():
            raise DataError(f"refusing to overwrite the input MIDI file {midi} with "
                            f"{target.suffix} output; pass --out")
    return wav, png


def render_midi(midi: str | Path, out: str | Path | None = None, synth: str = "auto",
                soundfont: str | Path | None = None, sample_rate: int = 44100,
                plot: bool = False,
                on_status: Callable[[str], None] = lambda line: None) -> RenderResult:
    """Render ``midi`` to a WAV file (and a piano-roll PNG with ``plot``).

    Args:
        midi: the MIDI file.
        out: the WAV path; default: ``midi`` with the suffix ``.wav``.
        synth: "auto" (FluidSynth when installed with a SoundFont, else built-in),
            "fluidsynth" or "builtin".
        soundfont: a .sf2 file for FluidSynth; default: the installed GM SoundFont.
        sample_rate: samples per second of the WAV.
        plot: also write ``out`` with the suffix ``.png``.
        on_status: receives one-line status messages (which synthesiser, ...).
    Returns:
        A RenderResult describing what was written.
    Raises:
        UsageError, DataError, MusicError: see ``choose_synth``, ``read_midi_notes``
        and ``output_paths``; nothing is written then.
    """
    check_sample_rate(sample_rate)
    if synth not in SYNTHS:  # before reading anything, so the error names the option
        raise UsageError(f"unknown --synth {synth!r}; choose one of {', '.join(SYNTHS)}")
    midi = Path(midi)
    score = read_midi_notes(midi)
    wav_path, png_path = output_paths(midi, Path(out) if out is not None else None, plot)
    choice = choose_synth(synth, Path(soundfont) if soundfont is not None else None)
    on_status(choice.reason)

    t0 = time.perf_counter()
    with staged_outputs() as stage:
        wav_tmp = stage(wav_path)
        if choice.name == "fluidsynth":
            samples, rate = _render_fluidsynth(midi, score, choice, sample_rate)
        else:
            from seqgen.audio.synth import render_notes

            samples, rate = render_notes(score.notes, score.duration, sample_rate), sample_rate
        _write_pcm(wav_tmp, samples, rate)
        pause_point("render")
        render_seconds = time.perf_counter() - t0
        if png_path is not None:
            from seqgen.audio.pianoroll import write_pianoroll

            png_tmp = stage(png_path)
            try:
                with open(png_tmp, "wb") as f:
                    write_pianoroll(f, score, title=midi.name)
            except OSError as exc:
                raise DataError(f"cannot write {png_path}: {exc.strerror}") from None
    return RenderResult(wav_path, png_path, choice.name, rate, score.duration,
                        len(samples) / rate, len(score.notes), render_seconds)


def _render_fluidsynth(midi: Path, score: Score, choice: SynthChoice, sample_rate: int):
    """FluidSynth renders 32-bit float into a scratch folder; returns (samples, rate),
    normalised like the built-in synthesiser's output."""
    from seqgen.audio.synth import normalise
    from seqgen.audio.wav import read_float_wav

    with tempfile.TemporaryDirectory(prefix="seqgen-render-") as scratch:
        raw = Path(scratch) / "fluidsynth.wav"
        fluidsynth.render_fluidsynth(midi, raw, choice.soundfont, sample_rate, choice.program,
                                     timeout=max(120.0, 10 * score.duration))
        samples, rate = read_float_wav(raw)
    return normalise(samples), rate


def _write_pcm(path: Path, samples, sample_rate: int) -> None:
    from seqgen.audio.wav import write_wav

    try:
        with open(path, "wb") as f:
            write_wav(f, samples, sample_rate)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:  # e.g. the disk filled up
        raise DataError(f"cannot write the WAV file: {exc.strerror}") from None
