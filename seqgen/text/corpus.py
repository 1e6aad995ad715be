"""A character corpus split into a training part and a held-out tail (its last tenth by default).

The text keeps its case unless ``lowercase`` folds it. The held-out tail is never trained
on; its first part is **validation** (it chooses the checkpoint, the learning rate and
when to stop) and its end, ``test_share`` of it, is **test** (scored by ``evaluate``
and by nothing that makes a decision). Training windows take every position as a target
(``Y`` is ``X`` shifted by one character) and never reach into the held-out tail.
Held-out text is scored with full preceding context: the model state runs through
``warmup`` characters before a scored part, then through the part itself.

Memory stays flat in the text's size: the file is streamed twice (once for the vocabulary,
length and digest, once to fill the id array), the ids take one byte per character when
the vocabulary has at most 256 symbols, and :class:`WindowSampler` cuts each batch's
windows out of that array when the batch is asked for. A text of :data:`CACHE_FROM` bytes
or more leaves its ids in a token file (:mod:`seqgen.text.tokencache`), keyed on the
file's digest; later runs map that file into memory instead of reading the text again.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.errors import DataError
from seqgen.text import tokencache
from seqgen.text.config import TextConfig
from seqgen.textio import DATA_HINT
from seqgen.textstream import Encoder, iter_lowered, iter_text
from seqgen.vocab import Vocab, describe_chars

CACHE_FROM = 1 << 20  # bytes of text from which the ids are cached in a token file


@dataclass
class Corpus:
    """The text as indices, its vocabulary and where the held-out parts start."""

    ids: np.ndarray  # (n,) indices into vocab: uint8 for <= 256 symbols, else uint16/32
    vocab: Vocab
    n_train: int  # ids[:n_train] is training text, ids[n_train:] is held out
    digest: str  # sha256 of the text as trained on (lower-cased if it was)
    n_valid: int | None = None  # ids[n_train:n_valid] validation, ids[n_valid:] test
    token_file: Path | None = None  # where ``ids`` are mapped from, if they are
    # held-out characters the training part never shows: their positions (the ids there
    # are the stand-in's) and the stand-in, the training part's rarest character
    unknown: np.ndarray | None = None
    stand_in: str | None = None

    def __post_init__(self):
        if self.n_valid is None:
            self.n_valid = len(self.ids)

    @property
    def train_ids(self) -> np.ndarray:
        return self.ids[:self.n_train]

    @property
    def val_ids(self) -> np.ndarray:
        """The validation part of the held-out tail."""
        return self.ids[self.n_train:self.n_valid]

    @property
    def test_ids(self) -> np.ndarray:
        return self.ids[self.n_valid:]

    def part(self, name: str) -> tuple[int, int]:
        """``[first, last)`` of ``validation``, ``test`` or ``all`` (the whole text)."""
        return {"validation": (self.n_train, self.n_valid), "test": (self.n_valid, len(self.ids)),
                "all": (0, len(self.ids))}[name]

    def with_vocab(self, vocab: Vocab, what: str = "text") -> Corpus:
        """The same text as ids of another vocabulary (e.g. a checkpoint's).

        Raises:
            DataError: naming the characters ``vocab`` does not know.
        """
        unknown = set(self.vocab.chars) - set(vocab.chars)
        if unknown:
            raise DataError(f"{what} has characters the model does not know: "
                            f"{describe_chars(unknown)}")
        if list(vocab.chars) == list(self.vocab.chars):
            return self
        lut = Encoder(vocab.chars).encode("".join(self.vocab.chars))  # old id -> new id
        return Corpus(lut[self.ids], vocab, self.n_train, self.digest, self.n_valid,
                      unknown=self.unknown, stand_in=self.stand_in)  # in memory

    def unknown_in(self, first: int, end: int) -> int:
        """How many characters of ``ids[first:end]`` the training part never shows."""
        if self.unknown is None:
            return 0
        return int(np.searchsorted(self.unknown, end) - np.searchsorted(self.unknown, first))

    def halved(self, first: int, end: int) -> int | None:
        """The id whose probability a score of ``ids[first:end]`` halves: the stand-in's,
        when that range holds characters the training part never shows (see
        :func:`training_vocabulary`); else None."""
        if not self.unknown_in(first, end):
            return None
        return self.vocab.index[self.stand_in]


def split_point(n: int, val_fraction: float) -> int:
    """Index where the held-out tail of ``n`` characters starts (the tail has ceil(n*f))."""
    return n - int(math.ceil(n * val_fraction))


def test_point(n: int, n_train: int, test_share: float) -> int:
    """Index where the test part starts: the last ``floor(tail * test_share)`` characters."""
    return n - int(math.floor((n - n_train) * test_share))


def _pieces(path, lowercase: bool):
    if lowercase:
        return iter_lowered(path, "text file", hint=DATA_HINT)
    return iter_text(path, "text file", hint=DATA_HINT)


def load_corpus(path: str | Path, val_fraction: float = TextConfig.val_fraction,
                min_train: int = 2, lowercase: bool = False,
                test_share: float = TextConfig.test_share,
                training_only: bool = True) -> Corpus:
    """Read a UTF-8 text file (lower-cased if asked) and split off the held-out tail.

    Args:
        path: the text file.
        val_fraction: share of the text held out at the end, in [0, 1).
        min_train: the fewest training characters accepted.
        lowercase: fold the text to lower case.
        test_share: the share of the held-out tail, at its end, kept for testing.
        training_only: the vocabulary of the training part (:func:`training_vocabulary`);
            False: of the whole text.
    Returns:
        A :class:`Corpus`.
    Raises:
        DataError: unreadable, empty, binary or non-UTF-8 file, or too short to split.
    """
    ids, vocab, digest, token_file, first = _read_ids(path, lowercase)
    n = len(ids)
    n_train = split_point(n, val_fraction)
    if n_train < min_train or (val_fraction > 0 and n - n_train < 2):
        raise DataError(f"text file is too short to train on ({n} characters): {path}")
    corpus = Corpus(ids, vocab, n_train, digest, test_point(n, n_train, test_share), token_file)
    return training_vocabulary(corpus, first < n_train) if training_only else corpus


CHUNK = 1 << 20  # ids counted at a time: the counts never cost memory in the text's size


def training_vocabulary(corpus: Corpus, kept: np.ndarray) -> Corpus:
    """The corpus with only the characters ``kept`` (a flag per vocabulary entry) in its
    vocabulary: those of its training part, or those a model knows.

    Nothing the held-out tail holds may shape the model, its characters included: a
    character that only the held-out tail has is *unknown*. Its ids become those of a
    stand-in, the training part's rarest kept character (the first in order on a tie), and
    a part that holds unknown characters is scored with the stand-in's probability shared
    half and half between the stand-in and "a character never seen in training"
    (:meth:`Corpus.halved`). A corpus that keeps every character (the usual case) is
    returned as it is, without a pass over its ids.
    """
    if kept.all():
        return corpus
    counts = np.zeros(len(corpus.vocab), dtype=np.int64)
    for at in range(0, corpus.n_train, CHUNK):
        counts += np.bincount(corpus.ids[at:min(at + CHUNK, corpus.n_train)],
                              minlength=len(counts))
    seen = np.flatnonzero(kept)  # sorted, as the vocabulary is
    rarest = seen[np.argmin(counts[seen])]
    vocab = Vocab([corpus.vocab.chars[k] for k in seen])
    encoder = Encoder(vocab.chars)
    lut = np.full(len(corpus.vocab), encoder.encode(corpus.vocab.chars[rarest])[0],
                  dtype=encoder.dtype)
    lut[seen] = np.arange(len(seen), dtype=encoder.dtype)
    unknown = [at + np.flatnonzero(~kept[corpus.ids[at:at + CHUNK]])
               for at in range(corpus.n_train, len(corpus.ids), CHUNK)]
    return Corpus(lut[corpus.ids], vocab, corpus.n_train, corpus.digest, corpus.n_valid,
                  unknown=np.concatenate(unknown) if unknown else np.zeros(0, np.int64),
                  stand_in=vocab.chars[int(lut[rarest])])


def _read_ids(path, lowercase: bool
              ) -> tuple[np.ndarray, Vocab, str, Path | None, np.ndarray]:
    """The text's ids, vocabulary, digest, token file and where each character first
    occurs: from the token cache when it has them."""
    size = _size(path)
    key = tokencache.file_key(path, lowercase) if size >= CACHE_FROM else None
    if key is not None:
        hit = tokencache.load(path, key)
        if hit is not None:
            return hit
    ids, vocab, digest, first = _encode(path, lowercase)
    if key is not None:
        tokencache.store(path, key, ids, vocab, digest, first)
        return tokencache.load(path, key) or (ids, vocab, digest, None, first)  # mapped
    return ids, vocab, digest, None, first


def _size(path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0  # the reader says what is wrong with it


def _encode(path, lowercase: bool) -> tuple[np.ndarray, Vocab, str, np.ndarray]:
    """Stream the text twice: its vocabulary, length, digest and where each character first
    occurs, then one compact id array."""
    n, chars, sha, first_at = 0, set(), hashlib.sha256(), {}
    for piece in _pieces(path, lowercase):
        for c in set(piece) - chars:
            first_at[c] = n + piece.index(c)
        n += len(piece)
        chars.update(piece)
        sha.update(piece.encode("utf-8"))
    vocab = Vocab.from_text(chars)
    first = np.array([first_at[c] for c in vocab.chars], dtype=np.int64)
    encoder = Encoder(vocab.chars)
    ids = np.empty(n, dtype=encoder.dtype)  # (n,)
    at = 0
    for piece in _pieces(path, lowercase):
        if at + len(piece) > n or not set(piece) <= chars:
            break
        ids[at:at + len(piece)] = encoder.encode(piece)
        at += len(piece)
    if at != n:
        raise DataError(f"text file changed while it was being read: {path}")
    return ids, vocab, sha.hexdigest(), first


class WindowSampler:
    """Training batches of windows cut from the id array when asked for, by global step.

    Epoch ``e`` (from 1) draws ``rng = np.random.default_rng([seed, e])``, an offset
    ``rng.integers(seq_length)`` that moves the window edges, and an order
    ``rng.permutation(windows)`` of the non-overlapping windows (window ``i`` starts at
    ``offset + i * seq_length``); batch ``k`` of the epoch is windows
    ``order[k*B : (k+1)*B]`` and a short last batch is dropped. Only the current epoch's
    order is kept (``windows`` uint32 entries); the ``(B, T)`` arrays of one batch are
    gathered on the fly.

    Every epoch has ``steps_per_epoch`` steps, the count of the epoch with the fewest
    windows, so that ``batch(step)`` needs no history and a resumed run or an evaluation
    every N steps lands on the same batches. (When ``(len(train_ids) - 1) // seq_length``
    is a multiple of ``batch_size`` an epoch whose offset leaves one more window used to
    take one more batch; here that batch is dropped.)

    With ``shard_count > 1`` (multi-worker training) worker ``shard_index`` gets the
    contiguous rows ``[shard_index * B / shard_count, (shard_index + 1) * B / shard_count)``
    of each global batch: the rows of its replicas when replicas are numbered worker by
    worker, as ``tf.distribute`` does.

    Args:
        train_ids: ``(n,)`` ids of the training text (any integer dtype).
        seq_length: characters per window, ``T``.
        batch_size: windows per global batch, ``B`` (all replicas of all workers).
        seed: the run's seed.
        shard_index, shard_count: this worker's share of each batch.
        token_file: the token file ``train_ids`` are mapped from (they start at its
            beginning); windows are then read from the file, not through the mapping.
    Raises:
        DataError: the text gives fewer windows than one batch; ``B`` not divisible by
            ``shard_count``.
    """

    def __init__(self, train_ids: np.ndarray, seq_length: int, batch_size: int, seed: int,
                 shard_index: int = 0, shard_count: int = 1, token_file: Path | None = None):
        if not 0 <= shard_index < shard_count or batch_size % shard_count:
            raise DataError(f"a batch of {batch_size} cannot be split into {shard_count} "
                            f"equal shards (shard {shard_index})")
        self.ids, self.T, self.B, self.seed = train_ids, seq_length, batch_size, seed
        rows = batch_size // shard_count
        self.rows = slice(shard_index * rows, (shard_index + 1) * rows)
        n_max = (len(train_ids) - 1) // seq_length  # windows at offset 0
        if n_max <= 0:
            raise DataError(f"the training text has {len(train_ids)} characters, too few for "
                            f"one window of {seq_length} characters (lower --context)")
        fewest = (len(train_ids) - seq_length) // seq_length  # windows at offset T - 1
        if fewest < batch_size:
            raise DataError(f"the training text gives {fewest} windows, fewer than one batch "
                            f"of {batch_size}; lower --batch-size or --context")
        self._steps = fewest // batch_size
        self._epoch, self._offset, self._order = 0, 0, np.empty(0, np.int64)
        # ids that come from a token file are read from it, window by window
        self.file = None if token_file is None else tokencache.FileWindows(
            token_file, train_ids.dtype)

    @property
    def steps_per_epoch(self) -> int:
        return self._steps

    @property
    def chars_per_step(self) -> int:
        """Characters this worker reads per step (its rows times ``seq_length``)."""
        return (self.rows.stop - self.rows.start) * self.T

    def epoch(self, step: int) -> int:
        """The 1-based epoch that global step ``step`` (0-based) belongs to."""
        return step // self._steps + 1

    def _start_epoch(self, e: int) -> None:
        rng = np.random.default_rng([self.seed, e])
        self._offset = int(rng.integers(self.T))
        n = (len(self.ids) - 1 - self._offset) // self.T
        # the same order as rng.permutation(n), shuffled in place in the narrowest type:
        # 4 bytes per window (a 1 GB text: 60 MB) instead of an int64 range and its copy
        self._order = np.arange(n, dtype=np.uint32 if n < 2**32 else np.int64)
        rng.shuffle(self._order)
        self._epoch = e

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """``X, Y`` int32 ``(rows, T)`` of global step ``step``; ``Y`` is ``X`` one char on."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        e, k = self.epoch(step), step % self._steps
        if e != self._epoch:
            self._start_epoch(e)
        windows = self._order[k * self.B:(k + 1) * self.B][self.rows].astype(np.int64)
        starts = self._offset + windows * self.T  # (rows,)
        if self.file is not None:
            w = self.file.gather(starts, self.T + 1).astype(np.int32)
        else:
            w = self.ids[starts[:, None] + np.arange(self.T + 1)].astype(np.int32)  # (rows, T+1)
        return np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:])
