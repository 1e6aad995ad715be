"""16-bit PCM WAV files with the standard library's ``wave`` module."""

from __future__ import annotations

import struct
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
    return pcm.astype(np.float32) / np.float32(32767.0), rate  # the inverse of to_int16


def read_float_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a 32-bit float WAV (format 3, as ``fluidsynth -O float`` writes), which the
    ``wave`` module cannot.

    Returns:
        (samples, sample_rate): float32, shape (n_frames, channels).
    Raises:
        DataError: not a RIFF/WAVE file with a 32-bit float ``fmt`` and a ``data`` chunk.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read WAV file {path}: {exc.strerror}") from None
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise DataError(f"not a WAV file: {path}")
    fmt = None
    pos = 12
    while pos + 8 <= len(raw):  # chunks: 4-byte id, little-endian size, data, pad to even
        cid, size = raw[pos:pos + 4], int.from_bytes(raw[pos + 4:pos + 8], "little")
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: real tag follows
                tag = int.from_bytes(body[24:26], "little")
            fmt = (tag, channels, rate, bits)
        elif cid == b"data" and fmt is not None:
            tag, channels, rate, bits = fmt
            if tag != 3 or bits != 32 or channels < 1:
                raise DataError(f"{path} is not a 32-bit float WAV (format {tag}, {bits} bits)")
            usable = len(body) // (4 * channels) * 4 * channels
            samples = np.frombuffer(body[:usable], dtype="<f4").reshape(-1, channels)
            return samples.astype(np.float32), rate
        pos += 8 + size + (size & 1)
    raise DataError(f"WAV file without format or data: {path}")
