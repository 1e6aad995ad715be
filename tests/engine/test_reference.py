"""The course's published reference values, computed by the engine from the specified draws."""

import numpy as np
from numpy.testing import assert_allclose

from seqgen.engine import lstm_cell_forward, rnn_cell_forward, rnn_forward


def test_rnn_cell_forward_reference():
    np.random.seed(1)
    xt, a_prev = np.random.randn(3, 10), np.random.randn(5, 10)
    p = {"Waa": np.random.randn(5, 5), "Wax": np.random.randn(5, 3),
         "Wya": np.random.randn(2, 5), "ba": np.random.randn(5, 1), "by": np.random.randn(2, 1)}
    a_next, yt_pred, cache = rnn_cell_forward(xt, a_prev, p)
    assert_allclose(a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218, 0.85016201,
                                0.99980978, -0.18887155, 0.99815551, 0.6531151, 0.82872037],
                    atol=5e-9)
    assert_allclose(yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467, 0.98988387,
                                 0.88945212, 0.36920224, 0.9966312, 0.9982559, 0.17746526],
                    atol=5e-9)
    assert a_next.shape == (5, 10) and yt_pred.shape == (2, 10)
    assert cache[1] is a_prev and cache[2] is xt and cache[3] is p


def test_rnn_forward_reference():
    np.random.seed(1)
    x, a0 = np.random.randn(3, 10, 4), np.random.randn(5, 10)
    p = {"Waa": np.random.randn(5, 5), "Wax": np.random.randn(5, 3),
         "Wya": np.random.randn(2, 5), "ba": np.random.randn(5, 1), "by": np.random.randn(2, 1)}
    a, y_pred, caches = rnn_forward(x, a0, p)
    assert a.shape == (5, 10, 4) and y_pred.shape == (2, 10, 4)
    assert_allclose(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267], atol=5e-9)
    assert_allclose(y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947], atol=5e-9)
    assert len(caches[0]) == 4 and caches[1] is x


def test_lstm_cell_forward_reference():
    np.random.seed(1)
    xt, a_prev, c_prev = np.random.randn(3, 10), np.random.randn(5, 10), np.random.randn(5, 10)
    p = {}
    for gate in ("f", "i", "o", "c"):
        p["W" + gate] = np.random.randn(5, 8)
        p["b" + gate] = np.random.randn(5, 1)
    p["Wy"], p["by"] = np.random.randn(2, 5), np.random.randn(2, 1)
    a_next, c_next, yt, cache = lstm_cell_forward(xt, a_prev, c_prev, p)
    assert_allclose(a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167, -0.85575339,
                                0.00138482, 0.76566531, 0.34631421, -0.00215674, 0.43827275],
                    atol=5e-9)
    assert_allclose(c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913, -1.64566718,
                                0.11832942, 0.76449811, -0.0981561, -0.74348425, -0.26810932],
                    atol=5e-9)
    assert len(cache) == 10 and yt.shape == (2, 10)
