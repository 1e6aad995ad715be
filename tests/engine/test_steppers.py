"""The engine's step-by-step generators, and the course's public functions called as it does."""

import numpy as np

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
from seqgen.engine.stacked import LSTMLayer, TokenLSTM


def inline_jazz_logits(kernel, recurrent, bias, W, b, measures):
    """The jazz stepper as ``seqgen/jazz/model.py::improvise`` wrote it inline, in plain NumPy.

    Keras gate order i, f, c, o; each measure starts from a zero state and a zero input
    (a (1, V) row of zeros through the kernel), then feeds back the argmax token one-hot.
    """
    def sig(z):
        return 0.5 * (np.tanh(0.5 * z) + 1.0)

    def cell(z, c):
        u = z.shape[-1] // 4
        i, f = sig(z[..., :u]), sig(z[..., u:2 * u])
        g, o = np.tanh(z[..., 2 * u:3 * u]), sig(z[..., 3 * u:])
        c = f * c + i * g
        return o * np.tanh(c), c

    out = []
    u = recurrent.shape[0]
    for tokens in measures:
        h, c, x = np.zeros(u), np.zeros(u), None
        for _ in range(tokens):
            if x is None:
                h, c = cell(np.zeros((1, kernel.shape[0])) @ kernel + h[None] @ recurrent + bias,
                            c[None])
                h, c = h[0], c[0]
            else:
                h, c = cell(kernel[x] + h @ recurrent + bias, c)
            logits = h @ W + b
            out.append(logits)
            x = int(np.argmax(logits))
    return out


def test_token_lstm_matches_the_inline_jazz_stepper_bit_for_bit():
    rng = np.random.RandomState(0)
    V, u = 17, 8
    kernel, recurrent, bias = rng.randn(V, 4 * u), rng.randn(u, 4 * u) * 0.5, rng.randn(4 * u)
    W, b = rng.randn(u, V), rng.randn(V)
    measures = [6, 9, 4]
    want = inline_jazz_logits(kernel, recurrent, bias, W, b, measures)
    model = TokenLSTM(LSTMLayer(kernel, recurrent, bias), W, b)
    got = []
    for tokens in measures:
        model.reset()
        token = None
        for _ in range(tokens):
            logits = model.next_logits(token)
            got.append(logits)
            token = int(np.argmax(logits))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == (V,)
        np.testing.assert_array_equal(g, w)


def test_spec_functions_take_single_column_inputs():
    """m = 1 (one example as a column), the shapes the course gives for every function."""
    rng = np.random.RandomState(0)
    n_x, n_a, n_y, T = 3, 5, 2, 4
    rnn = {"Wax": rng.randn(n_a, n_x), "Waa": rng.randn(n_a, n_a), "Wya": rng.randn(n_y, n_a),
           "ba": rng.randn(n_a, 1), "by": rng.randn(n_y, 1)}
    xt, a_prev = rng.randn(n_x, 1), rng.randn(n_a, 1)
    a_next, yt, cache = rnn_cell_forward(xt, a_prev, rnn)
    assert a_next.shape == (n_a, 1) and yt.shape == (n_y, 1)
    assert abs(yt.sum() - 1) < 1e-12
    g = rnn_cell_backward(np.ones((n_a, 1)), cache)
    assert {k: v.shape for k, v in g.items()} == {
        "dxt": (n_x, 1), "da_prev": (n_a, 1), "dWax": (n_a, n_x), "dWaa": (n_a, n_a),
        "dba": (n_a, 1)}
    x = rng.randn(n_x, 1, T)
    a, y, caches = rnn_forward(x, a_prev, rnn)
    assert a.shape == (n_a, 1, T) and y.shape == (n_y, 1, T)
    g = rnn_backward(np.ones((n_a, 1, T)), caches)
    assert g["dx"].shape == (n_x, 1, T) and g["da0"].shape == (n_a, 1)

    lstm = {"Wy": rng.randn(n_y, n_a), "by": rng.randn(n_y, 1)}
    for gate in "fico":
        lstm["W" + gate] = rng.randn(n_a, n_a + n_x)
        lstm["b" + gate] = rng.randn(n_a, 1)
    c_prev = rng.randn(n_a, 1)
    a_next, c_next, yt, cache = lstm_cell_forward(xt, a_prev, c_prev, lstm)
    assert a_next.shape == c_next.shape == (n_a, 1) and yt.shape == (n_y, 1) and len(cache) == 10
    g = lstm_cell_backward(np.ones((n_a, 1)), np.ones((n_a, 1)), cache)
    assert g["dxt"].shape == (n_x, 1) and g["dc_prev"].shape == (n_a, 1)
    assert all(g["dW" + k].shape == (n_a, n_a + n_x) for k in "fico")
    a, y, c, caches = lstm_forward(x, a_prev, lstm)
    assert a.shape == c.shape == (n_a, 1, T) and y.shape == (n_y, 1, T)
    g = lstm_backward(np.ones((n_a, 1, T)), caches)
    assert g["dx"].shape == (n_x, 1, T) and g["da0"].shape == (n_a, 1)
    assert all(g["db" + k].shape == (n_a, 1) for k in "fico")
