"""evaluate on a jazz checkpoint: the loss per grammar token on the files held out from its
training (``train-jazz --val-split``), scored with the NumPy engine (no TensorFlow).

A held-out file is scored as the model was trained: in consecutive windows of
``window_length`` tokens, each from a zero input and state, every token predicted from the
ones before it in its window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgen.engine.ops import log_softmax
from seqgen.errors import DataError
from seqgen.jazz.model import load_jazz, stepper


@dataclass(frozen=True)
class JazzEvalResult:
    """Mean negative log-likelihood per token (nats) over ``tokens`` tokens of ``files``."""

    loss_per_token: float
    tokens: int
    files: tuple[str, ...]


def evaluate_jazz(checkpoint) -> JazzEvalResult:
    """Score ``checkpoint`` on its held-out files.

    Raises:
        CheckpointError: missing or corrupt checkpoint. DataError: no file was held out.
    """
    meta, arrays, corpus = load_jazz(checkpoint)
    pieces = corpus.pieces("held-out")
    if not pieces:
        raise DataError(f"checkpoint {checkpoint} has no held-out files: train it on several "
                        "files with --val-split (e.g. 0.2) to score it on some")
    loss, count = pieces_loss(arrays, meta["vocab"], pieces,
                              int(meta["config"]["window_length"]))
    files = tuple(s.path for s in corpus.sources if s.role == "held-out")
    return JazzEvalResult(loss, count, files)


def pieces_loss(arrays: dict[str, np.ndarray], vocab: list[str], pieces: list[list[str]],
                length: int) -> tuple[float, int]:
    """(mean loss per token in nats, tokens scored) of weights ``arrays`` on ``pieces``,
    in consecutive windows of ``length`` tokens."""
    index = {t: i for i, t in enumerate(vocab)}
    model = stepper(arrays)
    total, count = 0.0, 0
    for piece in pieces:
        ids = [index[t] for t in piece]
        for start in range(0, len(ids), length):
            total += window_nll(model, ids[start:start + length])
            count += len(ids[start:start + length])
    return total / count, count


def window_nll(model, ids: list[int]) -> float:
    """Summed negative log-likelihood (nats) of ``ids``, from a fresh state and a zero
    input, each token fed back one-hot after it is scored."""
    model.reset()
    total, prev = 0.0, None
    for t in ids:
        total -= float(log_softmax(np.asarray(model.next_logits(prev), dtype=np.float64))[t])
        prev = t
    return total
