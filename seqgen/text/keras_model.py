"""The Shakespeare character model (embedding, two LSTM layers, softmax) in Keras 3. Import lazily
(TensorFlow).

seqgen's model keeps the reference's family — two stacked LSTMs with dropout and a
softmax over the vocabulary — but reads integer characters through an Embedding and
predicts the next character at *every* position of a window (``return_sequences`` on
both layers), so one window of T characters gives T training targets instead of one.
"""

from __future__ import annotations

import numpy as np

import seqgen.keras_loop  # noqa: F401  (quiet TensorFlow, pick the backend)
from seqgen.keras_loop.loop import NamedWeightsTrainer
from seqgen.text.schema import WEIGHT_NAMES


def build_model(vocab_size: int, embed: int, units: int, dropout: float):
    """``(batch, T)`` int32 characters -> ``(batch, T, vocab)`` next-character logits.

    T may vary (``None``); the softmax is applied in the loss and at sampling time.
    """
    import keras

    chars = keras.Input((None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, embed, name="embedding")(chars)  # (b, T, E)
    x = keras.layers.LSTM(units, return_sequences=True, name="lstm1")(x)  # (b, T, u)
    x = keras.layers.Dropout(dropout, name="dropout1")(x)
    x = keras.layers.LSTM(units, return_sequences=True, name="lstm2")(x)  # (b, T, u)
    x = keras.layers.Dropout(dropout, name="dropout2")(x)
    logits = keras.layers.Dense(vocab_size, name="dense")(x)  # (b, T, V)
    return keras.Model(chars, logits, name="shakespeare_lstm")


def sequence_loss(model, inputs, targets, training):
    """Per-window cross-entropy averaged over its positions: ``(batch,)`` nats per char."""
    import keras

    logits = model(inputs, training=training)
    ce = keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)  # (b, T)
    return keras.ops.mean(ce, axis=-1)


def export_weights(model) -> dict[str, np.ndarray]:
    """The model's arrays by name (Keras layout; LSTM gates i, f, c, o)."""
    return dict(zip(WEIGHT_NAMES, (np.asarray(v.numpy()) for v in model.weights), strict=True))


class ShakespeareTrainer(NamedWeightsTrainer):
    """The model and its Adam optimiser on a tf.distribute strategy."""

    WEIGHT_NAMES = WEIGHT_NAMES

    def __init__(self, strategy, vocab_size: int, embed: int, units: int, dropout: float,
                 lr: float, global_batch: int, clipnorm: float, seed: int,
                 weight_decay: float = 0.0):
        import keras

        from seqgen.keras_loop.loop import DistributedTrainer

        keras.utils.set_random_seed(seed)
        self.global_batch = global_batch

        def optimizer():
            if weight_decay > 0:  # decoupled decay: AdamW
                return keras.optimizers.AdamW(learning_rate=lr, weight_decay=weight_decay,
                                              clipnorm=clipnorm or None)
            return keras.optimizers.Adam(learning_rate=lr, clipnorm=clipnorm or None)

        self.trainer = DistributedTrainer(
            strategy, lambda: build_model(vocab_size, embed, units, dropout), optimizer,
            sequence_loss, global_batch=global_batch)

    @property
    def model(self):
        return self.trainer.model

    def input_shard(self) -> tuple[int, int]:
        """``(shard_index, shard_count)`` for this worker's ``WindowSampler``.

        Under ``MultiWorkerMirroredStrategy`` each worker is one shard (its task index);
        otherwise the one process feeds every replica: ``(0, 1)``.
        """
        resolver = getattr(self.trainer.strategy, "cluster_resolver", None)
        if resolver is None or not resolver.cluster_spec().as_dict().get("worker"):
            return 0, 1
        workers = len(resolver.cluster_spec().as_dict()["worker"])
        return int(resolver.task_id or 0), workers

    def batch(self, X: np.ndarray, Y: np.ndarray):
        """The input of :meth:`train_step` from one NumPy batch ``X, Y (rows, T)`` int32.

        ``rows`` is this worker's share of the global batch (all of it in one process):
        the rows ``WindowSampler(..., *self.input_shard())`` gives. Each local replica
        gets its contiguous ``global_batch / replicas`` rows, as ``tf.distribute`` splits
        a batched dataset. No dataset of the epoch is built: one batch, when it is used.
        """
        import tensorflow as tf

        strategy = self.trainer.strategy
        replicas = strategy.num_replicas_in_sync
        if replicas == 1:
            return tf.convert_to_tensor(X), tf.convert_to_tensor(Y)
        shard, shards = self.input_shard()
        per = self.global_batch // replicas  # rows per replica
        local = replicas // shards  # replicas of this worker, numbered from first
        first = shard * local

        def rows(ctx):
            r = ctx.replica_id_in_sync_group - first
            return (tf.convert_to_tensor(X[r * per:(r + 1) * per]),
                    tf.convert_to_tensor(Y[r * per:(r + 1) * per]))

        return strategy.experimental_distribute_values_from_function(rows)

    def train_step(self, batch) -> float:
        """One optimiser step; the mean loss per character of the batch."""
        return self.trainer.train_step(batch)

    def set_lr(self, lr: float) -> None:
        self.trainer.optimizer.learning_rate.assign(lr)
