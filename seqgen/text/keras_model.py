"""The text models in Keras 3: character LSTM, GRU and GPT. Import lazily (TensorFlow).

Every model reads integer characters and predicts the next character at *every* position
of a window, so one window of T characters gives T training targets.

* ``lstm`` / ``gru``: an Embedding, stacked recurrent layers (each followed by dropout) and
  a Dense layer over the vocabulary. The recurrent layers keep the conditions under which
  Keras runs them with cuDNN on a GPU (tanh/sigmoid, no recurrent dropout, no unrolling,
  biases; GRU ``reset_after``): :func:`cudnn_ready` checks a built model against them.
* ``gpt``: token and learned position embeddings, pre-LayerNorm blocks (causal
  self-attention, then a 4x-wide GELU layer, each added back to the residual stream) and a
  final LayerNorm before the Dense layer. Initialised as small GPTs usually are: normal
  weights of 0.02, the layers writing into the residual stream scaled by 1/sqrt(2 x blocks).

The arrays are exported by name (``schema.py``); :mod:`seqgen.text.nets` runs them in NumPy.
"""

from __future__ import annotations

import math

import numpy as np

import seqgen.keras_loop  # noqa: F401  (quiet TensorFlow, pick the backend)
from seqgen.keras_loop.loop import NamedWeightsTrainer
from seqgen.text.schema import Shape, weight_layout

LN_EPSILON = 1e-5  # the NumPy side uses the same


def _recurrent_model(shape: Shape, vocab_size: int, dropout: float):
    import keras

    chars = keras.Input((None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, shape.embed, name="embedding")(chars)  # (b, T, E)
    for k in range(1, shape.layers + 1):
        if shape.arch == "lstm":
            layer = keras.layers.LSTM(shape.units, return_sequences=True, name=f"lstm{k}")
        else:
            layer = keras.layers.GRU(shape.units, return_sequences=True, reset_after=True,
                                     name=f"gru{k}")
        x = layer(x)  # (b, T, u)
        x = keras.layers.Dropout(dropout, name=f"dropout{k}")(x)
    logits = keras.layers.Dense(vocab_size, name="dense")(x)  # (b, T, V)
    name = f"text_{shape.arch}"
    return keras.Model(chars, logits, name=name)


def _gpt_layers():
    """The two layers the GPT needs beyond Keras' own (defined on first use: TensorFlow)."""
    import keras

    class PositionEmbedding(keras.layers.Layer):
        """Adds a learned vector per position to ``(b, T, d)``, ``T <= context``."""

        def __init__(self, context: int, width: int, **kwargs):
            super().__init__(**kwargs)
            self.context, self.width = context, width

        def build(self, input_shape):
            self.table = self.add_weight(
                shape=(self.context, self.width), name="table",
                initializer=keras.initializers.RandomNormal(stddev=0.02))

        def call(self, x):
            T = keras.ops.shape(x)[1]
            return x + self.table[:T]

    class CausalAttention(keras.layers.Layer):
        """Multi-head attention of each position to itself and the positions before it.

        Input: the packed ``(b, T, 3d)`` queries, keys and values; output ``(b, T, d)``.
        """

        def __init__(self, heads: int, **kwargs):
            super().__init__(**kwargs)
            self.heads = heads

        def call(self, qkv):
            ops = keras.ops
            b, T = ops.shape(qkv)[0], ops.shape(qkv)[1]
            d = qkv.shape[-1] // 3
            dh = d // self.heads

            def heads(x):  # (b, T, d) -> (b, H, T, dh)
                return ops.transpose(ops.reshape(x, (b, T, self.heads, dh)), (0, 2, 1, 3))

            q, k, v = heads(qkv[..., :d]), heads(qkv[..., d:2 * d]), heads(qkv[..., 2 * d:])
            scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / math.sqrt(dh)
            allowed = ops.tril(ops.ones((T, T), dtype="bool"))  # (T, T)
            scores = ops.where(allowed, scores, ops.full_like(scores, -1e9))
            y = ops.matmul(ops.softmax(scores, axis=-1), v)  # (b, H, T, dh)
            return ops.reshape(ops.transpose(y, (0, 2, 1, 3)), (b, T, d))

    return PositionEmbedding, CausalAttention


def _gpt_model(shape: Shape, vocab_size: int, dropout: float):
    import keras

    PositionEmbedding, CausalAttention = _gpt_layers()
    d = shape.units
    normal = keras.initializers.RandomNormal(stddev=0.02)
    scaled = keras.initializers.RandomNormal(stddev=0.02 / math.sqrt(2 * shape.layers))

    def dense(n, name, init=normal, activation=None):
        return keras.layers.Dense(n, kernel_initializer=init, activation=activation, name=name)

    chars = keras.Input((None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, d, embeddings_initializer=normal,
                               name="tok_embedding")(chars)
    x = PositionEmbedding(shape.context, d, name="pos_embedding")(x)  # (b, T, d)
    x = keras.layers.Dropout(dropout, name="dropout_in")(x)
    for k in range(1, shape.layers + 1):
        b = f"block{k}"
        h = keras.layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{b}_ln1")(x)
        h = CausalAttention(shape.heads, name=f"{b}_attention")(dense(3 * d, f"{b}_qkv")(h))
        h = keras.layers.Dropout(dropout, name=f"{b}_dropout1")(dense(d, f"{b}_proj", scaled)(h))
        x = keras.layers.Add(name=f"{b}_add1")([x, h])
        h = keras.layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{b}_ln2")(x)
        h = dense(4 * d, f"{b}_fc", activation=lambda z: keras.activations.gelu(
            z, approximate=True))(h)
        h = keras.layers.Dropout(dropout, name=f"{b}_dropout2")(dense(d, f"{b}_out", scaled)(h))
        x = keras.layers.Add(name=f"{b}_add2")([x, h])
    x = keras.layers.LayerNormalization(epsilon=LN_EPSILON, name="ln_f")(x)
    logits = dense(vocab_size, "dense")(x)  # (b, T, V)
    return keras.Model(chars, logits, name="text_gpt")


def build_model(shape: Shape, vocab_size: int, dropout: float):
    """``(batch, T)`` int32 characters -> ``(batch, T, vocab)`` next-character logits.

    T may vary (``None``; at most ``shape.context`` for the GPT); the softmax is applied in
    the loss and at sampling time.
    """
    if shape.arch == "gpt":
        return _gpt_model(shape, vocab_size, dropout)
    return _recurrent_model(shape, vocab_size, dropout)


def weight_names(model, shape: Shape, vocab_size: int) -> tuple[str, ...]:
    """The schema's names in the order of ``model.weights``."""
    position = {id(v): i for i, v in enumerate(model.weights)}
    placed = {position[id(model.get_layer(layer).weights[index])]: name
              for name, (layer, index, _) in weight_layout(shape, vocab_size).items()}
    if sorted(placed) != list(range(len(model.weights))):
        raise AssertionError("the schema does not cover the model's weights")
    return tuple(placed[i] for i in range(len(model.weights)))


def export_weights(model, shape: Shape, vocab_size: int) -> dict[str, np.ndarray]:
    """The model's arrays by name (Keras layout)."""
    names = weight_names(model, shape, vocab_size)
    return {n: np.asarray(v.numpy()) for n, v in zip(names, model.weights, strict=True)}


def cudnn_ready(model) -> list[str]:
    """What keeps the model's recurrent layers off Keras' cuDNN kernels (empty: nothing).

    Keras uses cuDNN for an LSTM or GRU layer only with tanh and sigmoid activations, no
    recurrent dropout, no unrolling, biases, and (GRU) ``reset_after``.
    """
    import keras

    problems = []
    for layer in model.layers:
        if not isinstance(layer, keras.layers.LSTM | keras.layers.GRU):
            continue
        c = layer.get_config()
        wanted = {"activation": "tanh", "recurrent_activation": "sigmoid",
                  "recurrent_dropout": 0.0, "unroll": False, "use_bias": True}
        if isinstance(layer, keras.layers.GRU):
            wanted["reset_after"] = True
        problems += [f"{layer.name}: {k}={c.get(k)!r}, not {v!r}" for k, v in wanted.items()
                     if c.get(k) != v]
    return problems


def sequence_loss(model, inputs, targets, training):
    """Per-window cross-entropy averaged over its positions: ``(batch,)`` nats per char."""
    import keras

    logits = model(inputs, training=training)
    ce = keras.ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)  # (b, T)
    return keras.ops.mean(ce, axis=-1)


class TextTrainer(NamedWeightsTrainer):
    """A text model and its optimiser on a tf.distribute strategy.

    Adam, or AdamW when ``weight_decay`` > 0 (biases, LayerNorm scales and offsets are not
    decayed); each variable's gradient clipped to the norm ``clipnorm`` when it is > 0.
    """

    def __init__(self, strategy, shape: Shape, vocab_size: int, dropout: float, lr: float,
                 global_batch: int, clipnorm: float, seed: int, weight_decay: float = 0.0,
                 beta_2: float = 0.999, xla: bool | None = None):
        import keras

        from seqgen.keras_loop.loop import DistributedTrainer

        keras.utils.set_random_seed(seed)
        self.global_batch, self.shape = global_batch, shape

        def optimizer():
            if weight_decay > 0:  # decoupled decay: AdamW
                opt = keras.optimizers.AdamW(learning_rate=lr, weight_decay=weight_decay,
                                             beta_2=beta_2, clipnorm=clipnorm or None)
                opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
                return opt
            return keras.optimizers.Adam(learning_rate=lr, beta_2=beta_2,
                                         clipnorm=clipnorm or None)

        # XLA fuses the transformer's many small operations: 1.6x the characters per second
        # of a 4 x 128 GPT at batch 16 on two CPU cores; the recurrent layers gain nothing.
        # Compiling costs seconds once, which only a run of a few steps notices (xla=False)
        self.trainer = DistributedTrainer(
            strategy, lambda: build_model(shape, vocab_size, dropout), optimizer,
            sequence_loss, global_batch=global_batch,
            jit_compile=shape.arch == "gpt" if xla is None else xla)
        self.WEIGHT_NAMES = weight_names(self.trainer.model, shape, vocab_size)

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
