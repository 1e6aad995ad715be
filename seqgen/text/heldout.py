"""The held-out loss of a character LSTM stack in bounded memory (tens of MB of held-out text).

The scored range (the held-out tail ``ids[n_train:]``, or its first ``max_chars``) is cut
into ``streams`` contiguous pieces that step through the NumPy stack together as the rows
of one batch. Each piece first reads the ``warmup`` characters just before it (piece 0
the end of the training text, as a single stream does; the others the text before them),
so every scored character is predicted from at least ``warmup`` characters of context.
With one stream that is exactly the single-stream pass: full preceding context.

The arithmetic is :func:`seqgen.engine.scoring.score_pieces` (bounded memory: only the
summed log-likelihood is kept); this module cuts the pieces and shares them between threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from seqgen.engine.scoring import score_pieces
from seqgen.engine.stacked import CharLSTMStack
from seqgen.signals import pause_point


def heldout_nll(stack: CharLSTMStack, ids: np.ndarray, n_train: int, warmup: int,
                max_chars: int | None = None, streams: int = 64,
                threads: int | None = None) -> float:
    """Mean negative log-likelihood, nats per character, of the held-out tail.

    Args:
        stack: the model; its dtype (float32 or float64) is the arithmetic's.
        ids: ``(n,)`` the whole text's ids (any integer dtype).
        n_train: where the held-out tail starts.
        warmup: characters read before each piece (at least 1; piece 0 reads at most
            the ``n_train`` characters there are).
        max_chars: score only the tail's first ``max_chars`` characters (None: all).
        streams: pieces stepped together; 1 is the exact single-stream pass.
        threads: how many threads share the pieces (default: one per core).
    Returns:
        The mean NLL over the scored characters (float64 sum).
    """
    pause_point("heldout")
    a0 = n_train
    m = len(ids) - n_train if max_chars is None else min(max_chars, len(ids) - n_train)
    if m <= 0 or n_train <= 0:
        raise ValueError(f"nothing to score: {len(ids)} ids, n_train {n_train}")
    S = max(1, min(streams, m))
    edges = a0 + (m * np.arange(S + 1, dtype=np.int64)) // S  # piece j: [edges[j], edges[j+1])
    first, last = edges[:-1], edges[1:]  # (S,) first and one-past-last scored position
    w = np.minimum(max(warmup, 1), first)  # (S,) warm-up characters of each piece
    start = first - w  # (S,) the position each piece reads first
    # the pieces are split between threads: NumPy's element-wise work (most of a step at
    # these sizes) runs on one core per call, so each thread keeps one core busy
    # (and BLAS keeps to one thread per call: two threads' calls would fight over the cores)
    groups = np.array_split(np.arange(S), max(1, min(threads or os.cpu_count() or 1, S)))
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(len(groups)) as pool:
        parts = list(pool.map(lambda g: score_pieces(stack, ids, first[g], last[g], start[g]),
                              groups))
    total, count = sum(p[0] for p in parts), sum(p[1] for p in parts)
    assert count == m, (count, m)
    return total / count
