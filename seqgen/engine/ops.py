"""The engine's shared math: activations, softmax, the LSTM gate arithmetic, the sampler.

Every NumPy model in ``seqgen.engine`` computes these through this module, so each
formula exists once.

LSTM gate orders
----------------
Two weight layouts exist, both kept because checkpoints and the course's public API depend on them:

* **course layout** (``lstm.py``, the public LSTM API): four matrices ``Wf, Wi, Wc, Wo`` of shape
  ``(n_a, n_a + n_x)`` acting on the column ``[a_prev; xt]`` (``a_prev`` on top), biases
  ``bf, bi, bc, bo (n_a, 1)``. Names, not positions, identify the gates.
* **Packed layout** (Keras ``LSTM`` weights in ``stacked.py``, and the mini-batch trainer's
  ``Wx, Wh, b`` in ``batched.py``): row-vector inputs, ``kernel (n_x, 4u)``,
  ``recurrent (u, 4u)``, ``bias (4u,)``, the four blocks of ``4u`` in the order
  **i, f, c, o** (input, forget, candidate, output; ``batched.py`` calls the candidate
  ``g``). Pre-activations are ``z = x @ kernel + h @ recurrent + bias``.

:func:`spec_to_packed` and :func:`packed_to_spec` convert between the two; nothing else
knows the block order. One step is ``c = f * c_prev + i * c̃``, ``h = o * tanh(c)``.
"""

from __future__ import annotations

import math

import numpy as np

GATE_ORDER = ("i", "f", "c", "o")  # block order of the packed layout


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function; the tanh form equals 1 / (1 + exp(-z)) and never overflows."""
    return 0.5 * (np.tanh(0.5 * z) + 1.0)


def softmax(z: np.ndarray, axis: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax along ``axis`` (0: classes in rows, as the course's API; -1: classes in the last
    axis).

    Shifted by the maximum for stability. ``out`` (may be ``z`` itself) avoids an allocation.
    """
    # the array methods, not np.max/np.sum: the same reductions without the dispatch layer
    out = np.subtract(z, z.max(axis=axis, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (row vectors of logits, ``(..., V)``)."""
    return softmax(logits, axis=-1)


def logsumexp(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(logits)))`` along ``axis`` (dropped), shifted by the maximum so that
    nothing overflows: the normaliser of a softmax in log space."""
    top = logits.max(axis=axis, keepdims=True)
    return np.log(np.exp(logits - top).sum(axis=axis)) + np.squeeze(top, axis=axis)


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Log-probabilities along ``axis``, computed without forming the probabilities."""
    z = logits - logits.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------------------------------------
# LSTM gates


def lstm_activate(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Packed pre-activations ``z (..., 4u)`` -> gate values, same layout (i, f, c̃, o).

    Sigmoid on i, f, o and tanh on the candidate. ``out`` may be a preallocated buffer.
    """
    u = z.shape[-1] // 4
    out = np.empty_like(z) if out is None else out
    out[..., :2 * u] = sigmoid(z[..., :2 * u])
    out[..., 2 * u:3 * u] = np.tanh(z[..., 2 * u:3 * u])
    out[..., 3 * u:] = sigmoid(z[..., 3 * u:])
    return out


def split_gates(gates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Views ``(i, f, c̃, o)``, each ``(..., u)``, of packed gate values ``(..., 4u)``."""
    u = gates.shape[-1] // 4
    return tuple(gates[..., k * u:(k + 1) * u] for k in range(4))


def lstm_update(i, f, cc, o, c_prev):
    """The cell update from gate values: returns ``(h, c)``."""
    c = f * c_prev + i * cc
    return o * np.tanh(c), c


def lstm_gates(z: np.ndarray, c_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step from packed pre-activations ``z (..., 4u)``: returns new ``(h, c)``."""
    return lstm_update(*split_gates(lstm_activate(z)), c_prev)


def lstm_gate_grads(dh, dc_next, i, f, cc, o, c_prev, c):
    """Back through one cell update.

    ``dh``: loss gradient into ``h``; ``dc_next``: gradient into ``c`` from the next step.
    Returns the gradients into the pre-activations ``(dz_i, dz_f, dz_c, dz_o)`` and into
    ``c_prev``.
    """
    tanh_c = np.tanh(c)
    dc = dc_next + dh * o * (1.0 - tanh_c**2)  # total gradient into c
    dz_i = dc * cc * i * (1.0 - i)
    dz_f = dc * c_prev * f * (1.0 - f)
    dz_c = dc * i * (1.0 - cc**2)
    dz_o = dh * tanh_c * o * (1.0 - o)
    return dz_i, dz_f, dz_c, dz_o, dc * f


def spec_to_packed(parameters: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Course-layout gate weights -> packed ``(kernel (n_x,4u), recurrent (u,4u), bias (4u,))``."""
    u = parameters["Wf"].shape[0]
    W = np.concatenate([parameters["W" + g] for g in GATE_ORDER], axis=0)  # (4u, u + n_x)
    b = np.concatenate([parameters["b" + g] for g in GATE_ORDER], axis=0)  # (4u, 1)
    return W[:, u:].T.copy(), W[:, :u].T.copy(), b[:, 0].copy()


def packed_to_spec(kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> dict:
    """Packed ``kernel, recurrent, bias`` -> course-layout ``Wf, bf, Wi, bi, Wc, bc, Wo, bo``."""
    u = recurrent.shape[0]
    W = np.concatenate([recurrent, kernel], axis=0).T  # (4u, u + n_x), acting on [a; x]
    out = {}
    for k, g in enumerate(GATE_ORDER):
        out["W" + g] = W[k * u:(k + 1) * u].copy()
        out["b" + g] = np.asarray(bias[k * u:(k + 1) * u], dtype=float).reshape(u, 1)
    return out


# ---------------------------------------------------------------------------------------------
# Sampling


def _draw(p: np.ndarray, rng) -> int:
    """Inverse-CDF draw of an index from (near-)normalised ``p (V,)`` with one ``rng.random()``."""
    return int(min(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"),
                   len(p) - 1))


def _draw_prefix(mass: np.ndarray, n: int, rng) -> int:
    """Position < ``n`` drawn in proportion to the increments of the cumulative ``mass``."""
    return min(int(np.searchsorted(mass, rng.random() * mass[n - 1], side="right")), n - 1)


def sample_index(logits: np.ndarray, temperature: float, rng, top_k: int | None = None,
                 top_p: float | None = None) -> int:
    """Draw one index from ``softmax(logits / temperature)``.

    ``temperature`` 0 is argmax (greedy). ``top_k`` keeps the ``k`` most likely indices,
    ``top_p`` the smallest most-likely set with probability mass ``>= top_p`` (nucleus;
    ties in probability go to the lower index); temperature is applied first, then top-k,
    then top-p on what top-k kept (renormalised), then one index is drawn in proportion to
    the kept probabilities. A draw at temperature > 0 makes exactly one ``rng.random()``
    call; without filters it is the inverse-CDF draw generate-poem and generate-jazz have
    always made, so existing seeds give the same output. ``rng`` is a NumPy ``Generator``
    (anything with ``random()``).

    Raises:
        ValueError: negative or non-finite temperature, ``top_k < 1``, ``top_p`` not in (0, 1].
    """
    if not (temperature >= 0 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be 0 or more, got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or int(top_k) != top_k or top_k < 1):
        raise ValueError(f"top_k must be a whole number of at least 1, got {top_k}")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    logits = np.asarray(logits, dtype=np.float64).ravel()
    if temperature == 0:
        return int(np.argmax(logits))
    p = softmax_rows(logits / temperature)  # (V,)
    top_k = None if top_k is None or top_k >= len(p) else int(top_k)  # k >= V keeps all
    top_p = None if top_p is None or top_p == 1 else top_p  # P = 1 keeps all
    if top_k is None and top_p is None:
        return _draw(p, rng)
    if top_k is not None:
        keep = np.argpartition(p, -top_k)[-top_k:]  # the k most likely, in no set order
        q = p[keep]
        if top_p is None:
            return int(keep[_draw_prefix(np.cumsum(q), top_k, rng)])
        order = keep[np.lexsort((keep, -q))]  # most likely first; ties: lower index first
    else:
        order = np.argsort(-p, kind="stable")  # most likely first; ties: lower index first
    mass = np.cumsum(p[order])
    n = int(np.searchsorted(mass, top_p * mass[-1], side="left")) + 1  # first prefix >= P
    return int(order[_draw_prefix(mass, min(n, len(mass)), rng)])


# ---------------------------------------------------------------------------------------------
# Loss reporting


def smooth(loss: float, current: float, decay: float = 0.999) -> float:
    """Exponential moving average of the training loss: ``decay*loss + (1-decay)*current``.

    0.999 is the reference (the course's name model), averaging over ~1000 single-name SGD steps. A
    mini-batch trainer makes far fewer updates for the same data (one per batch, each
    already averaging many names), so it passes 0.99: a window of ~100 updates that still
    follows the loss within one report interval.
    """
    # 1 - 0.999 is 0.0010000000000000009 in binary; rounding restores the decimal weight
    # the reference formula writes, so reported losses match it digit for digit.
    return loss * decay + current * round(1.0 - decay, 15)
