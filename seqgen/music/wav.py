"""16-bit PCM WAV files with the standard library's ``wave`` module."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np

from seqgen.errors import DataError


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] (shape (n,) or (n, channels)) to int16, rounded and clipped."""
    scaled = np.rint(np.asarray(samples, dtype=np.float32) * np.float32(32767.0))
    return np.clip(scaled, -32768, 32767).astype("<i2")


def write_wav(fileobj: BinaryIO, samples: np.ndarray, sample_rate: int) -> None:
    """Write ``samples`` (float in [-1, 1], shape (n,) or (n, channels)) as 16-bit PCM.

    The caller opens ``fileobj`` (a temporary file, renamed when complete).
    """
    pcm = to_int16(samples)
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    with wave.open(fileobj, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.setnframes(pcm.shape[0])
        w.writeframes(pcm.tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV file.

    Returns:
        (samples, sample_rate): float32 in [-1, 1], shape (n_frames, channels).
    Raises:
        DataError: not a readable 16-bit PCM WAV file.
    """
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise DataError(f"{path} is not 16-bit PCM (sample width {w.getsampwidth()})")
            channels, rate = w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise DataError(f"not a valid WAV file: {path} ({exc})") from None
    except OSError as exc:
        raise DataError(f"cannot read WAV file {path}: {exc.strerror}") from None
    pcm = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
    return pcm.astype(np.float32) / np.float32(32768.0), rate


def wav_info(path: str | Path) -> tuple[int, int, int]:
    """(frames, sample_rate, channels) from a WAV file's header.

    Raises:
        DataError: not a readable WAV file.
    """
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes(), w.getframerate(), w.getnchannels()
    except (wave.Error, EOFError) as exc:
        raise DataError(f"not a valid WAV file: {path} ({exc})") from None
    except OSError as exc:
        raise DataError(f"cannot read WAV file {path}: {exc.strerror}") from None
