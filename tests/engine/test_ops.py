"""The engine's shared math (seqgen.engine.ops): the sampler, softmax, gates, layouts, smoothing.

Expected values come from computations written here, never from the code's earlier output.
"""

import math
import warnings

import numpy as np
import pytest

from seqgen.engine import lstm_cell_forward
from seqgen.engine.ops import (
    log_softmax,
    logsumexp,
    lstm_gates,
    packed_to_spec,
    sample_index,
    sigmoid,
    smooth,
    softmax,
    spec_to_packed,
)


def probabilities(logits, temperature=1.0):
    z = np.asarray(logits, dtype=float) / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def chi2_critical(df: int) -> float:
    """Upper 0.1% point of the chi-square distribution (Wilson-Hilferty approximation)."""
    z = 3.0902  # standard normal upper 0.1% point
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def chi2(counts, p):
    expected = counts.sum() * p
    return float(((counts - expected) ** 2 / expected).sum())


def draws(logits, n, seed=0, temperature=1.0, top_k=None, top_p=None):
    rng = np.random.default_rng(seed)
    return np.array([sample_index(logits, temperature, rng, top_k=top_k, top_p=top_p)
                     for _ in range(n)])


def smallest_nucleus(p, top_p):
    """The smallest set of most likely indices with mass >= top_p; ties go to the lower index."""
    order = sorted(range(len(p)), key=lambda i: (-p[i], i))
    kept, mass = [], 0.0
    for i in order:
        kept.append(i)
        mass += p[i]
        if mass >= top_p:
            break
    return set(kept)


# --- plain sampling -------------------------------------------------------------------------


def old_sample_index(logits, temperature, rng):
    """The sampler as generate-poem and generate-jazz have drawn until now."""
    logits = np.asarray(logits, dtype=np.float64).ravel()
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    e = np.exp(z - z.max())
    p = e / e.sum()
    return int(min(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"),
                   len(p) - 1))


@pytest.mark.parametrize("temperature", [1.0, 0.7, 1.6])
def test_plain_sampling_is_unchanged_for_existing_seeds(temperature):
    logits = np.random.RandomState(0).randn(40) * 2
    for top_k, top_p in [(None, None), (40, None), (None, 1.0), (100, 1.0)]:  # no-op filters
        ours, theirs = np.random.default_rng(7), np.random.default_rng(7)
        got = [sample_index(logits, temperature, ours, top_k=top_k, top_p=top_p)
               for _ in range(500)]
        want = [old_sample_index(logits, temperature, theirs) for _ in range(500)]
        assert got == want
        assert ours.random() == theirs.random()  # the same number of draws was made


def test_plain_sampling_matches_the_softmax_distribution():
    logits = np.array([1.0, 0.2, -0.5, 2.0, 0.0, -1.0])
    p = probabilities(logits)
    counts = np.bincount(draws(logits, 8000), minlength=len(p))
    assert chi2(counts, p) < chi2_critical(len(p) - 1)


def test_temperature_zero_is_argmax_and_uses_no_randomness():
    rng = np.random.default_rng(0)
    before = np.random.default_rng(0).random()
    assert sample_index([0.1, 3.0, 2.9], 0, rng) == 1
    assert sample_index([0.1, 3.0, 2.9], 0, rng, top_k=1, top_p=0.5) == 1
    assert rng.random() == before


# --- top-k ----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 10])
def test_top_k_never_leaves_the_k_most_likely(k):
    rng = np.random.default_rng(1)
    table = np.random.RandomState(2).randn(50, 40) * 1.5
    for logits in table:  # a new distribution at every step, as in generation
        p = probabilities(logits, 1.3)
        allowed = set(np.argsort(-p, kind="stable")[:k])
        for _ in range(40):
            assert sample_index(logits, 1.3, rng, top_k=k) in allowed


def test_top_k_renormalises_the_tempered_distribution():
    logits = np.array([2.0, 1.5, 0.3, -0.2, 1.0, -2.0])
    temperature, k = 0.8, 3
    p = probabilities(logits, temperature)
    kept = np.argsort(-p)[:k]
    q = np.zeros_like(p)
    q[kept] = p[kept] / p[kept].sum()
    counts = np.bincount(draws(logits, 8000, temperature=temperature, top_k=k),
                         minlength=len(p))
    assert counts[q == 0].sum() == 0
    assert chi2(counts[kept], q[kept]) < chi2_critical(k - 1)


# --- top-p ----------------------------------------------------------------------------------


@pytest.mark.parametrize("top_p", [0.3, 0.5, 0.75, 0.9, 0.99])
def test_top_p_keeps_the_smallest_set_with_enough_mass(top_p):
    p_true = np.array([0.04, 0.4, 0.1, 0.25, 0.06, 0.15])
    logits = np.log(p_true)
    p = probabilities(logits)
    nucleus = smallest_nucleus(p, top_p)
    counts = np.bincount(draws(logits, 4000, top_p=top_p), minlength=len(p))
    assert set(np.flatnonzero(counts)) == nucleus  # every member appears, nothing else
    kept = sorted(nucleus)
    q = p[kept] / p[kept].sum()
    if len(kept) > 1:
        assert chi2(counts[kept], q) < chi2_critical(len(kept) - 1)


def test_top_p_breaks_ties_by_the_lower_index():
    logits = np.log([0.2, 0.3, 0.2, 0.3])  # two ties
    for top_p, want in [(0.3, {1}), (0.5, {1, 3}), (0.7, {0, 1, 3})]:
        got = set(draws(logits, 1500, top_p=top_p))
        assert got == want, top_p


def test_top_p_and_top_k_and_temperature_combine():
    logits = np.random.RandomState(3).randn(30)
    temperature, k, top_p = 1.4, 8, 0.6
    p = probabilities(logits, temperature)
    top = np.argsort(-p)[:k]
    q = np.zeros_like(p)
    q[top] = p[top] / p[top].sum()
    nucleus = smallest_nucleus(q, top_p)
    got = set(draws(logits, 3000, temperature=temperature, top_k=k, top_p=top_p))
    assert got == nucleus


@pytest.mark.parametrize("kw", [{"top_k": 0}, {"top_k": -2}, {"top_k": 2.5}, {"top_k": True},
                                {"top_p": 0.0}, {"top_p": 1.01}, {"top_p": -0.5},
                                {"top_p": float("nan")}, {"temperature": -1.0},
                                {"temperature": float("nan")}])
def test_nonsense_options_raise_value_error(kw):
    temperature = kw.pop("temperature", 1.0)
    with pytest.raises(ValueError):
        sample_index([0.0, 1.0], temperature, np.random.default_rng(0), **kw)


# --- activations, softmax, gates --------------------------------------------------------------


def test_sigmoid_softmax_log_softmax():
    z = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14, atol=2e-16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sigmoid(np.array([-1000.0]))[0] == 0.0  # no overflow warning
    Z = np.random.RandomState(0).randn(4, 6) * 5
    cols = np.exp(Z) / np.exp(Z).sum(axis=0)
    np.testing.assert_allclose(softmax(Z), cols, rtol=1e-13)
    np.testing.assert_allclose(softmax(Z, axis=-1), np.exp(Z) / np.exp(Z).sum(axis=1)[:, None],
                               rtol=1e-13)
    np.testing.assert_allclose(log_softmax(Z), np.log(np.exp(Z) / np.exp(Z).sum(axis=1)[:, None]),
                               rtol=1e-12)
    buf = Z.copy()
    assert softmax(buf, axis=1, out=buf) is buf
    np.testing.assert_allclose(logsumexp(Z, axis=0), np.log(np.exp(Z).sum(axis=0)), rtol=1e-13)
    assert logsumexp(np.array([1000.0, 1000.0])) == 1000.0 + np.log(2)  # no overflow


def test_layout_conversion_round_trip_and_gate_order():
    """The course's cell and the packed (Keras) step agree once the weights are converted."""
    rng = np.random.RandomState(5)
    n_x, n_a, m = 3, 4, 2
    spec = {}
    for gate in "fico":
        spec["W" + gate] = rng.randn(n_a, n_a + n_x)
        spec["b" + gate] = rng.randn(n_a, 1)
    spec["Wy"], spec["by"] = rng.randn(2, n_a), rng.randn(2, 1)
    kernel, recurrent, bias = spec_to_packed(spec)
    assert kernel.shape == (n_x, 4 * n_a) and recurrent.shape == (n_a, 4 * n_a)
    back = packed_to_spec(kernel, recurrent, bias)
    for key, value in back.items():
        np.testing.assert_array_equal(value, spec[key])
    # Keras order is i, f, c, o: block 1 of the packed kernel is the forget gate's input part
    np.testing.assert_array_equal(kernel[:, n_a:2 * n_a], spec["Wf"][:, n_a:].T)
    xt, a_prev, c_prev = rng.randn(n_x, m), rng.randn(n_a, m), rng.randn(n_a, m)
    a_next, c_next, _, _ = lstm_cell_forward(xt, a_prev, c_prev, spec)
    h, c = lstm_gates(xt.T @ kernel + a_prev.T @ recurrent + bias, c_prev.T)
    np.testing.assert_allclose(h, a_next.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c, c_next.T, rtol=1e-12, atol=1e-14)


def test_smooth():
    assert smooth(20.0, 10.0) == 20.0 * 0.999 + 10.0 * 0.001  # the course's formula, exactly
    assert smooth(20.0, 10.0, 0.99) == 0.99 * 20.0 + 0.01 * 10.0
    assert smooth(5.0, 5.0, 0.9) == pytest.approx(5.0)
