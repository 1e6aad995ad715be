"""NumPy inference for GRU stacks trained with Keras (``reset_after=True``, the cuDNN form).

A Keras GRU layer stores ``kernel (n_in, 3u)``, ``recurrent_kernel (u, 3u)`` and
``bias (2, 3u)`` (row 0 for the input product, row 1 for the recurrent one), the blocks
of ``3u`` in the order z, r, h (update, reset, candidate). One step is::

    xz, xr, xh = x @ kernel + bias[0]
    hz, hr, hh = h @ recurrent + bias[1]
    z = sigmoid(xz + hz);  r = sigmoid(xr + hr)
    h' = z * h + (1 - z) * tanh(xh + r * hh)

The reset gate multiplies the recurrent product *after* it is taken (``reset_after``),
which is what lets one fused product serve all three gates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgen.engine.ops import sigmoid


@dataclass
class GRULayer:
    """One Keras-layout GRU layer: ``kernel (n_in,3u)``, ``recurrent (u,3u)``, ``bias (2,3u)``."""

    kernel: np.ndarray
    recurrent: np.ndarray
    bias: np.ndarray

    @property
    def units(self) -> int:
        return self.recurrent.shape[0]

    def step(self, xproj: np.ndarray, h: np.ndarray) -> np.ndarray:
        """One step from the input product ``xproj (m, 3u)`` (bias[0] included), ``h (m, u)``."""
        u = self.units
        hproj = h @ self.recurrent + self.bias[1]  # (m, 3u)
        zr = sigmoid(xproj[..., :2 * u] + hproj[..., :2 * u])  # (m, 2u)
        z, r = zr[..., :u], zr[..., u:]
        candidate = np.tanh(xproj[..., 2 * u:] + r * hproj[..., 2 * u:])  # (m, u)
        return z * h + (1.0 - z) * candidate


@dataclass
class CharGRUStack:
    """Embedding -> stacked GRUs -> Dense logits, for ``m`` character streams at once.

    ``table (V, 3u1)`` folds the embedding into the first layer's input product
    (``embedding @ kernel1 + bias1[0]``). The state is one ``(m, u)`` array per layer.
    """

    table: np.ndarray
    layers: list[GRULayer]
    dense_w: np.ndarray
    dense_b: np.ndarray

    @classmethod
    def from_embedding(cls, embedding: np.ndarray, layers: list[GRULayer], dense_w: np.ndarray,
                       dense_b: np.ndarray, dtype=np.float64) -> CharGRUStack:
        cast = [GRULayer(*(np.asarray(a, dtype=dtype) for a in (l.kernel, l.recurrent, l.bias)))
                for l in layers]
        table = np.asarray(embedding, dtype=dtype) @ cast[0].kernel + cast[0].bias[0]
        return cls(table, cast, np.asarray(dense_w, dtype=dtype), np.asarray(dense_b, dtype=dtype))

    def zero_state(self, m: int = 1) -> list[np.ndarray]:
        return [np.zeros((m, l.units), self.table.dtype) for l in self.layers]

    def step(self, tokens: np.ndarray, state: list[np.ndarray]):
        """Feed ``tokens (m,)``; the next-character logits ``(m, V)`` and the new state."""
        xproj = self.table[np.asarray(tokens)]  # (m, 3u1)
        new_state: list[np.ndarray] = []
        for k, layer in enumerate(self.layers):
            if k > 0:
                xproj = new_state[-1] @ layer.kernel + layer.bias[0]
            new_state.append(layer.step(xproj, state[k]))
        return new_state[-1] @ self.dense_w + self.dense_b, new_state
