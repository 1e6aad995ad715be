"""Rendering through the ``fluidsynth`` program with a General MIDI SoundFont.

FluidSynth itself exits 0 and writes silence when the SoundFont is missing, so
the SoundFont is checked here first, and the result is checked after.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from seqgen.errors import DataError, MusicError

SOUNDFONT_DIRS = (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"))
PREFERRED = "FluidR3_GM.sf2"
INSTALL_HINT = "install it with 'sudo apt-get install fluidsynth fluid-soundfont-gm'"


def find_fluidsynth() -> str | None:
    """The path of the ``fluidsynth`` program on PATH, or None."""
    return shutil.which("fluidsynth")


def find_soundfont(dirs: tuple[Path, ...] = SOUNDFONT_DIRS) -> Path | None:
    """A General MIDI SoundFont: ``FluidR3_GM.sf2`` if present, else the first ``*.sf2``."""
    for folder in dirs:
        if (folder / PREFERRED).is_file():
            return folder / PREFERRED
    for folder in dirs:
        if folder.is_dir():
            found = sorted(p for p in folder.glob("*.sf2") if p.is_file())
            if found:
                return found[0]
    return None


def check_soundfont(path: str | Path) -> Path:
    """Return ``path`` if it is a readable SoundFont 2 file (RIFF ... sfbk).

    Raises:
        DataError: missing, a directory, or not a SoundFont.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"SoundFont not found: {p}")
    if not p.is_file():
        raise DataError(f"SoundFont is not a file: {p}")
    try:
        with open(p, "rb") as f:
            head = f.read(12)
    except OSError as exc:
        raise DataError(f"cannot read SoundFont {p}: {exc.strerror}") from None
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise DataError(f"not a SoundFont (.sf2) file: {p}")
    return p


def render_fluidsynth(midi: Path, wav: Path, soundfont: Path, sample_rate: int,
                      program: str = "fluidsynth", timeout: float = 600.0) -> None:
    """Render ``midi`` to ``wav``, a stereo 32-bit float WAV written by fluidsynth itself.

    Float output never clips inside FluidSynth (dense scores exceed full scale at its
    default gain); the caller normalises it and writes the 16-bit file. ``wav``
    should be a scratch path.

    Raises:
        MusicError: fluidsynth failed, timed out or wrote no audio.
    """
    # absolute paths, so a file name starting with "-" is never taken for an option
    cmd = [program, "-ni", "-q", "-F", str(Path(wav).absolute()), "-r", str(sample_rate),
           "-T", "wav", "-O", "float", str(Path(soundfont).absolute()), str(Path(midi).absolute())]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, errors="replace")
    except subprocess.TimeoutExpired:
        raise MusicError(f"fluidsynth took longer than {timeout:.0f} s; try --synth builtin"
                         ) from None
    except OSError as exc:
        raise MusicError(f"cannot run fluidsynth ({program}): {exc.strerror}") from None
    if done.returncode != 0 or not wav.is_file() or wav.stat().st_size <= 44:
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        why = lines[0] if lines else f"exit status {done.returncode}"
        raise MusicError(f"fluidsynth could not render {midi}: {why}")
