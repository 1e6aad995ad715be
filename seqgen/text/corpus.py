"""A character corpus split into a training part and a held-out tail (SPEC §3).

The text is lower-cased; the last ``val_fraction`` of it is never trained on. Training
windows take every position as a target (``Y`` is ``X`` shifted by one character) and
never reach into the held-out tail. The held-out stream is scored with full preceding
context: the model state runs through ``warmup`` characters before the tail, then
through the tail itself, predicting each character from everything before it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.errors import DataError
from seqgen.text.vocab import Vocab
from seqgen.textio import DATA_HINT, read_text


@dataclass
class Corpus:
    """The lower-cased text as indices, its vocabulary and where the held-out part starts."""

    ids: np.ndarray  # (n,) int32 indices into vocab
    vocab: Vocab
    n_train: int  # ids[:n_train] is training text, ids[n_train:] is held out
    digest: str  # sha256 of the lower-cased text

    @property
    def train_ids(self) -> np.ndarray:
        return self.ids[:self.n_train]

    @property
    def val_ids(self) -> np.ndarray:
        return self.ids[self.n_train:]


def split_point(n: int, val_fraction: float) -> int:
    """Index where the held-out tail of ``n`` characters starts (the tail has ceil(n*f))."""
    return n - int(math.ceil(n * val_fraction))


def load_corpus(path: str | Path, val_fraction: float = 0.1, min_train: int = 2) -> Corpus:
    """Read a UTF-8 text file, lower-case it and split off the held-out tail.

    Args:
        path: the text file.
        val_fraction: share of the text held out at the end, in [0, 1).
        min_train: the fewest training characters accepted.
    Returns:
        A :class:`Corpus` whose vocabulary covers the whole text.
    Raises:
        DataError: unreadable, empty, binary or non-UTF-8 file, or too short to split.
    """
    text = read_text(path, "text file", hint=DATA_HINT).lower()
    n_train = split_point(len(text), val_fraction)
    if n_train < min_train or (val_fraction > 0 and len(text) - n_train < 2):
        raise DataError(f"text file is too short to train on ({len(text)} characters): {path}")
    vocab = Vocab.from_text(text)
    ids = np.array(vocab.encode(text), dtype=np.int32)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Corpus(ids, vocab, n_train, digest)


def training_windows(train_ids: np.ndarray, length: int, offset: int = 0
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows of the training text, each position predicting the next.

    Window ``k`` covers ``train_ids[s : s + length + 1]`` with ``s = offset + k * length``;
    ``X[k] = train_ids[s : s + length]`` and ``Y[k] = train_ids[s + 1 : s + length + 1]``.
    A fresh ``offset`` each epoch (in ``[0, length)``) moves the window edges.

    Returns:
        ``X, Y`` of shape ``(windows, length)``, int32.
    Raises:
        DataError: the training text is shorter than one window.
    """
    n = (len(train_ids) - 1 - offset) // length
    if n <= 0:
        raise DataError(f"the training text has {len(train_ids)} characters, too few for one "
                        f"window of {length} (lower seq_length)")
    starts = offset + length * np.arange(n)  # (n,)
    idx = starts[:, None] + np.arange(length)[None, :]  # (n, T)
    return train_ids[idx].astype(np.int32), train_ids[idx + 1].astype(np.int32)


def heldout_stream(ids: np.ndarray, n_train: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets for scoring the held-out tail with full preceding context.

    The model reads the ``w = min(max(warmup, 1), n_train)`` characters before the tail
    and then the tail itself: ``inputs = ids[n_train - w : -1]``, ``targets = ids[n_train:]``.
    Feeding ``inputs`` one by one, the output after input ``w - 1 + j`` predicts
    ``targets[j]``; the first ``w - 1`` outputs are warm-up and not scored.
    """
    w = min(max(warmup, 1), n_train)
    return ids[n_train - w:len(ids) - 1], ids[n_train:]
