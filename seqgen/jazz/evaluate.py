"""The grammar model's loss on held-out files, per grammar token (its own unit), with NumPy.

A held-out file is read as the model was trained, in consecutive windows of
``window_length`` tokens, each from a zero input and state.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import log_softmax
from seqgen.jazz.model import stepper


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
