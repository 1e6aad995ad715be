"""Reading a UTF-8 text file in pieces, with the same checks as ``seqgen.textio.read_text``.

A file is never held whole: it is read ``chunk_bytes`` at a time and decoded
incrementally, so a multi-gigabyte text costs a few megabytes of memory. The errors are
the ones ``read_text`` gives (missing, directory, empty, binary, not UTF-8, no text), in
the same order of precedence, so a streamed and a whole read of a bad file say the same.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seqgen.errors import DataError
from seqgen.textio import check_input_file

CHUNK_BYTES = 1 << 20  # 1 MiB per read


def _has_nul_after(f, what: str, p: Path) -> None:
    while block := f.read(CHUNK_BYTES):
        if b"\x00" in block:
            raise DataError(f"{what} looks binary (it contains NUL bytes), expected UTF-8 "
                            f"text: {p}")


def iter_text(path: str | Path, what: str = "data file", hint: str = "",
              chunk_bytes: int | None = None) -> Iterator[str]:
    """Yield the decoded text of ``path`` in consecutive pieces (no newline translation).

    The pieces join to exactly ``path.read_bytes().decode("utf-8")``; a piece may end
    anywhere, even inside a line. The checks run as the file is read, so a bad file
    raises part-way through the iteration (a caller that consumes everything first, as
    the two-pass loaders here do, reports it before doing any work).

    Raises:
        DataError: missing, a directory, empty, binary (NUL bytes), not UTF-8, or only
            white space.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    p = check_input_file(path, what, hint)
    decoder = codecs.getincrementaldecoder("utf-8")()
    fed = 0  # bytes given to the decoder so far
    any_text = False
    try:
        with p.open("rb") as f:
            while True:
                raw = f.read(chunk_bytes)
                final = not raw
                if b"\x00" in raw:
                    raise DataError(f"{what} looks binary (it contains NUL bytes), expected "
                                    f"UTF-8 text: {p}")
                pending = len(decoder.getstate()[0])
                try:
                    text = decoder.decode(raw, final=final)
                except UnicodeDecodeError as exc:
                    _has_nul_after(f, what, p)  # read_text reports NUL bytes first
                    raise DataError(f"{what} is not valid UTF-8 text (byte "
                                    f"{fed - pending + exc.start}): {p}") from None
                fed += len(raw)
                if text:
                    any_text = any_text or not text.isspace()
                    yield text
                if final:
                    break
    except OSError as exc:
        raise DataError(f"cannot read {what} {p}: {exc.strerror}") from None
    if not any_text:
        raise DataError(f"{what} has no text in it: {p}")


def iter_lowered(path: str | Path, what: str = "data file", hint: str = "",
                 chunk_bytes: int | None = None) -> Iterator[str]:
    """Like :func:`iter_text` but lower-cased, each piece ending at a line break.

    ``str.lower`` is context-free except for the Greek capital sigma, whose lower case
    depends on the letters around it; cutting right after a newline (neither cased nor
    case-ignorable) keeps the joined pieces equal to ``whole_text.lower()``. A piece with
    no newline in ``4 * chunk_bytes`` characters is cut after its last space instead.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    carry = ""
    for piece in iter_text(path, what, hint, chunk_bytes):
        text = carry + piece
        cut = text.rfind("\n") + 1
        if cut == 0 and len(text) > 4 * chunk_bytes:
            cut = text.rfind(" ") + 1 or len(text)
        carry = text[cut:]
        if cut:
            yield text[:cut].lower()
    if carry:
        yield carry.lower()


def code_points(text: str) -> np.ndarray:
    """The Unicode code points of ``text`` as a ``(len(text),)`` uint32 array."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def id_dtype(vocab_size: int) -> type:
    """The narrowest unsigned integer type that holds ``vocab_size`` distinct ids."""
    if vocab_size <= 1 << 8:
        return np.uint8
    if vocab_size <= 1 << 16:
        return np.uint16
    return np.uint32


class Encoder:
    """Maps text to the ids of a vocabulary through a table indexed by code point."""

    def __init__(self, chars: list[str]):
        points = np.array([ord(c) for c in chars], dtype=np.int64)  # (V,)
        self.dtype = id_dtype(len(chars))
        self.lut = np.full(int(points.max()) + 1 if len(points) else 1, -1, np.int32)
        self.lut[points] = np.arange(len(points))  # code point -> id, -1 if unknown

    def known(self, text: str) -> np.ndarray:
        """Which characters of ``text`` are in the vocabulary: ``(len(text),)`` bool."""
        cp = code_points(text)
        inside = cp < len(self.lut)
        return inside & (self.lut[np.where(inside, cp, 0)] >= 0)

    def encode(self, text: str) -> np.ndarray:
        """Ids of ``text``; every character of it must be in the vocabulary."""
        return self.lut[code_points(text)].astype(self.dtype)
