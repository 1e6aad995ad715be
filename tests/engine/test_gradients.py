"""Finite-difference gradient checks (float64, relative error < 1e-7) for every backward pass."""

import numpy as np
import pytest

from seqgen.engine import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)
from seqgen.engine.charmodel import CharRNNTrainer

EPS = 1e-6


def rel_error(analytic, numeric):
    return np.linalg.norm(analytic - numeric) / max(
        np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-30)


def numeric_grad(f, x):
    """Central differences of the scalar f() with respect to array x (perturbed in place)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + EPS
        plus = f()
        x[i] = old - EPS
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * EPS)
    return grad


def rnn_params(rng, n_x=3, n_a=5, n_y=2):
    return {"Wax": rng.randn(n_a, n_x), "Waa": rng.randn(n_a, n_a) * 0.5,
            "Wya": rng.randn(n_y, n_a), "ba": rng.randn(n_a, 1), "by": rng.randn(n_y, 1)}


def lstm_params(rng, n_x=3, n_a=5, n_y=2):
    p = {}
    for gate in ("f", "i", "c", "o"):
        p["W" + gate] = rng.randn(n_a, n_a + n_x) * 0.5
        p["b" + gate] = rng.randn(n_a, 1)
    p["Wy"], p["by"] = rng.randn(n_y, n_a), rng.randn(n_y, 1)
    return p


def test_rnn_cell_backward():
    rng = np.random.RandomState(0)
    xt, a_prev, p = rng.randn(3, 4), rng.randn(5, 4), rnn_params(rng)
    R = rng.randn(5, 4)  # loss J = sum(R * a_next)

    def J():
        return float(np.sum(R * rnn_cell_forward(xt, a_prev, p)[0]))

    g = rnn_cell_backward(R, rnn_cell_forward(xt, a_prev, p)[2])
    checks = [("dxt", xt), ("da_prev", a_prev), ("dWax", p["Wax"]), ("dWaa", p["Waa"]),
              ("dba", p["ba"])]
    for key, arr in checks:
        assert g[key].shape == arr.shape
        assert rel_error(g[key], numeric_grad(J, arr)) < 1e-7, key


def test_rnn_backward_sequence():
    rng = np.random.RandomState(1)
    x, a0, p = rng.randn(3, 4, 6), rng.randn(5, 4), rnn_params(rng)
    R = rng.randn(5, 4, 6)

    def J():
        return float(np.sum(R * rnn_forward(x, a0, p)[0]))

    g = rnn_backward(R, rnn_forward(x, a0, p)[2])
    for key, arr in [("dx", x), ("da0", a0), ("dWax", p["Wax"]), ("dWaa", p["Waa"]),
                     ("dba", p["ba"])]:
        assert g[key].shape == arr.shape
        assert rel_error(g[key], numeric_grad(J, arr)) < 1e-7, key


def test_lstm_cell_backward():
    rng = np.random.RandomState(2)
    xt, a_prev, c_prev, p = rng.randn(3, 4), rng.randn(5, 4), rng.randn(5, 4), lstm_params(rng)
    Ra, Rc = rng.randn(5, 4), rng.randn(5, 4)

    def J():
        a, c, _, _ = lstm_cell_forward(xt, a_prev, c_prev, p)
        return float(np.sum(Ra * a) + np.sum(Rc * c))

    g = lstm_cell_backward(Ra, Rc, lstm_cell_forward(xt, a_prev, c_prev, p)[3])
    checks = [("dxt", xt), ("da_prev", a_prev), ("dc_prev", c_prev)]
    checks += [("dW" + k, p["W" + k]) for k in "fico"] + [("db" + k, p["b" + k]) for k in "fico"]
    for key, arr in checks:
        assert g[key].shape == arr.shape
        assert rel_error(g[key], numeric_grad(J, arr)) < 1e-7, key


def test_lstm_backward_sequence():
    rng = np.random.RandomState(3)
    x, a0, p = rng.randn(3, 4, 5), rng.randn(5, 4), lstm_params(rng)
    R = rng.randn(5, 4, 5)

    def J():
        return float(np.sum(R * lstm_forward(x, a0, p)[0]))

    g = lstm_backward(R, lstm_forward(x, a0, p)[3])
    checks = [("dx", x), ("da0", a0)]
    checks += [("dW" + k, p["W" + k]) for k in "fico"] + [("db" + k, p["b" + k]) for k in "fico"]
    for key, arr in checks:
        assert g[key].shape == arr.shape
        assert rel_error(g[key], numeric_grad(J, arr)) < 1e-7, key


@pytest.mark.parametrize("seed", [0, 1])
def test_char_trainer_gradients(seed):
    """The fast trainer's (unclipped) gradients match finite differences of its own loss."""
    rng = np.random.RandomState(seed)
    n_a, n_v = 6, 5
    params = {"Wax": rng.randn(n_a, n_v) * 0.3, "Waa": rng.randn(n_a, n_a) * 0.3,
              "Wya": rng.randn(n_v, n_a) * 0.3, "b": rng.randn(n_a, 1) * 0.1,
              "by": rng.randn(n_v, 1) * 0.1}
    X, Y = [None, 1, 3, 2, 4], [1, 3, 2, 4, 0]
    a0 = rng.randn(n_a) * 0.1

    def J():
        trainer = CharRNNTrainer(params, learning_rate=0.0, clip_value=1e9)
        return trainer.step(X, Y, a0)[0]

    trainer = CharRNNTrainer(params, learning_rate=0.0, clip_value=1e9)
    trainer.step(X, Y, a0)
    g = trainer.gradients()
    for key, pkey in [("dWax", "Wax"), ("dWaa", "Waa"), ("dWya", "Wya"), ("db", "b"),
                      ("dby", "by")]:
        assert rel_error(g[key], numeric_grad(J, params[pkey])) < 1e-7, key


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_batched_model_gradients(cell):
    """Mini-batch forward/backward (padded, masked) against finite differences."""
    from seqgen.engine.batched import forward_backward, init_params, make_batch

    rng = np.random.RandomState(4)
    params = init_params(cell, 4, 6, rng)
    for v in params.values():
        v += rng.randn(*v.shape) * 0.1
    x, y, mask = make_batch([[1, 2, 3], [4], [5, 1, 2, 2, 3]], newline=0)

    def J():
        return forward_backward(cell, params, x, y, mask, need_grads=False)[0]

    _, grads = forward_backward(cell, params, x, y, mask)
    for key, arr in params.items():
        assert rel_error(grads[key], numeric_grad(J, arr)) < 1e-7, key


def test_batched_padding_is_inert():
    """A padded batch gives the same loss as the sequences one at a time."""
    from seqgen.engine.batched import forward_backward, init_params, make_batch

    rng = np.random.RandomState(5)
    params = init_params("lstm", 5, 7, rng)
    seqs = [[1, 2, 3], [4], [5, 6, 2, 2, 3]]
    together = forward_backward("lstm", params, *make_batch(seqs, 0), need_grads=False)[0]
    apart = sum(forward_backward("lstm", params, *make_batch([s], 0), need_grads=False)[0]
                for s in seqs)
    assert abs(together - apart) < 1e-10


@pytest.mark.parametrize("first", [None, 3])
def test_optimize_gradients(first):
    """optimize's gradients (below the clip) match finite differences of the course's loss,
    written here with one-hot columns; a_prev has the course's shape (n_a, 1)."""
    from seqgen.engine import optimize

    rng = np.random.RandomState(6)
    n_a, n_v = 5, 4
    params = {"Wax": rng.randn(n_a, n_v) * 0.3, "Waa": rng.randn(n_a, n_a) * 0.3,
              "Wya": rng.randn(n_v, n_a) * 0.3, "b": rng.randn(n_a, 1) * 0.1,
              "by": rng.randn(n_v, 1) * 0.1}
    X, Y = [first, 1, 3, 2], [1, 3, 2, 0]
    a0 = rng.randn(n_a, 1) * 0.5

    def J():
        a, loss = a0, 0.0
        for x, y in zip(X, Y):
            xt = np.zeros((n_v, 1))
            if x is not None:
                xt[x] = 1.0
            a = np.tanh(params["Wax"] @ xt + params["Waa"] @ a + params["b"])
            o = params["Wya"] @ a + params["by"]
            loss -= o[y, 0] - np.log(np.exp(o).sum())
        return loss

    numeric = {k: numeric_grad(J, v) for k, v in params.items()}
    before = {k: v.copy() for k, v in params.items()}
    want_loss = J()
    loss, grads, a_last = optimize(X, Y, a0, params, learning_rate=0.1)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    for key in params:
        assert np.abs(grads["d" + key]).max() < 5  # the clip did not act
        assert rel_error(grads["d" + key], numeric[key]) < 1e-7, key
        np.testing.assert_allclose(params[key], before[key] - 0.1 * grads["d" + key],
                                   rtol=1e-13, atol=1e-15)
    assert a_last.shape == (n_a, 1)
