"""evaluate on a jazz run: its loss on the files held out from its training (test by default,
or validation), in the model's own units, scored with NumPy (no TensorFlow, no music21).

The note model is scored in nats per melody event beside the counting baselines
(``seqgen.jazz.notes``). The grammar model is scored per grammar token, its own unit: a
held-out file is read as the model was trained, in consecutive windows of
``window_length`` tokens, each from a zero input and state.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import log_softmax
from seqgen.errors import UsageError
from seqgen.jazz.corpus import HELD_OUT
from seqgen.jazz.model import stepper


def evaluate_jazz(checkpoint, part: str = "test"):
    """Score ``checkpoint`` on its ``part`` files (test, or validation) beside the counting
    baselines in the same units (:class:`seqgen.jazz.models.JazzScore`).

    Raises:
        CheckpointError: missing or corrupt checkpoint. DataError: no file in that part.
        UsageError: a part that is neither.
    """
    from seqgen.jazz.models import load_model

    if part not in HELD_OUT:
        raise UsageError(f"--part for a jazz run is test or validation, got {part!r}")
    return load_model(checkpoint).score(part)


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
