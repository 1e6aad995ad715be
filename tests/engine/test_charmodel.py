"""The course's character model: clip, sample, optimize, model, the trainer and the held-out loss.

Every expected value is computed here by an independent one-hot, column-vector NumPy
implementation of the course's formulas (``ref_*`` below), never taken from the engine.
"""

import copy
import math

import numpy as np
import pytest

from seqgen.engine import clip, model, optimize, sample
from seqgen.engine.charmodel import CharRNNTrainer, names_to_examples, rnn_nll

KEYS = ("Wax", "Waa", "Wya", "b", "by")


def random_params(rng, n_a, n_v, scale=0.3):
    return {"Wax": rng.randn(n_a, n_v) * scale, "Waa": rng.randn(n_a, n_a) * scale,
            "Wya": rng.randn(n_v, n_a) * scale, "b": rng.randn(n_a, 1) * 0.1,
            "by": rng.randn(n_v, 1) * 0.1}


def one_hot(i, n):
    x = np.zeros((n, 1))
    if i is not None:
        x[i] = 1.0
    return x


def ref_step(p, x, a):
    """One step: new hidden state (n_a,1) and output probabilities (n_y,1)."""
    a = np.tanh(p["Wax"] @ x + p["Waa"] @ a + p["b"])
    o = p["Wya"] @ a + p["by"]
    return a, np.exp(o) / np.exp(o).sum()


def ref_loss(p, X, Y, a_prev):
    n_v = p["Wax"].shape[1]
    a, loss = np.reshape(a_prev, (-1, 1)), 0.0
    for x, y in zip(X, Y):
        a, prob = ref_step(p, one_hot(x, n_v), a)
        loss -= math.log(prob[y, 0])
    return loss


def ref_forward_backward(p, X, Y, a_prev):
    """Loss, gradients (``dWax, dWaa, dWya, db, dby``) and the last hidden state (n_a,1)."""
    n_v = p["Wax"].shape[1]
    xs, hs, ps = [], [np.reshape(a_prev, (-1, 1))], []
    loss = 0.0
    for x, y in zip(X, Y):
        xs.append(one_hot(x, n_v))
        a, prob = ref_step(p, xs[-1], hs[-1])
        hs.append(a)
        ps.append(prob)
        loss -= math.log(prob[y, 0])
    g = {"d" + k: np.zeros_like(p[k]) for k in KEYS}
    da_next = np.zeros_like(hs[0])
    for t in reversed(range(len(X))):
        dy = ps[t].copy()
        dy[Y[t]] -= 1.0
        g["dWya"] += dy @ hs[t + 1].T
        g["dby"] += dy
        dz = (1.0 - hs[t + 1] ** 2) * (p["Wya"].T @ dy + da_next)
        g["db"] += dz
        g["dWax"] += dz @ xs[t].T
        g["dWaa"] += dz @ hs[t].T
        da_next = p["Waa"].T @ dz
    return loss, g, hs[-1]


def ref_sgd(p, X, Y, a_prev, lr, clip_value=5.0):
    """The course's optimize, independently: forward, backward, clip, update in place."""
    loss, g, a_last = ref_forward_backward(p, X, Y, a_prev)
    g = {k: np.minimum(np.maximum(v, -clip_value), clip_value) for k, v in g.items()}
    for k in KEYS:
        p[k] -= lr * g["d" + k]
    return loss, g, a_last


# --- clip -------------------------------------------------------------------------------------


def test_clip_bounds_elementwise_and_never_mutates():
    rng = np.random.RandomState(0)
    grads = {"dWaa": rng.randn(4, 4) * 10, "dWax": rng.randn(4, 3) * 10,
             "dWya": rng.randn(3, 4) * 10, "db": rng.randn(4, 1) * 10, "dby": rng.randn(3, 1) * 10}
    before = copy.deepcopy(grads)
    out = clip(grads, 5)
    for key, g in grads.items():
        np.testing.assert_array_equal(g, before[key])  # input untouched
        assert out[key] is not g
        want = np.where(g > 5, 5.0, np.where(g < -5, -5.0, g))
        np.testing.assert_array_equal(out[key], want)
        assert np.abs(out[key]).max() <= 5
    out["dWaa"][...] = 0.0  # the result is a separate copy
    np.testing.assert_array_equal(grads["dWaa"], before["dWaa"])


# --- sample -----------------------------------------------------------------------------------


def constant_params(by, n_a=4):
    """Zero weights: the hidden state stays 0 and every step's distribution is softmax(by)."""
    n_v = len(by)
    return {"Wax": np.zeros((n_a, n_v)), "Waa": np.zeros((n_a, n_a)),
            "Wya": np.zeros((n_v, n_a)), "b": np.zeros((n_a, 1)),
            "by": np.asarray(by, dtype=float).reshape(-1, 1)}


def test_sample_first_character_follows_the_softmax():
    probs = np.array([0.45, 0.1, 0.2, 0.15, 0.1])  # newline likely: short names, a fast test
    by = np.log(probs) + 0.7
    char_to_ix = {"\n": 0, "a": 1, "b": 2, "c": 3, "d": 4}
    n = 3000
    counts = np.bincount([sample(constant_params(by), char_to_ix, s)[0] for s in range(n)],
                         minlength=len(by))
    chi2 = float(((counts - n * probs) ** 2 / (n * probs)).sum())
    assert chi2 < 18.47  # chi-square, 4 degrees of freedom, upper 0.1% point


def test_sample_follows_the_seeding_protocol():
    """Draw k uses RandomState(seed + 2k).choice(range(V), p=...) on the true softmax."""
    rng = np.random.RandomState(3)
    n_a, n_v = 6, 5
    p = random_params(rng, n_a, n_v, scale=0.8)
    char_to_ix = {"\n": 0, "a": 1, "b": 2, "c": 3, "d": 4}
    for seed in range(10):
        want, a, x = [], np.zeros((n_a, 1)), None
        while True:
            a, prob = ref_step(p, one_hot(x, n_v), a)
            x = int(np.random.RandomState(seed + 2 * len(want)).choice(range(n_v),
                                                                        p=prob.ravel()))
            want.append(x)
            if x == 0:
                break
            if len(want) == 50:
                want.append(0)
                break
        assert sample(p, char_to_ix, seed) == want


def test_sample_stops_at_newline_and_at_fifty_characters():
    char_to_ix = {"\n": 0, "a": 1, "b": 2}
    assert sample(constant_params([50.0, 0.0, 0.0]), char_to_ix, 0) == [0]
    long = sample(constant_params([-50.0, 0.0, 0.0]), char_to_ix, 0)
    assert len(long) == 51 and long[-1] == 0 and 0 not in long[:50]


# --- optimize ---------------------------------------------------------------------------------


@pytest.mark.parametrize("first", [None, 2])
@pytest.mark.parametrize("scale", [0.3, 3.0])  # 3.0: large gradients, clipping is active
def test_optimize_is_one_sgd_step(first, scale):
    rng = np.random.RandomState(7)
    n_a, n_v = 7, 6
    params = random_params(rng, n_a, n_v, scale)
    X = [first, 3, 1, 5, 4, 2, 2, 5]
    Y = X[1:] + [0]
    a_prev = rng.randn(n_a, 1)  # the course's shape
    expected = copy.deepcopy(params)
    want_loss, want_g, want_a = ref_sgd(expected, X, Y, a_prev, lr=0.05)
    arrays = {k: params[k] for k in KEYS}
    loss, grads, a_last = optimize(X, Y, a_prev, params, 0.05)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    assert a_last.shape == (n_a, 1)
    np.testing.assert_allclose(a_last, want_a, rtol=1e-12, atol=1e-14)
    for k in KEYS:
        assert params[k] is arrays[k]  # updated in place
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grads["d" + k], want_g["d" + k], rtol=1e-10, atol=1e-13)
    if scale == 3.0:
        assert max(np.abs(g).max() for g in grads.values()) == 5.0


def test_optimize_accepts_a_flat_hidden_state_and_the_default_rate():
    rng = np.random.RandomState(1)
    params = random_params(rng, 5, 4)
    expected = copy.deepcopy(params)
    a_prev = rng.randn(5)
    want_loss, _, want_a = ref_sgd(expected, [None, 1, 2], [1, 2, 0], a_prev, lr=0.01)
    loss, _, a_last = optimize([None, 1, 2], [1, 2, 0], a_prev, params)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(a_last, want_a, rtol=1e-12)
    for k in KEYS:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12, atol=1e-14)


def test_trainer_step_with_a_real_first_input():
    rng = np.random.RandomState(2)
    params = random_params(rng, 6, 5)
    expected = copy.deepcopy(params)
    X, Y, a_prev = [4, 1, 3], [1, 3, 0], rng.randn(6, 1)
    want_loss, _, want_a = ref_sgd(expected, X, Y, a_prev, lr=0.1)
    trainer = CharRNNTrainer(params, learning_rate=0.1)
    loss, a_last = trainer.step(X, Y, a_prev)
    assert loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(a_last, want_a[:, 0], rtol=1e-12)
    for k in KEYS:
        np.testing.assert_allclose(trainer.parameters[k], expected[k], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("X, Y", [([None, 1], [1]), ([1, None, 2], [1, 2, 0]), ([], [])])
def test_trainer_step_rejects_malformed_examples(X, Y):
    trainer = CharRNNTrainer(random_params(np.random.RandomState(0), 3, 3))
    with pytest.raises(ValueError):
        trainer.step(X, Y, np.zeros(3))


# --- model --------------------------------------------------------------------------------------


def test_model_follows_the_training_protocol(capsys):
    """``model`` equals the course's loop run independently for exactly num_iterations steps."""
    lines = ["Abca\n", "bcab\n", "CAB\n", "aacb\n", "bbaca\n"]
    ix_to_char = {0: "\n", 1: "a", 2: "b", 3: "c"}
    char_to_ix = {c: i for i, c in ix_to_char.items()}
    n_a, n_v, iters = 5, 4, 2001
    params, last_name = model(lines, ix_to_char, char_to_ix, num_iterations=iters, n_a=n_a,
                              dino_names=3, vocab_size=n_v)
    out = capsys.readouterr().out
    reports = [line.split(",")[0] for line in out.splitlines() if line.startswith("Iteration:")]
    assert reports == ["Iteration: 0", "Iteration: 1000", "Iteration: 2000"]
    assert {k: v.shape for k, v in params.items()} == {
        "Wax": (n_a, n_v), "Waa": (n_a, n_a), "Wya": (n_v, n_a), "b": (n_a, 1), "by": (n_v, 1)}
    assert last_name == last_name.strip() and set(last_name.lower()) <= set("abc")

    # the protocol, independently: init from seed 1, names shuffled with seed 0, state carried
    init = np.random.RandomState(1)
    ref = {"Wax": init.randn(n_a, n_v) * 0.01, "Waa": init.randn(n_a, n_a) * 0.01,
           "Wya": init.randn(n_v, n_a) * 0.01, "b": np.zeros((n_a, 1)), "by": np.zeros((n_v, 1))}
    start = copy.deepcopy(ref)
    names = [line.lower().strip() for line in lines]
    np.random.RandomState(0).shuffle(names)
    a = np.zeros((n_a, 1))
    for j in range(iters):
        ix = [char_to_ix[c] for c in names[j % len(names)]]
        _, _, a = ref_sgd(ref, [None] + ix, ix + [0], a, lr=0.01)
    for k in KEYS:
        np.testing.assert_allclose(params[k], ref[k], rtol=1e-9, atol=1e-12)

    def mean_loss(p):
        total = 0.0
        for name in names:
            ix = [char_to_ix[c] for c in name]
            total += ref_loss(p, [None] + ix, ix + [0], np.zeros((n_a, 1)))
        return total / len(names)

    assert mean_loss(params) < 0.9 * mean_loss(start)  # training lowered the loss


# --- held-out loss --------------------------------------------------------------------------


def test_rnn_nll_is_the_mean_loss_per_character():
    rng = np.random.RandomState(4)
    params = random_params(rng, 6, 4, scale=0.7)
    char_to_ix = {"\n": 0, "a": 1, "b": 2, "c": 3}
    names = ["abc", "ca", "", "bbbca"]
    examples = names_to_examples(names, char_to_ix)
    total = sum(ref_loss(params, X, Y, np.zeros((6, 1))) for X, Y in examples)
    chars = sum(len(n) + 1 for n in names)
    assert rnn_nll(params, examples) == pytest.approx(total / chars, rel=1e-12)
    assert rnn_nll(params, []) == 0.0
