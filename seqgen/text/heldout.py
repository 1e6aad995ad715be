"""The held-out loss of a text model in bounded memory (tens of MB of held-out text).

The scored range (a part ``ids[first:last]`` of the text, or its first ``max_chars``) is cut
into ``streams`` contiguous pieces that step through the NumPy stack together as the rows
of one batch. Each piece first reads the ``warmup`` characters just before it (piece 0
the end of the training text, as a single stream does; the others the text before them),
so every scored character is predicted from at least ``warmup`` characters of context.
With one stream that is exactly the single-stream pass: full preceding context.

The arithmetic is each net's ``nll`` (for the LSTM :func:`seqgen.engine.scoring.score_pieces`;
bounded memory: only the summed log-likelihood is kept; a GPT reads its own context
window before each character instead of the warm-up); this module cuts the pieces and
shares them between threads.
"""

from __future__ import annotations

import math
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
    """Mean NLL, nats per character, of an LSTM stack on the held-out tail ``ids[n_train:]``
    (see :func:`part_nll`)."""
    return part_nll(_StackNet(stack), ids, n_train, len(ids), warmup, max_chars, streams,
                    threads)


class _StackNet:
    def __init__(self, stack: CharLSTMStack):
        self.stack = stack

    def nll(self, ids, first, last, start):
        return score_pieces(self.stack, ids, first, last, start)


def part_nll(net, ids: np.ndarray, first_char: int, end: int, warmup: int,
             max_chars: int | None = None, streams: int = 64,
             threads: int | None = None, halved: int | None = None) -> float:
    """Mean negative log-likelihood, nats per character, of ``ids[first_char:end]``.

    Args:
        net: a NumPy net (``seqgen.text.nets``); its dtype is the arithmetic's.
        ids: ``(n,)`` the whole text's ids (any integer dtype).
        first_char, end: the scored part.
        warmup: characters read before each piece (at least 1; piece 0 reads at most
            the ``first_char`` characters there are).
        max_chars: score only the part's first ``max_chars`` characters (None: all).
        streams: pieces stepped together; 1 is the exact single-stream pass.
        threads: how many threads share the pieces (default: one per core).
        halved: an id whose probability is halved wherever it is the target (it stands in
            for characters the model never saw, which get the other half).
    Returns:
        The mean NLL over the scored characters (float64 sum).
    """
    pause_point("heldout")
    a0 = first_char
    m = end - a0 if max_chars is None else min(max_chars, end - a0)
    if m <= 0 or first_char <= 0:
        raise ValueError(f"nothing to score: {len(ids)} ids, part [{first_char}, {end})")
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
        parts = list(pool.map(lambda g: net.nll(ids, first[g], last[g], start[g]), groups))
    total, count = sum(p[0] for p in parts), sum(p[1] for p in parts)
    assert count == m, (count, m)
    if halved is not None:
        total += np.count_nonzero(ids[a0:a0 + m] == halved) * math.log(2)
    return total / count
