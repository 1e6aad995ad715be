"""The NumPy stack computes the Keras model's next-character probabilities (to 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.engine.stacked import softmax_rows
from seqgen.text.model import stack_from_arrays
from seqgen.text.schema import Shape

V, E, U = 38, 8, 24
SHAPE = Shape("lstm", 2, U, E, 64)


@pytest.fixture(scope="module")
def keras_model():
    import keras

    from seqgen.text.keras_model import build_model, export_weights

    keras.utils.set_random_seed(3)
    model = build_model(SHAPE, V, dropout=0.5)
    # move the biases and embedding off their initial values so every array matters
    rng = np.random.default_rng(0)
    for var in model.weights:
        var.assign(var.numpy() + rng.normal(0, 0.3, var.shape).astype("float32"))
    return model, export_weights(model, SHAPE, V)


def test_exported_names_and_shapes(keras_model):
    """The Keras model exports exactly the arrays of the one schema the NumPy loader checks."""
    from seqgen.text.schema import weight_shapes

    model, arrays = keras_model
    assert len(arrays) == len(model.weights) == 9
    assert {k: v.shape for k, v in arrays.items()} == weight_shapes(SHAPE, V)


def test_numpy_sequence_and_stepper_match_keras_to_1e_5(keras_model):
    model, arrays = keras_model
    ids = np.random.default_rng(1).integers(0, V, size=(3, 57)).astype("int32")
    p_keras = softmax_rows(np.asarray(model(ids, training=False), dtype=np.float64))  # (3,T,V)
    stack = stack_from_arrays(arrays)
    for b in range(len(ids)):
        logits, _ = stack.logits_sequence(ids[b])
        np.testing.assert_allclose(softmax_rows(logits), p_keras[b], atol=1e-5, rtol=0)
        state = stack.zero_state()
        for t, k in enumerate(ids[b]):  # one character at a time, state carried
            step_logits, state = stack.step(int(k), state)
            np.testing.assert_allclose(softmax_rows(step_logits), p_keras[b, t], atol=1e-5,
                                       rtol=0)


def test_state_carries_across_calls(keras_model):
    _, arrays = keras_model
    stack = stack_from_arrays(arrays)
    ids = np.random.default_rng(2).integers(0, V, size=40)
    whole, _ = stack.logits_sequence(ids)
    first, state = stack.logits_sequence(ids[:15])
    second, _ = stack.logits_sequence(ids[15:], state)
    np.testing.assert_allclose(np.vstack([first, second]), whole, atol=1e-10)
    # a fresh state gives different predictions: the context really is used
    assert np.abs(stack.logits_sequence(ids[15:])[0] - second).max() > 1e-3


def test_dropout_is_active_only_in_training(keras_model):
    model, _ = keras_model
    ids = np.zeros((2, 10), dtype="int32")
    a = np.asarray(model(ids, training=False))
    np.testing.assert_array_equal(a, np.asarray(model(ids, training=False)))
    assert np.abs(np.asarray(model(ids, training=True)) - a).max() > 1e-4


def test_heldout_nll_matches_keras_on_the_same_stream(keras_model, tmp_path):
    import keras

    from seqgen.text.heldout import heldout_nll
    from tests.helpers.reference_text import heldout_stream

    model, arrays = keras_model
    ids = np.random.default_rng(4).integers(0, V, size=300).astype("int32")
    inputs, targets = heldout_stream(ids, 250, warmup=100)
    logits = np.asarray(model(inputs[None], training=False))[0]  # one pass, full context
    ce = keras.ops.sparse_categorical_crossentropy(targets, logits[99:], from_logits=True)
    expected = float(np.mean(np.asarray(ce)))
    got = heldout_nll(stack_from_arrays(arrays), ids, 250, 100, streams=1)
    assert got == pytest.approx(expected, abs=1e-5)


def test_generation_reads_the_prompt_once_then_one_step_per_character(monkeypatch):
    from seqgen.engine.stacked import CharLSTMStack
    from seqgen.text import model as text_model

    calls = {"sequence": [], "step": 0}
    sequence, step = CharLSTMStack.logits_sequence, CharLSTMStack.step

    def count_sequence(self, ids, state=None):
        calls["sequence"].append(len(ids))
        return sequence(self, ids, state)

    def count_step(self, token, state):
        calls["step"] += 1
        return step(self, token, state)

    monkeypatch.setattr(CharLSTMStack, "logits_sequence", count_sequence)
    monkeypatch.setattr(CharLSTMStack, "step", count_step)
    from seqgen.text.config import TextSampling

    poem = text_model.generate_text("Shall I compare thee", TextSampling(length=50), seed=0)
    text = poem.text
    assert len(text) == 50 and poem.skipped == ()
    assert calls["sequence"] == [1 + len("shall i compare thee")]  # newline + prompt, once
    assert calls["step"] == 49  # one step per new character but the last
    again = text_model.generate_text("Shall I compare thee", TextSampling(length=50), seed=0)
    assert again.text == text
