"""A collection of music files as one jazz corpus: the files of the folders and paths given,
what each one gives (or why it is skipped), the files held out, and the check that
``--resume`` continues on the same collection.

Each file is read as one file is (:func:`seqgen.jazz.corpus.read_piece`: its melody,
harmony and section chosen from it, through the parse cache), and said in one line. A file
that cannot be used is skipped with the reason; the corpus is refused only when no file is
left.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.datasets import locate
from seqgen.errors import DataError, MusicError, UsageError
from seqgen.jazz.cache import ParseCache
from seqgen.jazz.config import JazzConfig, is_collection
from seqgen.jazz.corpus import Piece, SourceFile, TokenCorpus, read_piece


@dataclass(frozen=True)
class FileUse:
    """What one file of a collection gives: a piece, or why it is skipped."""

    path: str
    sha256: str
    piece: Piece | None
    why: str | None

    def line(self) -> str:
        """The line ``train-jazz`` and ``midi-info`` say about this file."""
        if self.piece is None:
            return f"{self.path}: skipped: {self.why}"
        return f"{self.path}: {self.piece.chosen or 'the config parts'}; " \
               f"{self.piece.tokens} tokens"


def collect_files(paths: str | tuple[str, ...]) -> list[Path]:
    """The files of ``paths``: a file as it is, a folder searched through (subfolders too)
    for music files (``seqgen.midi.leadsheet.MUSIC_FILES``), in name order.

    Raises:
        DataError: a path that does not exist, or no music file at all.
    """
    from seqgen.midi.leadsheet import MUSIC_FILES

    given_all = (paths,) if isinstance(paths, str) else paths
    found: list[Path] = []
    for given in given_all:
        p = Path(given)
        if p.is_dir():
            found += sorted(f for f in p.rglob("*")
                            if f.suffix.lower() in MUSIC_FILES and f.is_file())
        elif locate(given).exists():  # a built-in dataset's name too, as for one file
            found.append(p)
        else:
            raise DataError(f"not found: {given} (give MIDI files, lead sheets or folders)")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise DataError(f"no music files in directory {', '.join(map(str, given_all))} "
                        f"(searched for {', '.join(MUSIC_FILES)})")
    return unique


def prepare_corpus(cfg: JazzConfig, on_info=lambda message: None,
                   cache: ParseCache | None = None) -> TokenCorpus:
    """Read ``cfg.midi``: one file, or a collection (see :func:`read_collection`).

    One file: every measure but the first is encoded. With every part and the window given
    by index (the reference's way) the solo is read exactly as the course's reference does;
    anything left open is chosen from the file and the choice is reported through
    ``on_info``.

    Raises:
        DataError / MusicError: unusable file, no usable melody or harmony, too few
            measures; for a collection, no usable file at all.
    """
    cache = cache or ParseCache()
    if is_collection(cfg.midi):
        return read_collection(cfg, on_info, cache)
    if cfg.val_split:
        raise DataError("--val-split holds out whole files: give several files or a folder")
    piece, digest = read_piece(cfg.midi, cfg, cache)
    if piece.chosen is not None:
        on_info(f"{cfg.midi}: {piece.chosen}")
    return TokenCorpus(piece.measures, piece.progression, digest, piece.bpm,
                       [SourceFile(str(cfg.midi), digest, len(piece.measures), "train")])


def use_of(path: Path, cfg: JazzConfig, cache: ParseCache) -> FileUse:
    """One file's piece (or why it is skipped), the window length decides "too short"."""
    try:
        piece, digest = read_piece(path, cfg, cache)
    except (DataError, MusicError) as exc:
        return FileUse(str(path), _digest(path), None, _reason(str(exc), path))
    if piece.tokens <= cfg.window_length:
        return FileUse(str(path), digest, None,
                       f"too short: {piece.tokens} tokens (window_length {cfg.window_length} "
                       f"needs at least {cfg.window_length + 1})")
    return FileUse(str(path), digest, piece, None)


def _reason(message: str, path: Path) -> str:
    """A skip reason without the file's name (the line starts with it)."""
    for prefix in (f"{path}: ", f"{path} is ", f"{path} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message.replace(f" {path}:", ":").removesuffix(f": {path}")


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(locate(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def read_collection(cfg: JazzConfig, on_info, cache: ParseCache) -> TokenCorpus:
    """The corpus of every usable file of ``cfg.midi``, one line each through ``on_info``.

    Raises:
        UsageError: parts or a window given (they describe one file).
        DataError: no file found, or none usable.
    """
    if any(getattr(cfg, k) is not None for k in JazzConfig.SOURCE_FIELDS if k != "bpm"):
        raise UsageError("--melody-part, --chord-part and the offsets describe one file; with "
                         "several files or a folder each file's parts are chosen from it "
                         "(see `seqgen midi-info FOLDER`)")
    files = collect_files(cfg.midi)
    uses = []
    for path in files:
        uses.append(use_of(path, cfg, cache))
        on_info(uses[-1].line())
    usable = [u for u in uses if u.piece is not None]
    on_info(f"parse cache: {cache.hits} of {len(files)} files read from {cache.folder}")
    if not usable:
        raise DataError(f"none of the {len(files)} files is usable (see the lines above)")
    held = held_out(len(usable), cfg.val_split, cfg.data_seed)
    return _join(uses, held)


def held_out(n: int, fraction: float, seed: int) -> set[int]:
    """Which of ``n`` usable files are held out: ``fraction`` of them, at least one when
    ``fraction`` > 0, never all; the same for the same seed.

    Raises:
        DataError: a fraction with a single usable file.
    """
    if not fraction:
        return set()
    if n < 2:
        raise DataError("--val-split holds out whole files, and only one file is usable")
    k = min(n - 1, max(1, round(fraction * n)))
    return {int(i) for i in np.random.RandomState(seed).permutation(n)[:k]}


def _join(uses: list[FileUse], held: set[int]) -> TokenCorpus:
    measures, progression, sources = [], [], []
    bpm = None
    usable = 0
    for u in uses:
        if u.piece is None:
            sources.append(SourceFile(u.path, u.sha256, 0, "skipped"))
            continue
        role = "held-out" if usable in held else "train"
        usable += 1
        if role == "train" and bpm is None:
            bpm = u.piece.bpm
        measures += u.piece.measures
        progression += u.piece.progression
        sources.append(SourceFile(u.path, u.sha256, len(u.piece.measures), role))
    digest = hashlib.sha256("".join(s.sha256 for s in sources).encode()).hexdigest()
    return TokenCorpus(measures, progression, digest, bpm, sources)


def check_collection(midi: str | tuple[str, ...], sources: list[SourceFile], run) -> None:
    """Refuse to continue ``run`` when its collection has changed on disk.

    Raises:
        DataError: naming the first file added, removed or modified (and how many more).
    """
    before = {s.path: s.sha256 for s in sources}
    try:
        now = {str(p): _digest(p) for p in collect_files(midi)}
    except DataError:
        now = {}
    changes = [f"{p} was removed" for p in before if p not in now]
    changes += [f"{p} was added" for p in now if p not in before]
    changes += [f"{p} was modified" for p in now if p in before and now[p] != before[p]]
    if changes:
        more = f" (and {len(changes) - 1} more changes)" if len(changes) > 1 else ""
        raise DataError(f"the collection changed since {run} was trained: {changes[0]}{more}; "
                        "train a new run on it")
