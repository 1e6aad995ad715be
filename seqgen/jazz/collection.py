"""A collection of music files as one jazz corpus: the files of the folders and paths given,
what each one gives (or why it is skipped), the files held out, and the check that
``--resume`` continues on the same collection.

Each file is read as one file is (:func:`seqgen.jazz.corpus.read_piece`: its melody,
harmony and section chosen from it, through the parse cache), and said in one line. A file
that cannot be used is skipped with the reason; the corpus is refused only when no file is
left.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

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
    model: str = "notes"  # whose units ``size`` counts
    same_as: str | None = None  # an earlier file of the collection with the same melody

    @property
    def size(self) -> str:
        """What the model reads from it: ``"64 notes"`` or ``"65 tokens"``."""
        if self.piece is None:
            return "-"
        if self.model == "notes":
            return f"{len(self.piece.tune.events)} notes"
        return f"{self.piece.tokens} tokens"

    def line(self) -> str:
        """The line ``train-jazz`` and ``midi-info`` say about this file."""
        if self.piece is None:
            return f"{self.path}: skipped: {self.why}"
        return f"{self.path}: {self.piece.chosen or 'the config parts'}; {self.size}"


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
    cfg = cfg.resolved()
    if is_collection(cfg.midi):
        return read_collection(cfg, on_info, cache)
    if cfg.held_out:
        raise DataError("--held-out holds out whole files: give several files or a folder")
    piece, digest = read_piece(cfg.midi, cfg, cache)
    if piece.chosen is not None:
        on_info(f"{cfg.midi}: {piece.chosen}")
    return TokenCorpus(piece.measures, piece.progression, digest, piece.bpm,
                       [SourceFile(str(cfg.midi), digest, len(piece.measures), "train")],
                       [piece.tune])


def use_of(path: Path, cfg: JazzConfig, cache: ParseCache) -> FileUse:
    """One file's piece (or why it is skipped). "Too short" is the model's: the grammar
    model needs more tokens than its window, the note model two melody events."""
    try:
        piece, digest = read_piece(path, cfg, cache)
    except (DataError, MusicError) as exc:
        return FileUse(str(path), _digest(path), None, _reason(str(exc), path), cfg.model)
    if cfg.model == "notes" and len(piece.tune.events) < MIN_EVENTS:
        return FileUse(str(path), digest, None,
                       f"too short: {len(piece.tune.events)} melody events over its chords "
                       f"(at least {MIN_EVENTS} are needed)", cfg.model)
    if cfg.model != "notes" and piece.tokens <= cfg.window_length:
        return FileUse(str(path), digest, None,
                       f"too short: {piece.tokens} tokens (window_length {cfg.window_length} "
                       f"needs at least {cfg.window_length + 1})", cfg.model)
    return FileUse(str(path), digest, piece, None, cfg.model)


MIN_EVENTS = 2  # a tune the note model can learn from: one event predicted from another


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
    """The corpus of every usable file of ``cfg.midi``, one line each through ``on_info``,
    split into training, validation and test files (:func:`split_roles`).

    Raises:
        UsageError: parts or a window given (they describe one file).
        DataError: no file found, none usable, or every usable file the same piece.
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
    groups = same_piece_groups([u.piece.tune for u in usable])
    if len(usable) > 1 and len(set(groups)) == 1:
        raise DataError(f"all {len(usable)} usable files hold the same melody (one piece in "
                        "several files): give different pieces")
    for u in mark_duplicates(usable):
        if u.same_as is not None:
            on_info(f"{u.path}: the same melody as {u.same_as} (kept on the same side of "
                    "the split)")
    # a piece is named by its first file's digest: the same name whoever reads it
    roles = split_roles([usable[g].sha256 for g in groups], cfg.held_out, cfg.data_seed)
    if cfg.held_out is None and len(usable) < AUTO_HOLD_OUT_FILES:
        on_info(f"{len(usable)} usable files: none held out (from {AUTO_HOLD_OUT_FILES} files, "
                f"{AUTO_HOLD_OUT:.0%} are held out for validation and test); evaluate needs "
                "--held-out")
    return _join(uses, roles)


AUTO_HOLD_OUT = 0.2  # the share of a collection's files held out by default ...
AUTO_HOLD_OUT_FILES = 10  # ... from this many usable files


def same_piece_groups(tunes: list) -> list[int]:
    """For each tune, the index of the first tune with the same melody (itself if none):
    the same piece in two formats or two files."""
    first: dict[tuple, int] = {}
    return [first.setdefault(t.melody_key, i) for i, t in enumerate(tunes)]


def mark_duplicates(uses: list[FileUse]) -> list[FileUse]:
    """``uses`` with ``same_as`` set on each usable file whose melody an earlier one has."""
    usable = [u for u in uses if u.piece is not None]
    groups = dict(zip((u.path for u in usable),
                      same_piece_groups([u.piece.tune for u in usable])))
    paths = [u.path for u in usable]
    return [u if u.piece is None or paths[groups[u.path]] == u.path
            else dataclasses.replace(u, same_as=paths[groups[u.path]]) for u in uses]


def split_roles(pieces: list[str], fraction: float | None, seed: int) -> list[str]:
    """The role of each usable file, ``train``, ``validation`` or ``test``, from the piece
    each one holds (``pieces[i]``: one name per piece, the same for files that hold the
    same melody, so a piece is never on both sides).

    ``fraction`` of the pieces are held out, half for validation and half for test (test
    gets the odd one), at least one of each when ``fraction`` > 0; ``None`` holds out
    ``AUTO_HOLD_OUT`` from ``AUTO_HOLD_OUT_FILES`` usable files and nothing below. The
    pieces are ranked by a hash of ``seed`` and their name, so a piece keeps its side when
    other files come or go (another model skipping a short file, say), and the same seed
    gives the same split.

    Raises:
        DataError: a fraction that leaves fewer than three pieces (one to train on, one
            to validate, one to test).
    """
    n = len(pieces)
    if fraction is None:
        fraction = AUTO_HOLD_OUT if n >= AUTO_HOLD_OUT_FILES else 0.0
    if not fraction:
        return ["train"] * n
    distinct = sorted(set(pieces))
    if len(distinct) < 3:
        raise DataError(f"--held-out holds out whole pieces for validation and test, and only "
                        f"{len(distinct)} different piece(s) are usable (3 are needed)")
    k = min(len(distinct) - 1, max(2, round(fraction * len(distinct))))
    ranked = sorted(distinct, key=lambda p: hashlib.sha256(f"{seed}:{p}".encode()).digest())
    n_val = k // 2
    role_of = {p: "validation" for p in ranked[:n_val]}
    role_of.update({p: "test" for p in ranked[n_val:k]})
    return [role_of.get(p, "train") for p in pieces]


def _join(uses: list[FileUse], roles: list[str]) -> TokenCorpus:
    measures, progression, sources, tunes = [], [], [], []
    bpm = None
    usable = 0
    for u in uses:
        if u.piece is None:
            sources.append(SourceFile(u.path, u.sha256, 0, "skipped"))
            continue
        role = roles[usable]
        usable += 1
        if role == "train" and bpm is None:
            bpm = u.piece.bpm
        measures += u.piece.measures
        progression += u.piece.progression
        tunes.append(u.piece.tune)
        sources.append(SourceFile(u.path, u.sha256, len(u.piece.measures), role))
    digest = hashlib.sha256("".join(s.sha256 for s in sources).encode()).hexdigest()
    return TokenCorpus(measures, progression, digest, bpm, sources, tunes)


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
