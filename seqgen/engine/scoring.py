"""Scoring a character LSTM stack on many contiguous pieces of a text at once (NumPy only).

The pieces step through the stack together as the rows of one batch, in blocks, and only
the summed log-likelihood is kept: memory is a few blocks of ``(steps_per_block, pieces,
4u)`` floats whatever the text's length. Used by :mod:`seqgen.text.heldout`.

Cost: per character, each LSTM layer does one recurrent ``(u, 4u)`` product and each layer
after the first one input ``(u_prev, 4u)`` product; the first layer's input product is a
table row (embedding folded in). For 2 x LSTM(256) + dense(V) that is
``2 * (3 * 256 * 1024 + 256 * V)`` ~ 1.59 MFLOP per character (:func:`flops_per_char`).
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import logsumexp
from seqgen.engine.stacked import CharLSTMStack

ROWS_PER_BLOCK = 4096  # steps_per_block * streams: the big products' row count


def flops_per_char(stack: CharLSTMStack) -> int:
    """Multiply-adds x 2 of one character through the stack (matrix products only)."""
    flops = 0
    for k, layer in enumerate(stack.layers):
        flops += 2 * layer.recurrent.size
        if k > 0:
            flops += 2 * layer.kernel.size
    return flops + 2 * stack.dense_w.size


def _halve_sigmoid_gates(a: np.ndarray) -> np.ndarray:
    """Columns of the i, f, o gates (Keras order i, f, c, o) times 0.5; exact in binary.

    With them halved, one ``tanh`` over all four gates gives sigmoid(z) = 0.5 tanh(z/2)
    + 0.5 for i, f, o and tanh(z) for the candidate.
    """
    a = np.array(a, copy=True)
    u = a.shape[-1] // 4
    a[..., :2 * u] *= 0.5
    a[..., 3 * u:] *= 0.5
    return a


class _Layer:
    """One LSTM layer prepared for batched scoring: halved gate columns, state ``(S, u)``."""

    def __init__(self, kernel, recurrent, bias, streams: int, dtype):
        self.kernel = _halve_sigmoid_gates(kernel).astype(dtype)
        self.recurrent = _halve_sigmoid_gates(recurrent).astype(dtype)
        self.bias = _halve_sigmoid_gates(bias).astype(dtype)
        u = self.recurrent.shape[0]
        self.u = u
        self.h = np.zeros((streams, u), dtype)
        self.c = np.zeros((streams, u), dtype)
        self.z = np.empty((streams, 4 * u), dtype)  # gate buffer
        self.ig = np.empty((streams, u), dtype)

    def run(self, zin: np.ndarray, out: np.ndarray) -> None:
        """Step through ``zin (K, S, 4u)`` (input products + bias); ``out (K, S, u)`` gets h."""
        u, z, c, ig = self.u, self.z, self.c, self.ig
        for t in range(len(zin)):
            np.matmul(self.h, self.recurrent, out=z)  # (S, 4u)
            z += zin[t]
            np.tanh(z, out=z)
            sig = z[:, :2 * u]  # i, f
            sig *= 0.5
            sig += 0.5
            o = z[:, 3 * u:]
            o *= 0.5
            o += 0.5
            np.multiply(z[:, :u], z[:, 2 * u:3 * u], out=ig)  # i * g
            c *= z[:, u:2 * u]  # f * c
            c += ig
            h = out[t]
            np.tanh(c, out=h)
            h *= o
            self.h = h


def score_pieces(stack: CharLSTMStack, ids: np.ndarray, first: np.ndarray, last: np.ndarray,
           start: np.ndarray) -> tuple[float, int]:
    """(sum of NLL in nats, characters scored) of the pieces ``[first, last)`` of ``ids``.

    Piece ``j`` reads ``ids`` from ``start[j]`` (its warm-up) and scores the characters at
    ``first[j] … last[j] - 1``; all pieces step together as the rows of one batch, in
    blocks of about :data:`ROWS_PER_BLOCK` rows.
    """
    S = len(first)
    steps = int((last - 1 - start).max())  # inputs start..last-2 predict start+1..last-1
    dtype = stack.table.dtype
    layers = stack.layers
    prepared = [_Layer(l.kernel, l.recurrent, l.bias, S, dtype) for l in layers]
    table = _halve_sigmoid_gates(stack.table).astype(dtype)  # (V, 4u1): embedding @ K1 + b1
    dense_w, dense_b = stack.dense_w.astype(dtype), stack.dense_b.astype(dtype)
    K = max(1, ROWS_PER_BLOCK // S)  # steps per block
    H = [np.empty((K, S, p.u), dtype) for p in prepared]  # each layer's outputs in a block
    total, count = 0.0, 0
    for t0 in range(0, steps, K):
        k = min(K, steps - t0)
        pos = start[None, :] + np.arange(t0, t0 + k)[:, None]  # (k, S) input positions
        scored = (pos + 1 >= first) & (pos + 1 < last)  # (k, S) whose next char is scored
        pos = np.minimum(pos, len(ids) - 2)  # finished pieces idle on a valid position
        zin = table[ids[pos]]  # (k, S, 4u1)
        for j, layer in enumerate(prepared):
            if j > 0:
                prev = H[j - 1][:k].reshape(k * S, -1)
                zin = (prev @ layer.kernel + layer.bias).reshape(k, S, -1)  # (k, S, 4u)
            layer.run(zin, H[j][:k])
        logits = H[-1][:k].reshape(k * S, -1) @ dense_w + dense_b  # (k*S, V)
        keep = scored.ravel()
        logits = logits[keep]  # (r, V)
        targets = ids[pos.ravel()[keep] + 1].astype(np.intp)  # (r,)
        lse = logsumexp(logits, axis=1)  # (r,)
        total += float(np.sum(lse - logits[np.arange(len(targets)), targets],
                              dtype=np.float64))
        count += len(targets)
    return total, count
