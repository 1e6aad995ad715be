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
        u = self.units
        z = x @ self.kernel + h @ self.recurrent + self.bias  # (m, 4u)
        i = _sigmoid(z[:, :u])
        f = _sigmoid(z[:, u:2 * u])
        g = np.tanh(z[:, 2 * u:3 * u])
        o = _sigmoid(z[:, 3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        return h, c

    def step_index(self, token: int, h: np.ndarray, c: np.ndarray):
        """One step whose input is a one-hot vector (or an embedding row) at ``token``."""
        u = self.units
        z = self.kernel[token] + h @ self.recurrent + self.bias
        i = _sigmoid(z[..., :u])
        f = _sigmoid(z[..., u:2 * u])
        g = np.tanh(z[..., 2 * u:3 * u])
        o = _sigmoid(z[..., 3 * u:])
        c = f * c + i * g
        return o * np.tanh(c), c


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
