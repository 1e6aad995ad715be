"""The text architectures: Keras and the NumPy engine agree, and the GPU conditions hold.

Each architecture is built in Keras with random weights (LayerNorm scales and biases
randomised too), exported by name and run by the NumPy nets: the logits of a full pass,
of one character at a time and, for the GPT, of the key/value cache after it is rebuilt,
must match Keras to 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.text.nets import net_from_arrays
from seqgen.text.schema import Shape, parameters, weight_shapes

V = 11
SHAPES = {
    "lstm": Shape("lstm", 2, 12, 5, 16),
    "lstm3": Shape("lstm", 3, 8, 4, 16),
    "gru": Shape("gru", 2, 12, 5, 16),
    "gru1": Shape("gru", 1, 9, 6, 16),
    "gpt": Shape("gpt", 2, 16, 16, 8, heads=4),
    "gpt1": Shape("gpt", 1, 12, 12, 6, heads=3),
}


def _randomised(model, seed=0):
    """Give every weight (also LayerNorm's ones and zeros) a random value."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(rng.normal(0, 0.4, v.shape).astype("float32"))


@pytest.fixture(scope="module", params=sorted(SHAPES))
def built(request):
    from seqgen.text.keras_model import build_model, export_weights

    shape = SHAPES[request.param]
    model = build_model(shape, V, 0.0)
    _randomised(model)
    arrays = export_weights(model, shape, V)
    return shape, model, arrays


def test_the_schema_names_every_weight_with_its_shape(built):
    shape, model, arrays = built
    assert {k: v.shape for k, v in arrays.items()} == weight_shapes(shape, V)
    assert parameters(shape, V) == sum(int(np.prod(v.shape)) for v in model.weights)


def test_numpy_full_pass_matches_keras(built):
    shape, model, arrays = built
    rng = np.random.default_rng(1)
    ids = rng.integers(0, V, (3, shape.context)).astype("int32")
    want = np.asarray(model(ids, training=False))  # (3, T, V)
    net = net_from_arrays(shape, arrays)
    got = np.stack([_stepped(net, row) for row in ids])
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def _stepped(net, ids):
    """Logits after each character, read one character at a time (the first by prime)."""
    logits, state = net.prime(ids[:1])
    out = [logits]
    state = net.repeat(state, 1)
    for k in ids[1:]:
        z, state = net.step(np.array([k]), state)
        out.append(z[0])
    return np.stack(out)


def test_numpy_prompt_then_steps_match_keras_for_several_streams(built):
    shape, model, arrays = built
    net = net_from_arrays(shape, arrays)
    prompt = np.array([1, 4, 2])
    logits, state = net.prime(prompt)
    np.testing.assert_allclose(logits, np.asarray(model(prompt[None].astype("int32")))[0, -1],
                               atol=1e-5, rtol=1e-5)
    state = net.repeat(state, 2)
    nxt = np.array([5, 7])
    z, _ = net.step(nxt, state)
    for i, k in enumerate(nxt):
        seq = np.append(prompt, k)[None].astype("int32")
        np.testing.assert_allclose(z[i], np.asarray(model(seq))[0, -1], atol=1e-5, rtol=1e-5)


def test_gpt_cache_beyond_the_context_rebuilds_from_the_last_half():
    from seqgen.text.keras_model import build_model, export_weights

    shape = SHAPES["gpt"]
    model = build_model(shape, V, 0.0)
    _randomised(model, 3)
    net = net_from_arrays(shape, export_weights(model, shape, V))
    C, h = shape.context, shape.context // 2
    ids = np.random.default_rng(2).integers(0, V, 2 * C + 3)
    logits, state = net.prime(ids[:1])
    state = net.repeat(state, 1)
    for t in range(1, len(ids)):
        logits, state = net.step(ids[t:t + 1], state)
        # the characters the cache now covers: since the last rebuild at most C
        filled = t + 1 if t < C else h + (t - C) % h + 1
        window = ids[t + 1 - filled:t + 1][None].astype("int32")
        np.testing.assert_allclose(logits[0], np.asarray(model(window))[0, -1],
                                   atol=1e-5, rtol=1e-5)


def test_scoring_equals_the_mean_log_loss_of_keras_logits(built):
    """The held-out scorer of each net against a direct computation from Keras' logits."""
    shape, model, arrays = built
    net = net_from_arrays(shape, arrays)
    ids = np.random.default_rng(4).integers(0, V, 3 * shape.context).astype(np.uint8)
    first, last = shape.context, 3 * shape.context
    total, count = net.nll(ids, np.array([first]), np.array([last]), np.array([0]))
    assert count == last - first
    if shape.arch == "gpt":  # each window's logits: the C characters before its chunk's end
        h, C, want = shape.context // 2, shape.context, 0.0
        for c0 in range(first, last, h):
            c1 = min(c0 + h, last)
            x = ids[c1 - 1 - C:c1 - 1][None].astype("int32")
            logp = _log_softmax(np.asarray(model(x))[0])  # (C, V)
            for p in range(c0, c1):
                want -= logp[p - (c1 - C), ids[p]]
    else:  # recurrent: the whole text from the start
        logp = _log_softmax(np.asarray(model(ids[None, :-1].astype("int32")))[0])
        want = -sum(logp[p - 1, ids[p]] for p in range(first, last))
    assert total == pytest.approx(want, rel=1e-5)


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_recurrent_layers_keep_the_cudnn_conditions(arch):
    from seqgen.text.keras_model import build_model, cudnn_ready

    assert cudnn_ready(build_model(Shape(arch, 2, 8, 4, 8), V, 0.3)) == []


def test_the_cudnn_check_names_a_layer_that_breaks_them():
    import keras

    from seqgen.text.keras_model import cudnn_ready

    x = keras.Input((None, 3))
    y = keras.layers.GRU(4, reset_after=False, name="g")(x)
    y = keras.layers.RepeatVector(2)(y)
    y = keras.layers.LSTM(4, recurrent_dropout=0.1, activation="relu", name="l")(y)
    problems = cudnn_ready(keras.Model(x, y))
    assert any(p.startswith("g: reset_after") for p in problems)
    assert any(p.startswith("l: activation") for p in problems)
    assert any(p.startswith("l: recurrent_dropout") for p in problems)
