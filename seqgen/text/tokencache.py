"""Token files: a text's ids kept on disk and memory-mapped, so a big text is encoded once.

Encoding a text of a gigabyte takes two passes over it (tens of seconds) and an id array
as large as the text in memory. The first run that reads a large text writes its ids to a
token file; later runs with the same file find it by the file's SHA-256 (and the case
choice), map it read-only (the pages stay in the operating system's file cache, not in the
process), and start training at once.

The token file lives beside the text, in ``.seqgen-cache/``, or where that folder cannot
be written in ``$SEQGEN_CACHE_DIR`` (default ``$XDG_CACHE_HOME/seqgen`` or
``~/.cache/seqgen``), under ``text/``. Each entry is two files: ``NAME-KEY.ids`` (the raw
ids) and ``NAME-KEY.json`` (what they are: key, length, id type, vocabulary, digest,
where each character first occurs),
written in that order, each atomically (a new file renamed into place, so a run that maps
the old one keeps reading it whole); an entry that does not match what it claims is
ignored and written again. A cache that cannot be written only costs the time to encode.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
from pathlib import Path

import numpy as np

from seqgen.atomic import write_atomic, write_bytes_atomic
from seqgen.errors import OutputError
from seqgen.vocab import Vocab

FORMAT = 2  # 2: with where each character first occurs
BESIDE = ".seqgen-cache"


def user_cache_dir() -> Path:
    """Where caches go when they cannot go beside their data."""
    if os.environ.get("SEQGEN_CACHE_DIR"):
        return Path(os.environ["SEQGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seqgen"


def _folders(path: Path) -> list[Path]:
    return [path.resolve().parent / BESIDE / "text", user_cache_dir() / "text"]


def file_key(path, lowercase: bool) -> str | None:
    """The cache key of the text at ``path``: its bytes' SHA-256 and the case choice."""
    h = hashlib.sha256(f"seqgen-ids {FORMAT} lowercase={lowercase}\n".encode())
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
    except OSError:
        return None  # the reader says what is wrong with it
    return h.hexdigest()


def _entry(folder: Path, path: Path, key: str) -> tuple[Path, Path]:
    stem = f"{path.name}-{key[:24]}"
    return folder / f"{stem}.ids", folder / f"{stem}.json"


def load(path, key: str) -> tuple[np.ndarray, Vocab, str, Path, np.ndarray] | None:
    """The cached ``(ids, vocabulary, digest, token file, first occurrences)`` of the text,
    ids memory-mapped; None if there is no sound entry."""
    path = Path(path)
    for folder in _folders(path):
        ids_path, meta_path = _entry(folder, path, key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or meta.get("key") != key:
                continue
            dtype = np.dtype(meta["dtype"])
            n = int(meta["n"])
            if ids_path.stat().st_size != n * dtype.itemsize or n <= 0:
                continue
            vocab = Vocab.from_list(meta["vocab"], where=str(meta_path))
            first = np.array(meta["first"], dtype=np.int64)
            if first.shape != (len(vocab),):
                continue
            return _mapped(ids_path, dtype, n), vocab, str(meta["digest"]), ids_path, first
        except Exception:  # unreadable, malformed or not what it claims: not a hit
            continue
    return None


def _mapped(ids_path: Path, dtype: np.dtype, n: int) -> np.ndarray:
    """The ids, read-only and memory-mapped (for the parts read in order: scoring)."""
    with open(ids_path, "rb") as f:
        mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(mapping, dtype=dtype, count=n)


class FileWindows:
    """Windows of ids read from a token file with ``pread``: nothing is mapped.

    Training reads windows scattered over the whole text. Through the mapping each one
    would bring a whole block of the file cache into the process (the kernel maps its
    large folios whole: about 1.6 MB per window measured here, 200 MB for one batch of
    128 windows of a 1 GB text, and the whole text after an epoch); a read of the
    window's own bytes costs a system call and leaves the process's memory as it was.
    """

    def __init__(self, path: Path, dtype: np.dtype):
        self.path, self.dtype = Path(path), np.dtype(dtype)
        self.file = open(self.path, "rb")  # noqa: SIM115 (open for the sampler's lifetime)

    def gather(self, starts: np.ndarray, length: int) -> np.ndarray:
        """``(len(starts), length)`` ids, row ``r`` from position ``starts[r]``."""
        size = self.dtype.itemsize
        out = np.empty((len(starts), length), self.dtype)
        fd = self.file.fileno()
        for r, start in enumerate(starts):
            out[r] = np.frombuffer(os.pread(fd, length * size, int(start) * size), self.dtype)
        return out


def store(path, key: str, ids: np.ndarray, vocab: Vocab, digest: str,
          first: np.ndarray) -> Path | None:
    """Write a cache entry; the folder it went to, or None where none could be written."""
    path = Path(path)
    meta = {"format": FORMAT, "key": key, "n": int(len(ids)), "dtype": ids.dtype.str,
            "vocab": list(vocab.chars), "digest": digest, "first": first.tolist(),
            "source": str(path.resolve())}
    for folder in _folders(path):
        ids_path, meta_path = _entry(folder, path, key)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(ids_path, lambda f: f.write(memoryview(np.ascontiguousarray(ids))))
            write_bytes_atomic(meta_path, json.dumps(meta).encode("utf-8"))
            return folder
        except (OSError, OutputError):
            continue
    return None
