"""The jazz model: the sequence LSTM equals the reference's unrolled one, and the NumPy
stepper used by generate-jazz reproduces the Keras model from its exported weights."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.engine.stacked import LSTMLayer, softmax_rows
from seqgen.jazz.corpus import make_windows

T, U, V = 7, 5, 6


@pytest.fixture(scope="module")
def trained():
    """A tiny model trained for two epochs on random windows (TensorFlow)."""
    pytest.importorskip("tensorflow")
    from seqgen.jazz.keras_model import JazzTrainer
    from seqgen.keras_loop.distribute import get_strategy

    ids = np.random.default_rng(0).integers(0, V, size=40)
    X, Y = make_windows(ids, V, 8, T, seed=0)
    trainer = JazzTrainer(get_strategy("default"), V, U, T, lr=0.01, batch_size=4, seed=0)
    losses = [trainer.train_epoch(X, Y, np.arange(8)) for _ in range(2)]
    return trainer, X, Y, losses


def test_windows_shift_targets_into_inputs():
    ids = np.arange(20) % V
    X, Y = make_windows(ids, V, 3, T, seed=0)
    assert X.shape == Y.shape == (3, T, V)
    assert not X[:, 0].any()  # step 0: zero input
    np.testing.assert_array_equal(X[:, 1:], Y[:, :-1])  # step t: token t-1
    assert (Y.sum(-1) == 1).all()


@pytest.mark.slow
def test_training_lowers_the_loss(trained):
    _, _, _, losses = trained
    assert losses[1] < losses[0] and np.isfinite(losses).all()


@pytest.mark.slow
def test_numpy_stepper_matches_the_keras_model(trained):
    trainer, X, _, _ = trained
    keras_logits = np.asarray(trainer.trainer.model(X[:2]))  # (2, T, V)
    w = trainer.weights()
    lstm = LSTMLayer(w["lstm_kernel"], w["lstm_recurrent"], w["lstm_bias"])
    h, c = np.zeros((2, U)), np.zeros((2, U))
    for t in range(T):
        h, c = lstm.step(X[:2, t].astype(np.float64), h, c)
        logits = h @ w["dense_kernel"] + w["dense_bias"]
        np.testing.assert_allclose(logits, keras_logits[:, t], atol=1e-5)


@pytest.mark.slow
def test_sequence_model_equals_the_unrolled_reference(trained):
    from seqgen.jazz.keras_model import WEIGHT_NAMES, unrolled_reference_model

    trainer, X, _, _ = trained
    ref = unrolled_reference_model(T, U, V)
    w = trainer.weights()
    ref.get_layer("lstm").set_weights([w[k] for k in WEIGHT_NAMES[:3]])
    ref.get_layer("dense").set_weights([w[k] for k in WEIGHT_NAMES[3:]])
    zeros = np.zeros((len(X), U), dtype=np.float32)
    outs = np.stack([np.asarray(o) for o in ref([X, zeros, zeros])], axis=1)  # (m, T, V)
    ours = softmax_rows(np.asarray(trainer.trainer.model(X), dtype=np.float64))
    np.testing.assert_allclose(outs, ours, atol=1e-5)
