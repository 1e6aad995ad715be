"""The parse cache: what music21 read from a file, kept so that no run parses it again.

Parsing is most of ``train-jazz``'s time. Each file's piece (``seqgen.jazz.corpus.Piece``,
or the reason it cannot be used) is stored as a small JSON file named by a digest of the
file's bytes, the settings that change what is read from it (``parse_settings``), the
cache format and music21's version: a file edited, read with other parts, or by another
music21, is parsed again. The folder is ``$SEQGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/seqgen/jazz``, else ``~/.cache/seqgen/jazz``.

Entries are written atomically; one that cannot be read back (truncated, edited, from
another format) is ignored and replaced. A folder that cannot be written only costs time:
one warning line, and the run goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from seqgen.atomic import describe_os_error, write_bytes_atomic
from seqgen.errors import DataError, MusicError, OutputError

CACHE_VERSION = 3  # 2: a piece holds its melody events too; 3: a choir's melody is its top voice
_NAME = "\x00file\x00"  # stands for the file's name in a stored failure message
_FAILURES = {"DataError": DataError, "MusicError": MusicError}  # what a failure is raised as


def cache_dir() -> Path:
    """Where the parse cache lives (see the module docstring)."""
    if os.environ.get("SEQGEN_CACHE_DIR"):
        return Path(os.environ["SEQGEN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seqgen" / "jazz"


def _music21_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("music21")
    except PackageNotFoundError:
        return "unknown"


class ParseCache:
    """Pieces by key; ``hits`` and ``misses`` count this run's look-ups.

    ``on_warning`` receives the one line said when the folder cannot be written.
    """

    def __init__(self, folder: str | Path | None = None, on_warning=lambda message: None):
        self.folder = Path(folder) if folder is not None else cache_dir()
        self.on_warning = on_warning
        self.hits = self.misses = 0
        self._warned = False
        self._music21 = _music21_version()

    def key(self, digest: str, settings: dict) -> str:
        blob = json.dumps([CACHE_VERSION, self._music21, digest, settings], sort_keys=True,
                          default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str, name: str, decode):
        """``decode(stored)`` of the cached piece, or None (not there, or unreadable: it
        will be rebuilt). ``decode`` raises ValueError, KeyError or TypeError on a stored
        piece it cannot read.

        Raises:
            MusicError / DataError: the file was found unusable before (the same error,
                naming ``name``).
        """
        try:
            entry = json.loads((self.folder / f"{key}.json").read_bytes())
            if entry["version"] != CACHE_VERSION:
                raise ValueError("another cache format")
            failure = entry.get("failure")
            piece = None if failure is not None else decode(entry["piece"])
            error = None if failure is None else _FAILURES[failure[0]](
                str(failure[1]).replace(_NAME, name))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1
            return None
        self.hits += 1
        if error is not None:
            raise error
        return piece

    def put(self, key: str, piece: dict) -> None:
        self._write(key, {"version": CACHE_VERSION, "piece": piece})

    def put_failure(self, key: str, error: Exception, name: str) -> None:
        """Remember why the file cannot be used (its name kept out: a copy elsewhere hits)."""
        kind = type(error).__name__
        if kind in _FAILURES:
            self._write(key, {"version": CACHE_VERSION,
                              "failure": [kind, str(error).replace(name, _NAME)]})

    def _write(self, key: str, entry: dict) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(self.folder / f"{key}.json", json.dumps(entry).encode("utf-8"))
        except OSError as exc:
            self._warn(describe_os_error(exc))
        except OutputError as exc:
            self._warn(str(exc).rpartition(": ")[2])

    def _warn(self, reason: str) -> None:
        if not self._warned:
            self._warned = True
            self.on_warning(f"seqgen: warning: cannot write the parse cache in {self.folder} "
                            f"({reason}); files will be parsed again next time")
