"""NumPy inference for LSTM stacks trained with Keras (weights exported to .npz).

Keras stores an LSTM layer as ``kernel (n_in, 4u)``, ``recurrent_kernel (u, 4u)`` and
``bias (4u,)`` with the gates in the order input, forget, candidate, output, and
uses a hard-free sigmoid and tanh (the defaults). Running the exported weights
here lets generation step one character/token at a time without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * z) + 1.0)  # = 1 / (1 + exp(-z)), without overflow


def lstm_gates(z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New ``h, c`` from the gate pre-activations ``z (..., 4u)`` (order i, f, c, o)."""
    u = z.shape[-1] // 4
    i = _sigmoid(z[..., :u])
    f = _sigmoid(z[..., u:2 * u])
    g = np.tanh(z[..., 2 * u:3 * u])
    o = _sigmoid(z[..., 3 * u:])
    c = f * c + i * g
    return o * np.tanh(c), c


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

    def step_index(self, token: int, h: np.ndarray, c: np.ndarray):
        """One step whose input is a one-hot vector (or an embedding row) at ``token``."""
        return lstm_gates(self.kernel[token] + h @ self.recurrent + self.bias, c)


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_index(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Draw an index from ``softmax(logits / temperature)``; temperature 0 is argmax."""
    logits = np.asarray(logits, dtype=np.float64).ravel()
    if temperature == 0:
        return int(np.argmax(logits))
    p = softmax_rows(logits / temperature)
    return int(min(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"),
                   len(p) - 1))


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


def log_softmax_rows(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
