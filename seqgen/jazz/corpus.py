"""The jazz model's corpus: grammar tokens per measure and the chords of each measure.

Each file becomes a :class:`Piece` (its solo encoded bar by bar, its chords), read through
the parse cache (``seqgen.jazz.cache``) so music21 parses a file once whatever the number
of runs. A :class:`TokenCorpus` joins the pieces of one file or of a collection
(``seqgen.jazz.collection``): one vocabulary over all of them, the training windows cut
inside each piece (see :func:`window_starts`), the files held out for ``evaluate``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqgen.errors import DataError, SeqgenError
from seqgen.jazz.cache import ParseCache
from seqgen.jazz.config import JazzConfig
from seqgen.jazz.events import Tune, tune_of
from seqgen.jazz.grammar import encode_measure, parse_token
from seqgen.midi.notes import MEASURE, Chord

ROLES = ("train", "validation", "test", "skipped")
HELD_OUT = ("validation", "test")  # the parts ``evaluate`` scores


def no_files_in(part: str) -> DataError:
    """The error for scoring a run on a part it has no file in."""
    return DataError(f"this run has no {part} files: train on 10 or more files, or give "
                     "--held-out (e.g. 0.2), to score it on files it never trained on")


@dataclass(frozen=True)
class SourceFile:
    """One file of the collection as the checkpoint records it: ``measures`` of the corpus
    are its (0 when it was skipped), used for ``role``."""

    path: str
    sha256: str
    measures: int
    role: str

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, item: dict) -> SourceFile:
        role = str(item["role"])
        role = "test" if role == "held-out" else role  # a run from before the two parts
        entry = cls(str(item["path"]), str(item["sha256"]), int(item["measures"]), role)
        if entry.role not in ROLES or entry.measures < 0:
            raise ValueError(f"bad source entry {item!r}")
        return entry


@dataclass
class TokenCorpus:
    """Grammar tokens per measure, the vocabulary and the chords of each measure.

    ``progression[m]`` holds the chords of the measure of ``measures[m]``, offsets relative
    to its bar line and cut at the next one. ``sources`` lists the files in the order their
    measures follow each other (empty for a checkpoint from before collections: one piece).
    ``tunes`` are the usable files' melodies as the note model reads them, in the order of
    ``sources`` (empty when read back from a grammar checkpoint).
    """

    measures: list[list[str]]
    progression: list[list[Chord]]
    source_sha256: str
    bpm: float | None = None  # the source's tempo, when read from the file
    sources: list[SourceFile] = field(default_factory=list)
    tunes: list[Tune] = field(default_factory=list)
    order: list[str] | None = None  # a fine-tuned model's tokens: its source's, then new ones

    @property
    def tokens(self) -> list[str]:
        return [t for m in self.measures for t in m]

    @property
    def vocab(self) -> list[str]:
        return list(self.order) if self.order else sorted(set(self.tokens))

    def spans(self, role: str = "train") -> list[tuple[int, int]]:
        """(first, end) measure of each piece used for ``role``."""
        if not self.sources:
            return [(0, len(self.measures))] if role == "train" else []
        out, start = [], 0
        for s in self.sources:
            if s.role == role:
                out.append((start, start + s.measures))
            start += s.measures
        return out

    def pieces(self, role: str = "train") -> list[list[str]]:
        """The tokens of each piece used for ``role`` (``"train"``, ``"validation"`` or
        ``"test"``)."""
        return [[t for m in self.measures[a:b] for t in m] for a, b in self.spans(role)]

    @property
    def changes(self) -> list[list[Chord]]:
        """The progression a solo follows by default: the first training piece's."""
        first, end = self.spans("train")[0]
        return self.progression[first:end]


@dataclass(frozen=True)
class Piece:
    """One file read for the corpus: its encoded measures and their chords (the grammar
    model's view), its melody events over its harmony (the note model's view), the tempo,
    and what was chosen from it (``None`` when the config named the parts)."""

    measures: list[list[str]]
    progression: list[list[Chord]]
    bpm: float
    chosen: str | None
    tune: Tune

    @property
    def tokens(self) -> int:
        return sum(len(m) for m in self.measures)

    def to_json(self) -> dict:
        return {"measures": self.measures, "bpm": self.bpm, "chosen": self.chosen,
                "progression": [[c.to_json() for c in cs] for cs in self.progression],
                "tune": self.tune.to_json()}

    @classmethod
    def from_json(cls, item: dict) -> Piece:
        """Raises ValueError, KeyError or TypeError on anything malformed."""
        measures = [[str(t) for t in m] for m in item["measures"]]
        for m in measures:
            for t in m:
                parse_token(t)
        progression = [[Chord.from_json(c) for c in cs] for cs in item["progression"]]
        chosen = item["chosen"]
        if len(progression) != len(measures) or not (chosen is None or isinstance(chosen, str)):
            raise ValueError("measures and chords disagree")
        return cls(measures, progression, float(item["bpm"]), chosen,
                   Tune.from_json(item["tune"]))


def read_piece(path: str | Path, cfg: JazzConfig, cache: ParseCache) -> tuple[Piece, str]:
    """(the piece, the file's SHA-256) of one MIDI file or lead sheet, from the cache when
    it holds this file's bytes read with these settings.

    Raises:
        DataError / MusicError: as :func:`prepare_corpus` (a cached failure again).
    """
    from seqgen.midi.leadsheet import is_lead_sheet
    from seqgen.midi.smf import read_bytes
    from seqgen.midi.source import MIDI_HINT
    from seqgen.textio import check_input_file

    if is_lead_sheet(path):
        p = check_input_file(path, "lead sheet", hint=MIDI_HINT)
        _, data = read_bytes(p)
    else:
        p, data = read_bytes(path, MIDI_HINT)  # read once: parsed and hashed from memory
    digest = hashlib.sha256(data).hexdigest()
    key = cache.key(digest, parse_settings(cfg))
    found = cache.get(key, str(p), Piece.from_json)
    if found is not None:
        return found, digest
    try:
        piece = _parse_piece(p, data, cfg, str(path))
    except SeqgenError as exc:
        cache.put_failure(key, exc, str(p))
        raise
    cache.put(key, piece.to_json())
    return piece, digest


def parse_settings(cfg: JazzConfig) -> dict:
    """The settings that change what a file is read into (part of the cache key)."""
    return {k: getattr(cfg, k) for k in JazzConfig.SOURCE_FIELDS if k != "bpm"}


def _parse_piece(path: Path, data: bytes, cfg: JazzConfig, name: str) -> Piece:
    """Parse with music21, cut out the solo, encode every measure but the first."""
    from seqgen.midi.leadsheet import is_lead_sheet, read_lead_sheet
    from seqgen.midi.source import load_solo, load_solo_auto, source_from_bytes

    source = read_lead_sheet(path) if is_lead_sheet(path) else source_from_bytes(data, str(path))
    chosen = None
    if cfg.reference_parts:
        solo = load_solo(source, cfg.melody_part, cfg.chord_part, cfg.accompaniment_parts,
                         cfg.offset_start, cfg.offset_end)
    else:
        window = (cfg.offset_start, cfg.offset_end) if cfg.offset_start is not None else None
        solo = load_solo_auto(source, cfg.melody_part, cfg.chord_part, window)
        chosen = f"{solo.choice.describe(source.parts)}; {solo.bpm:g} bpm"
    if len(solo.melody) < 2:
        raise DataError(f"{name}: the offset window holds {len(solo.melody)} measure(s); "
                        "at least 2 are needed (the first one is skipped)")
    measures, progression = _encode(solo, cfg.reference_parts)
    tune = tune_of([n for bar in solo.melody for n in bar], [c for cs in solo.chords for c in cs])
    return Piece(measures, progression, solo.bpm, chosen, tune)


def _encode(solo, reference_parts: bool) -> tuple[list[list[str]], list[list[Chord]]]:
    """Every measure but the first as tokens, and its chords from its bar line."""
    everything = sorted((c for cs in solo.chords for c in cs), key=lambda c: c.offset)
    measures, progression = [], []
    for notes, chords, bar in zip(solo.melody[1:], solo.chords[1:], solo.bars[1:]):
        start = bar * MEASURE
        sounding = [c for c in everything if c.offset < start + MEASURE]
        measures.append(encode_measure(notes, sounding))
        if not reference_parts:
            chords = _from_bar_line(chords, sounding, start)
        progression.append([dataclasses.replace(c, offset=c.offset - start,
                                                duration=min(c.duration,
                                                             start + MEASURE - c.offset))
                            for c in chords])
    return measures, progression


def _from_bar_line(chords: list[Chord], sounding: list[Chord], start: float) -> list[Chord]:
    """The chords of a bar, led by the chord still sounding at its bar line when none starts
    there (chord symbols every other bar leave bars without one)."""
    if chords and chords[0].offset <= start:
        return chords
    before = [c for c in sounding if c.offset < start]
    if not before:
        return chords
    until = chords[0].offset if chords else start + MEASURE
    return [dataclasses.replace(before[-1], offset=start, duration=until - start), *chords]


def window_starts(pieces: list[int], length: int) -> np.ndarray:
    """Where a window of ``length`` tokens may start in the pieces joined end to end: inside
    one piece, so that no window runs from one file into the next (whose first measure has
    nothing to do with the last one before it)."""
    out, offset = [], 0
    for n in pieces:
        out.append(np.arange(offset, offset + max(n - length, 0)))
        offset += n
    return np.concatenate(out) if out else np.zeros(0, dtype=np.intp)


def make_windows(ids: np.ndarray, vocab_size: int, windows: int, length: int, seed: int,
                 pieces: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``windows`` one-hot training windows ``X, Y (windows, length, vocab)``.

    ``pieces`` are the lengths of the pieces ``ids`` joins (default: one piece); a window
    never crosses from one into the next. ``X`` is ``Y`` shifted one step, zero at step 0.
    """
    starts_ok = window_starts(pieces or [len(ids)], length)
    if len(starts_ok) == 0:
        raise DataError(f"the corpus has {len(ids)} tokens; window_length ({length}) must be "
                        "smaller (widen the offset window or shorten window_length)")
    rng = np.random.RandomState(seed)
    starts = [starts_ok[rng.choice(len(starts_ok))] for _ in range(windows)]
    tokens = np.stack([ids[s:s + length] for s in starts])  # (m, T)
    eye = np.eye(vocab_size, dtype=np.float32)
    Y = eye[tokens]  # (m, T, V)
    X = np.zeros_like(Y)
    X[:, 1:] = Y[:, :-1]
    return X, Y
