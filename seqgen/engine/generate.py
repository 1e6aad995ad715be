"""Sampling many sequences at once: one matrix step advances a whole batch of them.

A small character model's step costs a few microseconds of arithmetic and far more of
Python around it, so drawing names one at a time spends nearly all its time in the
interpreter. Here ``batch`` rows are stepped together; a row that finishes its name
hands it over and starts the next one from the primed state, so every step keeps the
whole batch busy.

Names come out in the order they were started, not the order they finished. Finishing
order would favour short names at the head of the output (of 1,024 names in flight the
first to end are the shortest); start order makes every emitted name an independent
draw from the model, exactly as one-at-a-time sampling gives. The random numbers are
drawn for all ``batch`` rows at every step whether a row is busy or not, so for a seed
the first ``n`` names are the same whatever is asked for after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from threadpoolctl import threadpool_limits

from seqgen.engine.ops import lstm_gates, softmax_rows

NAME_BATCH = 1024  # rows stepped together: enough that the arithmetic, not Python, sets the pace
StepFn = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]]


def draw_rows(logits: np.ndarray, temperature: float, u: np.ndarray) -> np.ndarray:
    """One index per row of ``softmax(logits / temperature)``, by inverse CDF.

    ``logits (B, V)``, ``u (B,)`` uniform in [0, 1). Row ``b`` gets the same index the
    one-at-a-time draw of ``ops.sample_index`` gives for ``rng.random() == u[b]``.
    """
    p = softmax_rows(logits / temperature)  # (B, V)
    cum = np.cumsum(p, axis=1)
    below = cum <= (u * cum[:, -1])[:, None]  # side="right": entries <= the target
    return np.minimum(below.sum(axis=1), p.shape[1] - 1)


def row_step(cell: str, params: dict) -> StepFn:
    """A batched step of a name model in the row layout (``Wx (V, k·n_a)``, ``Wh``, ``b``,
    ``Wy (n_a, V)``, ``by``): ``(tokens (B,), h (B, n_a), c) -> (h, c, logits (B, V))``."""
    Wx, Wh, b, Wy, by = (params[k] for k in ("Wx", "Wh", "b", "Wy", "by"))

    def step(tokens, h, c):
        z = Wx[tokens] + h @ Wh + b  # a one-hot input selects one row of Wx
        if cell == "lstm":
            h, c = lstm_gates(z, c)
        else:
            h = np.tanh(z)
        return h, c, h @ Wy + by

    return step


def sample_names(step: StepFn, primed: tuple[np.ndarray, np.ndarray, np.ndarray],
                 newline: int, room: int, temperature: float, rng: np.random.Generator,
                 limit: int, batch: int = NAME_BATCH) -> Iterator[np.ndarray]:
    """Token arrays of up to ``limit`` names, each drawn after the ``primed`` state.

    Args:
        step: the batched step (see :func:`row_step`).
        primed: ``(h (n_a,), c (n_a,), logits (V,))`` after the zero input and any prefix.
        newline: the index that ends a name (not part of the yielded array).
        room: at most this many characters a name (a longer one is cut there).
        temperature: > 0.
        rng: every step draws ``batch`` uniforms from it.
        limit: how many names to start at most; the caller stops iterating when it has
            enough (names still in flight are then dropped).
    Yields:
        ``(length,)`` int arrays, in the order the names were started.
    """
    h0, c0, logits0 = primed
    h = np.repeat(h0[None, :], batch, axis=0)  # (B, n_a)
    c = np.repeat(c0[None, :], batch, axis=0)
    logits = np.repeat(logits0[None, :], batch, axis=0)  # (B, V)
    chars = np.empty((batch, room), dtype=np.int32)  # each row's name so far
    length = np.zeros(batch, dtype=np.intp)
    started = min(batch, limit)
    number = np.arange(batch)  # the number of the name each row is drawing
    busy = number < started
    finished: dict[int, np.ndarray] = {}  # names done before an earlier-started one
    emitted = 0
    rows = np.arange(batch)
    limits = threadpool_limits(1, user_api="blas")  # small matrices: a 2nd thread only waits
    try:
        while emitted < limit:
            tokens = draw_rows(logits, temperature, rng.random(batch))
            ends = busy & (tokens == newline)
            chars[rows, np.minimum(length, room - 1)] = tokens
            length += ~ends & busy
            done = ends | (busy & (length >= room))
            for r in np.flatnonzero(done):
                finished[int(number[r])] = chars[r, :length[r]].copy()
            while emitted in finished:
                yield finished.pop(emitted)
                emitted += 1
            if done.any():
                idle = np.flatnonzero(done)
                fresh = np.arange(started, started + len(idle))
                number[idle] = fresh
                busy[idle] = fresh < limit
                started += len(idle)
                length[idle] = 0
            h, c, logits = step(tokens, h, c)
            h[done], c[done], logits[done] = h0, c0, logits0
    finally:
        limits.restore_original_limits()
