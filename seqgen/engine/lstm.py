"""LSTM cell and sequence, forward and backward (the course's public LSTM API).

Gate weights are ``(n_a, n_a + n_x)`` and act on ``concat = [a_prev; xt]`` (the course's
layout; ``ops`` documents it next to the packed layout and converts between them).
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import lstm_gate_grads, lstm_update, sigmoid, softmax

GATES = ("f", "i", "c", "o")


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One LSTM step. Returns ``(a_next, c_next, yt_pred, cache)``."""
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)  # (n_a+n_x, m)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next, c_next = lstm_update(it, ft, cct, ot, c_prev)
    yt_pred = softmax(p["Wy"] @ a_next + p["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_forward(x, a0, parameters):
    """Run the LSTM over ``x (n_x,m,T_x)``; the initial cell state is zero.

    Returns ``(a, y, c, caches)`` with ``a, c (n_a,m,T_x)``, ``y (n_y,m,T_x)`` and
    ``caches = (list of per-step caches, x)``.
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    a_t, c_t = a0, np.zeros_like(a0)
    steps = []
    for t in range(T_x):
        a_t, c_t, y_t, cache = lstm_cell_forward(x[:, :, t], a_t, c_t, parameters)
        a[:, :, t], c[:, :, t], y[:, :, t] = a_t, c_t, y_t
        steps.append(cache)
    return a, y, c, (steps, x)


def lstm_cell_backward(da_next, dc_next, cache):
    """Gradients of one step from ``da_next`` and ``dc_next`` (both ``(n_a,m)``)."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p = cache
    n_a = a_next.shape[0]
    # gradients wrt the gate pre-activations, each (n_a, m)
    dzi, dzf, dzc, dzo, dc_prev = lstm_gate_grads(da_next, dc_next, it, ft, cct, ot, c_prev,
                                                  c_next)
    concat = np.concatenate([a_prev, xt], axis=0)
    dconcat = p["Wf"].T @ dzf + p["Wi"].T @ dzi + p["Wc"].T @ dzc + p["Wo"].T @ dzo
    grads = {"dxt": dconcat[n_a:], "da_prev": dconcat[:n_a], "dc_prev": dc_prev}
    for gate, dz in zip(GATES, (dzf, dzi, dzc, dzo)):
        grads["dW" + gate] = dz @ concat.T
        grads["db" + gate] = dz.sum(axis=1, keepdims=True)
    return grads


def lstm_backward(da, caches):
    """Back-propagate through time; ``da (n_a,m,T_x)`` is the upstream gradient into each ``a``.

    Returns ``dx, da0`` and the gate weight/bias gradients ``dWf, dbf, … dWo, dbo``.
    """
    steps, x = caches
    n_x, m, T_x = x.shape
    p = steps[0][9]
    grads = {"dx": np.zeros_like(x, dtype=float)}
    for gate in GATES:
        grads["dW" + gate] = np.zeros_like(p["W" + gate])
        grads["db" + gate] = np.zeros_like(p["b" + gate])
    da_prev = np.zeros_like(da[:, :, 0])
    dc_prev = np.zeros_like(da_prev)
    for t in reversed(range(T_x)):
        g = lstm_cell_backward(da[:, :, t] + da_prev, dc_prev, steps[t])
        grads["dx"][:, :, t] = g["dxt"]
        for gate in GATES:
            grads["dW" + gate] += g["dW" + gate]
            grads["db" + gate] += g["db" + gate]
        da_prev, dc_prev = g["da_prev"], g["dc_prev"]
    grads["da0"] = da_prev
    return grads
