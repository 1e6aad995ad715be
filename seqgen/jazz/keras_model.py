"""The jazz models in Keras: the grammar-token LSTM (the course's jazz model) and the note model.

The grammar model is one LSTM(64) over 30 steps with a shared Dense softmax.

The reference unrolls 30 calls of one LSTM cell with 30 separate outputs; one
sequence LSTM with ``return_sequences=True`` and a time-distributed Dense is the
same function with the same 5 weight arrays, built and trained as one graph.

The note model is an LSTM over melody events with a pitch head and a duration head. Its
inputs ``(batch, T, INPUT_WIDTH)`` are the events' features (``seqgen.jazz.events``: the
previous event and the harmony at this one); the LSTM's output at each step feeds two
softmaxes, the pitch relative to the chord's root (or a rest) and the duration. An event's
probability is the product of the two, so its loss is the sum of their cross-entropies.
Padding steps (target -1) count for nothing.

Import lazily (TensorFlow).
"""

from __future__ import annotations

import numpy as np

import seqgen.keras_loop  # noqa: F401  (quiet TensorFlow, pick the backend)
from seqgen.jazz.events import INPUT_WIDTH, LSTM_WIDTH, MAX_STEPS, PITCH_OUT
from seqgen.jazz.schema import NOTE_WEIGHT_NAMES, WEIGHT_NAMES
from seqgen.keras_loop.loop import NamedWeightsTrainer


def build_model(vocab_size: int, hidden: int, steps: int):
    """``(batch, steps, vocab)`` one-hot inputs -> ``(batch, steps, vocab)`` logits.

    The softmax is applied in the loss (``from_logits``) and at sampling time.
    """
    import keras

    inputs = keras.Input((steps, vocab_size), name="tokens")
    h = keras.layers.LSTM(hidden, return_sequences=True, name="lstm")(inputs)  # (b, T, u)
    logits = keras.layers.Dense(vocab_size, name="dense")(h)  # shared over the T steps
    return keras.Model(inputs, logits, name="jazz_lstm")


def unrolled_reference_model(steps: int, hidden: int, vocab_size: int):
    """The reference's model, in Keras 3: 30 calls of one shared LSTM, 30 softmax outputs.

    Inputs ``[X (b, T, V), a0 (b, u), c0 (b, u)]``; slicing uses ``keras.ops`` because
    Keras 3 rejects raw ``tf`` ops on symbolic tensors. Kept for the benchmark and for
    the test that it computes the same function as :func:`build_model`.
    """
    import keras
    from keras import layers

    X = keras.Input((steps, vocab_size))
    a0 = keras.Input((hidden,))
    c0 = keras.Input((hidden,))
    reshape = layers.Reshape((1, vocab_size))
    cell = layers.LSTM(hidden, return_state=True, name="lstm")  # shared by all T calls
    dense = layers.Dense(vocab_size, activation="softmax", name="dense")
    a, c, outputs = a0, c0, []
    for t in range(steps):
        x = layers.Lambda(lambda z, t=t: keras.ops.take(z, t, axis=1),
                          output_shape=(vocab_size,))(X)
        a, _, c = cell(reshape(x), initial_state=[a, c])
        outputs.append(dense(a))
    return keras.Model([X, a0, c0], outputs)


def token_loss(model, inputs, targets, training):
    """Per-window cross-entropy, averaged over its steps: ``(batch,)`` nats per token."""
    import keras

    logits = model(inputs, training=training)
    ce = keras.ops.categorical_crossentropy(targets, logits, from_logits=True)  # (b, T)
    return keras.ops.mean(ce, axis=-1)


class JazzTrainer(NamedWeightsTrainer):
    """The model and its Adam optimiser on a tf.distribute strategy."""

    WEIGHT_NAMES = WEIGHT_NAMES

    def __init__(self, strategy, vocab_size: int, hidden: int, steps: int, lr: float,
                 batch_size: int, seed: int):
        import keras

        from seqgen.keras_loop.loop import DistributedTrainer

        keras.utils.set_random_seed(seed)
        # batch_size is per replica; one step takes that many windows on every replica
        self.global_batch = batch_size * strategy.num_replicas_in_sync
        self.trainer = DistributedTrainer(
            strategy, lambda: build_model(vocab_size, hidden, steps),
            lambda: keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999),
            token_loss, global_batch=self.global_batch)

    def train_epoch(self, X: np.ndarray, Y: np.ndarray, order: np.ndarray) -> float:
        """One pass over the windows in ``order``; the mean loss per token of the epoch."""
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices((X[order], Y[order])).batch(self.global_batch)
        total = 0.0
        for batch in self.trainer.distribute(ds):
            # the step returns sum(window losses) / global batch
            total += self.trainer.train_step(batch) * self.global_batch
        return total / len(order)


# --------------------------------------------------------------- the note model

def build_note_model(hidden: int, steps: int, dropout: float = 0.0,
                     input_dropout: float = 0.0):
    """``(batch, steps, INPUT_WIDTH)`` -> pitch logits ``(b, T, PITCH_OUT)`` and duration
    logits ``(b, T, MAX_STEPS)``: the LSTM's heads plus the previous event's direct paths
    (:func:`previous_event_layer`).

    ``input_dropout`` drops that share of the input features while training (never when
    scoring or improvising): the network learns not to lean on any one of them, which
    serves it when it reads its own notes rather than a real melody's.
    """
    import keras

    inputs = keras.Input((steps, INPUT_WIDTH), name="events")
    x = keras.layers.Lambda(lambda z: z[..., :LSTM_WIDTH], output_shape=(steps, LSTM_WIDTH),
                            name="lstm_inputs")(inputs)  # not the event's own length
    if input_dropout:
        x = keras.layers.Dropout(input_dropout, name="input_dropout")(x)
    h = keras.layers.LSTM(hidden, return_sequences=True, name="lstm")(x)  # (b, T, u)
    if dropout:
        h = keras.layers.Dropout(dropout, name="dropout")(h)
    pitch = keras.layers.Dense(PITCH_OUT, name="pitch")(h)
    duration = keras.layers.Dense(MAX_STEPS, name="duration")(h)
    by_interval, by_length = previous_event_layer()(inputs)
    pitch = keras.layers.Add(name="pitch_logits")([pitch, by_interval])
    duration = keras.layers.Add(name="duration_logits")([duration, by_length])
    return keras.Model(inputs, [pitch, duration], name="jazz_notes")


def previous_event_layer():
    """The previous event's direct paths to the two heads, beside the LSTM:

    - pitch: one weight per interval from the previous pitch (``interval_weights``, 255 of
      them, from 127 semitones down to 127 up), added to the logit of each pitch that far
      away; nothing after a rest or at the start. Both pitches are relative to the same
      chord root, so the interval is the real one;
    - pitch: one weight per interval for each value of the contour features (the step into
      the previous pitch, its height against the line: ``contour_weights``) and for each
      length of the event itself (``length_weights``), added the same way: how a line
      moves on after a step or a leap, high or low in its range, in a short note or a long;
    - duration: a matrix from the previous event's length (``rhythm_kernel``), added to the
      duration logits.

    Zero at the start of training, so the model begins as the LSTM alone.
    """
    import keras
    from keras import ops

    from seqgen.jazz.events import (
        CONTOUR,
        CONTOUR_WIDTH,
        LENGTH_NOW,
        PITCHES,
        PREVIOUS_LENGTH,
        PREVIOUS_PITCH,
        interval_index,
    )

    class PreviousEvent(keras.layers.Layer):
        def build(self, input_shape):
            self.intervals = self.add_weight(shape=(2 * PITCHES - 1,), initializer="zeros",
                                             name="interval_weights")
            self.rhythm = self.add_weight(shape=(MAX_STEPS + 1, MAX_STEPS),
                                          initializer="zeros", name="rhythm_kernel")
            self.contour = self.add_weight(shape=(CONTOUR_WIDTH, 2 * PITCHES - 1),
                                           initializer="zeros", name="contour_weights")
            self.length = self.add_weight(shape=(MAX_STEPS, 2 * PITCHES - 1),
                                          initializer="zeros", name="length_weights")
            self.index = interval_index()

        def call(self, x):
            previous = x[..., PREVIOUS_PITCH]
            by_interval = ops.matmul(previous, ops.take(self.intervals, self.index))
            # each event's own interval weights, read at (next pitch - previous pitch)
            weights = (ops.matmul(x[..., CONTOUR], self.contour)
                       + ops.matmul(x[..., LENGTH_NOW], self.length))  # (b, T, 2 * PITCHES - 1)
            at = (ops.arange(PITCHES)[None, None, :] + (PITCHES - 1)
                  - ops.cast(ops.argmax(previous, axis=-1), "int32")[..., None])
            by_interval += (ops.take_along_axis(weights, at, axis=-1)
                            * ops.sum(previous, axis=-1, keepdims=True))  # none after a rest
            by_interval = ops.pad(by_interval, [[0, 0], [0, 0], [0, PITCH_OUT - PITCHES]])
            return by_interval, ops.matmul(x[..., PREVIOUS_LENGTH], self.rhythm)

    return PreviousEvent(name="previous_event")


def note_weight_name(path: str) -> str:
    """The exported name of a note-model weight from its Keras path."""
    layer, _, leaf = path.rpartition("/")
    layer = layer.split("/")[0]
    if layer == "previous_event":
        return leaf
    return {"kernel": f"{layer}_kernel", "recurrent_kernel": f"{layer}_recurrent",
            "bias": f"{layer}_bias"}[leaf]


def event_loss(model, inputs, targets, training):
    """Per-window summed event loss over its real events, divided by the window length:
    ``(batch,)``."""
    import keras
    from keras import ops

    pitch_t, dur_t = targets  # (b, T) int, -1 = padding
    pitch_logits, dur_logits = model(inputs, training=training)
    mask = ops.cast(pitch_t >= 0, "float32")
    ce = keras.losses.sparse_categorical_crossentropy
    loss = (ce(ops.maximum(pitch_t, 0), pitch_logits, from_logits=True)
            + ce(ops.maximum(dur_t, 0), dur_logits, from_logits=True))  # (b, T)
    return ops.sum(loss * mask, axis=-1) / ops.cast(ops.shape(mask)[-1], "float32")


class NoteTrainer(NamedWeightsTrainer):
    """The note model and its Adam optimiser on a tf.distribute strategy."""

    WEIGHT_NAMES = NOTE_WEIGHT_NAMES

    def __init__(self, strategy, hidden: int, steps: int, lr: float, batch_size: int,
                 seed: int, dropout: float = 0.0, input_dropout: float = 0.0):
        import keras

        from seqgen.keras_loop.loop import DistributedTrainer

        keras.utils.set_random_seed(seed)
        self.global_batch = batch_size * strategy.num_replicas_in_sync
        self.trainer = DistributedTrainer(
            strategy, lambda: build_note_model(hidden, steps, dropout, input_dropout),
            lambda: keras.optimizers.Adam(learning_rate=lr, clipnorm=1.0), event_loss,
            global_batch=self.global_batch)
        paths = [v.path for v in self.trainer.model.weights]
        if [note_weight_name(p) for p in paths] != list(NOTE_WEIGHT_NAMES):
            raise RuntimeError(f"the note model's weights {paths} do not follow "
                               f"{NOTE_WEIGHT_NAMES}")

    def train_epoch(self, X: np.ndarray, Y: tuple[np.ndarray, np.ndarray],
                    order: np.ndarray) -> float:
        """One pass over the windows in ``order``; the mean loss per real event."""
        import tensorflow as tf

        P, D = Y
        replicas = self.trainer.replicas
        if len(order) % replicas:  # every replica needs a window in the last batch too
            order = np.concatenate([order, order[:replicas - len(order) % replicas]])
        ds = tf.data.Dataset.from_tensor_slices(
            (X[order].astype(np.float32), (P[order], D[order]))).batch(self.global_batch)
        total = 0.0
        for batch in self.trainer.distribute(ds):
            total += self.trainer.train_step(batch) * self.global_batch
        # the step's loss is summed over the events / window length: back to per event
        return total * X.shape[1] / max(int((P >= 0).sum()), 1)
