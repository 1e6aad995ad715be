"""Train a tiny LSTM language model with DistributedTrainer and print its losses as JSON.

Usage: python tiny_distributed.py STRATEGY [STEPS]   (run in a fresh process: the
logical-CPU split must happen before TensorFlow initialises)
"""

import json
import sys

import numpy as np

from seqgen.keras_loop.distribute import get_strategy
from seqgen.keras_loop.loop import DistributedTrainer


def main() -> None:
    name = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    strategy = get_strategy(name)
    import keras
    import tensorflow as tf

    vocab, T, batch = 11, 12, 16

    def build():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((T,), dtype="int32"),
                                  keras.layers.Embedding(vocab, 8),
                                  keras.layers.LSTM(16, return_sequences=True),
                                  keras.layers.Dense(vocab)])
        return model

    def loss(model, x, y, training):
        logits = model(x, training=training)
        per_token = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        return tf.reduce_mean(per_token, axis=-1)

    trainer = DistributedTrainer(strategy, build, lambda: keras.optimizers.Adam(0.01), loss,
                                 global_batch=batch)
    rng = np.random.RandomState(0)
    data = rng.randint(0, vocab, size=(batch * steps, T + 1)).astype("int32")
    ds = tf.data.Dataset.from_tensor_slices((data[:, :-1], data[:, 1:])).batch(batch)
    it = iter(trainer.distribute(ds))
    losses = [trainer.train_step(next(it)) for _ in range(steps)]
    print(json.dumps({"replicas": trainer.replicas, "losses": losses}))


if __name__ == "__main__":
    main()
