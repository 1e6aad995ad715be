"""NumPy inference for LSTM stacks trained with Keras (weights exported to .npz).

Keras stores an LSTM layer in the packed layout of :mod:`seqgen.engine.ops`
(``kernel (n_in, 4u)``, ``recurrent_kernel (u, 4u)``, ``bias (4u,)``, gates i, f, c, o)
with the default sigmoid and tanh. Running the exported weights here lets generation
step one character/token at a time without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgen.engine.ops import log_softmax as log_softmax_rows
from seqgen.engine.ops import lstm_gates, sample_index, softmax_rows

# Names the task folders and tests import from here; the one implementation is in ``ops``.
__all__ = ["CharLSTMStack", "LSTMLayer", "TokenLSTM", "log_softmax_rows", "sample_index",
           "softmax_rows"]


@dataclass
class LSTMLayer:
    """One Keras-layout LSTM layer: ``kernel (n_in,4u)``, ``recurrent (u,4u)``, ``bias (4u,)``."""

    kernel: np.ndarray
    recurrent: np.ndarray
    bias: np.ndarray

    @property
    def units(self) -> int:
        return self.recurrent.shape[0]

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step for a batch: ``x (m,n_in)``, ``h, c (m,u)`` -> new ``h, c``."""
        return lstm_gates(x @ self.kernel + h @ self.recurrent + self.bias, c)  # z (m, 4u)



def lstm_run(layer: LSTMLayer, xproj: np.ndarray, h: np.ndarray, c: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run ``layer`` over a sequence whose input projections are already known.

    ``xproj (T, 4u)`` = inputs @ kernel + bias for every step, computed in one matmul by
    the caller, so the loop only does the recurrent part. ``h, c (u,)``.
    Returns ``H (T, u)`` (the output at every step) and the final ``h, c``.
    """
    u = layer.units
    R = layer.recurrent
    H = np.empty((len(xproj), u), dtype=xproj.dtype)
    for t in range(len(xproj)):
        h, c = lstm_gates(xproj[t] + h @ R, c)  # z (4u,)
        H[t] = h
    return H, h, c


@dataclass
class CharLSTMStack:
    """Embedding -> stacked LSTMs -> Dense logits, for one character stream (no batch).

    ``table (V, 4u1)`` folds the embedding into the first layer: ``table[k]`` =
    ``embedding[k] @ kernel1 + bias1``; later layers are plain :class:`LSTMLayer` s.
    ``dense_w (u_last, V)``, ``dense_b (V,)``. Dropout is inactive at inference.
    """

    table: np.ndarray
    first: LSTMLayer
    rest: list[LSTMLayer]
    dense_w: np.ndarray
    dense_b: np.ndarray

    @classmethod
    def from_embedding(cls, embedding: np.ndarray, layers: list[LSTMLayer],
                       dense_w: np.ndarray, dense_b: np.ndarray,
                       dtype=np.float64) -> CharLSTMStack:
        cast = [LSTMLayer(*(np.asarray(a, dtype=dtype) for a in (l.kernel, l.recurrent, l.bias)))
                for l in layers]
        table = np.asarray(embedding, dtype=dtype) @ cast[0].kernel + cast[0].bias  # (V, 4u1)
        return cls(table, cast[0], cast[1:], np.asarray(dense_w, dtype=dtype),
                   np.asarray(dense_b, dtype=dtype))

    @property
    def layers(self) -> list[LSTMLayer]:
        return [self.first, *self.rest]

    def zero_state(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(np.zeros(l.units, self.table.dtype), np.zeros(l.units, self.table.dtype))
                for l in self.layers]

    def logits_sequence(self, ids: np.ndarray, state=None):
        """Logits ``(T, V)`` after each of ``ids (T,)`` and the final state (layer by layer)."""
        state = self.zero_state() if state is None else state
        xproj = self.table[np.asarray(ids)]  # (T, 4u1)
        H = None
        new_state = []
        for k, layer in enumerate(self.layers):
            if k > 0:
                xproj = H @ layer.kernel + layer.bias  # (T, 4u)
            H, h, c = lstm_run(layer, xproj, *state[k])
            new_state.append((h, c))
        return H @ self.dense_w + self.dense_b, new_state

    def step(self, token: int, state):
        """Feed one character; returns its next-character logits ``(V,)`` and the new state."""
        z_in = self.table[token]
        new_state = []
        for k, layer in enumerate(self.layers):
            h, c = state[k]
            h, c = lstm_gates(z_in + h @ layer.recurrent, c)  # z (4u,)
            new_state.append((h, c))
            if k + 1 < len(self.layers):
                nxt = self.layers[k + 1]
                z_in = h @ nxt.kernel + nxt.bias
        return h @ self.dense_w + self.dense_b, new_state


class TokenLSTM:
    """One LSTM layer with one-hot token inputs and a dense head, stepped one token at a time.

    The jazz model: ``layer`` is Keras-layout with ``kernel (V, 4u)``, ``dense_w (u, V)``,
    ``dense_b (V,)``. :meth:`reset` returns to the zero state, and the next
    :meth:`next_logits` call takes ``None`` for the zero input (as in training) or the
    previously sampled token, fed back as a one-hot vector.
    """

    def __init__(self, layer: LSTMLayer, dense_w: np.ndarray, dense_b: np.ndarray):
        self.layer, self.dense_w, self.dense_b = layer, dense_w, dense_b
        self.reset()

    def reset(self) -> None:
        u = self.layer.units
        self.h, self.c = np.zeros(u), np.zeros(u)  # (u,)

    def next_logits(self, token: int | None) -> np.ndarray:
        """Feed ``token`` (``None``: the zero input); returns the next token's logits ``(V,)``."""
        z = self.h @ self.layer.recurrent  # (4u,)
        if token is not None:
            z = self.layer.kernel[token] + z  # a one-hot input selects one row of the kernel
        self.h, self.c = lstm_gates(z + self.layer.bias, self.c)
        return self.h @ self.dense_w + self.dense_b
