"""Basic RNN cell and sequence, forward and backward (the course's public RNN API).

Shapes follow the batch-as-columns convention: an input step ``xt`` is
``(n_x, m)``, a hidden state ``(n_a, m)``, a whole sequence ``(n_x, m, T_x)``.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import softmax


def rnn_cell_forward(xt, a_prev, parameters):
    """One RNN step. Returns ``(a_next (n_a,m), yt_pred (n_y,m), cache)``."""
    Wax, Waa, Wya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    ba, by = parameters["ba"], parameters["by"]
    a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)  # (n_a, m)
    yt_pred = softmax(Wya @ a_next + by)  # (n_y, m)
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    """Run the cell over ``x (n_x,m,T_x)`` from ``a0 (n_a,m)``.

    Returns ``(a (n_a,m,T_x), y_pred (n_y,m,T_x), caches)`` with
    ``caches = (list of per-step caches, x)``.
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    steps = []
    a_t = a0
    for t in range(T_x):
        a_t, y_t, cache = rnn_cell_forward(x[:, :, t], a_t, parameters)
        a[:, :, t] = a_t
        y_pred[:, :, t] = y_t
        steps.append(cache)
    return a, y_pred, (steps, x)


def rnn_cell_backward(da_next, cache):
    """Gradients of one step given ``da_next (n_a,m)``, the loss gradient wrt ``a_next``."""
    _, a_prev, xt, parameters = cache
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    z = Waa @ a_prev + Wax @ xt + ba  # pre-activation, recomputed
    dz = da_next * (1.0 - np.tanh(z) ** 2)  # (n_a, m)
    return {
        "dxt": Wax.T @ dz,
        "da_prev": Waa.T @ dz,
        "dWax": dz @ xt.T,
        "dWaa": dz @ a_prev.T,
        "dba": dz.sum(axis=1, keepdims=True),
    }


def rnn_backward(da, caches):
    """Back-propagate through time.

    ``da (n_a,m,T_x)`` is the upstream gradient into every hidden state. Returns
    ``dx (n_x,m,T_x), da0 (n_a,m), dWax, dWaa, dba``.
    """
    steps, x = caches
    n_x, m, T_x = x.shape
    parameters = steps[0][3]
    dx = np.zeros_like(x, dtype=float)
    dWax = np.zeros_like(parameters["Wax"])
    dWaa = np.zeros_like(parameters["Waa"])
    dba = np.zeros_like(parameters["ba"])
    da_prev = np.zeros_like(da[:, :, 0])
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + da_prev, steps[t])
        dx[:, :, t] = g["dxt"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
        da_prev = g["da_prev"]
    return {"dx": dx, "da0": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
