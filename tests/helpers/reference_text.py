"""Today's (round-1) text pipeline, kept as the reference the streamed one is tested against.

``training_windows`` materialised every window of an epoch and ``heldout_stream`` the whole
held-out pass; seqgen now cuts batches by step (``WindowSampler``) and scores the tail in
bounded memory (``seqgen.text.heldout``). Tests check the new code gives the same
batches and numbers as these.
"""

from __future__ import annotations

import numpy as np

from seqgen.errors import DataError


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
