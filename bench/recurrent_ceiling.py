"""How close a recurrent text model's training can come to the machine's matmul peak.

Three rates, side by side in one run, as shares of the float32 matmul peak (measured in a
child process by ``matmul_peak.py``, TensorFlow's own threading):

- **the trainer**: seqgen's ``TextTrainer`` (the model and optimiser ``train-text`` uses,
  one thread per operation as ``train-text`` sets it for the recurrent layers), timed over
  optimiser steps on random windows; FLOPs per character estimated as 6 x parameters, as
  ``bench_text_peers.py`` counts them;
- **its products alone**: the same layers' matrix products and nothing else (no gates, no
  loss, no optimiser), forward and backward, in the order the recurrence imposes (each
  time step's product waits for the previous step's), counted as 6 x weights per
  character; and the same **reordered**: only the products on the hidden state step by
  step, every other product of a layer (input projection, weight gradients, gradient into
  the layer below) one product over the whole window. No implementation of this model
  through TensorFlow's products can train faster than they run, so the better of the two
  is the ceiling of the trainer's share of the peak;
- with ``--fused``: an LSTM of the same size through TensorFlow's fused recurrent
  operation (``BlockLSTMV2``: the whole window's gates in one operation, forward and
  backward), beside Keras' LSTM, both with Adam in one compiled step.

    .venv/bin/python bench/recurrent_ceiling.py [--arch gru] [--batch 32] [--window 128]
        [--units 256] [--layers 2] [--fused]

The defaults are the shape ``train-text`` gives a text of 2 MB or more.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

VOCAB = 100  # characters: about what a large text of code or prose holds
EMBED = 32


def peak_gflops() -> float:
    """The machine's matmul peak, in a child process (TensorFlow's default threads)."""
    out = subprocess.run([sys.executable, str(BENCH / "matmul_peak.py")], check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def best_rate(step, work: float, repeats: int = 3, steps: int = 6) -> float:
    """``work`` units per second of ``step()``, the best of ``repeats`` timings of
    ``steps`` calls (after one call that builds the graph)."""
    step()
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            out = step()
        float(out)  # wait for the last step
        best = max(best, steps * work / (time.perf_counter() - t0))
    return best


def trainer_rate(arch: str, layers: int, units: int, window: int, batch: int) -> tuple[float, int]:
    """(characters per second, parameters) of seqgen's text trainer."""
    import numpy as np

    from seqgen.keras_loop.distribute import get_strategy
    from seqgen.text.keras_model import TextTrainer
    from seqgen.text.schema import Shape
    from seqgen.text.sizing import op_threads

    strategy = get_strategy("default", op_threads=op_threads(arch))
    trainer = TextTrainer(strategy, Shape(arch, layers, units, EMBED, window, 1), VOCAB,
                          dropout=0.0, lr=0.005, global_batch=batch, clipnorm=0.0, seed=0)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, VOCAB, (batch, window + 1), dtype=np.int32)
    data = trainer.batch(tokens[:, :-1], tokens[:, 1:])
    params = sum(int(np.prod(w.shape)) for w in trainer.model.trainable_weights)
    return best_rate(lambda: trainer.train_step(data), batch * window), params


def products_rate(arch: str, layers: int, units: int, window: int, batch: int,
                  batched: bool = False) -> tuple[float, float]:
    """(characters per second, FLOPs per character) of the layers' products alone.

    ``batched``: only the products on the hidden state go step by step; each layer's
    input projection, its weight gradients and its gradient into the layer below are one
    product over the whole window each (what an implementation free to reorder can do)."""
    import tensorflow as tf

    gates = 4 if arch == "lstm" else 3
    widths = [EMBED] + [units] * layers
    kernels = [tf.random.normal((widths[k], gates * units)) * 0.05 for k in range(layers)]
    recurrent = [tf.random.normal((units, gates * units)) * 0.05 for _ in range(layers)]
    dense = tf.random.normal((units, VOCAB)) * 0.05
    inputs = tf.random.normal((window * batch, EMBED))

    def steps(x):
        return [x[t * batch:(t + 1) * batch] for t in range(window)]

    @tf.function
    def products(inputs):
        below, states = inputs, []
        for k in range(layers):  # forward: each step's product waits for the previous one
            if batched:
                projected = steps(tf.matmul(below, kernels[k]))
            else:
                projected = [tf.matmul(x, kernels[k]) for x in steps(below)]
            h, out = tf.zeros((batch, units)), []
            for t in range(window):
                h = (projected[t] + tf.matmul(h, recurrent[k]))[:, :units]
                out.append(h)
            states.append(out)
            below = tf.concat(out, 0)
        logits = tf.matmul(below, dense)
        grads = [tf.matmul(below, logits, transpose_a=True)]  # the dense layer's gradient
        d_out = steps(tf.matmul(logits, dense, transpose_b=True))
        for k in reversed(range(layers)):  # backward: data and weight gradients
            below = inputs if k == 0 else tf.concat(states[k - 1], 0)
            earlier = tf.concat([tf.zeros((batch, units))] + states[k][:-1], 0)
            d_next, d_gates = tf.zeros((batch, units)), [None] * window
            for t in reversed(range(window)):
                d_gates[t] = tf.tile(d_out[t] + d_next, [1, gates])
                d_next = tf.matmul(d_gates[t], recurrent[k], transpose_b=True)
            if batched:
                every = tf.concat(d_gates, 0)
                grads += [tf.matmul(below, every, transpose_a=True),
                          tf.matmul(earlier, every, transpose_a=True)]
                d_out = steps(tf.matmul(every, kernels[k], transpose_b=True))
            else:
                grads += [tf.add_n([tf.matmul(x, d, transpose_a=True)
                                    for x, d in zip(steps(below), d_gates)]),
                          tf.add_n([tf.matmul(x, d, transpose_a=True)
                                    for x, d in zip(steps(earlier), d_gates)])]
                d_out = [tf.matmul(d, kernels[k], transpose_b=True) for d in d_gates]
        return tf.add_n([tf.reduce_sum(g) for g in grads])

    weights = sum(gates * units * (widths[k] + units) for k in range(layers)) + units * VOCAB
    flops_per_char = 6.0 * weights  # two per weight forward, four backward
    return best_rate(lambda: products(inputs), batch * window), flops_per_char


def fused_rates(layers: int, units: int, window: int, batch: int) -> dict[str, float]:
    """Characters per second of an LSTM through Keras' layer and through ``BlockLSTMV2``."""
    import keras
    import tensorflow as tf

    tokens = tf.random.uniform((batch, window + 1), 0, VOCAB, dtype=tf.int32)
    init = keras.initializers.GlorotUniform(seed=0)
    embedding = tf.Variable(init((VOCAB, EMBED)))
    kernels = [tf.Variable(init((EMBED + units if k == 0 else 2 * units, 4 * units)))
               for k in range(layers)]
    biases = [tf.Variable(tf.zeros(4 * units)) for _ in range(layers)]
    dense, dense_bias = tf.Variable(init((units, VOCAB))), tf.Variable(tf.zeros(VOCAB))
    no_peephole = tf.zeros(units)

    def fused(x):
        h = tf.transpose(tf.nn.embedding_lookup(embedding, x), [1, 0, 2])  # (T, b, E)
        zeros = tf.zeros((batch, units))
        for w, b in zip(kernels, biases):
            h = tf.raw_ops.BlockLSTMV2(
                seq_len_max=tf.constant(window, tf.int64), x=h, cs_prev=zeros, h_prev=zeros,
                w=w, wci=no_peephole, wcf=no_peephole, wco=no_peephole, b=b, cell_clip=0.0,
                use_peephole=False)[6]
        return tf.matmul(tf.transpose(h, [1, 0, 2]), dense) + dense_bias

    stack = keras.Sequential([keras.layers.Embedding(VOCAB, EMBED)]
                             + [keras.layers.LSTM(units, return_sequences=True)
                                for _ in range(layers)] + [keras.layers.Dense(VOCAB)])
    stack.build((batch, window))
    sides = {"Keras LSTM": (stack, stack.trainable_variables),
             "BlockLSTMV2": (fused, [embedding, *kernels, *biases, dense, dense_bias])}
    def compiled_step(forward, variables):
        optimizer = keras.optimizers.Adam(0.005)

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                logits = forward(tokens[:, :-1])
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    tokens[:, 1:], logits))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss
        return step

    rates = {name: best_rate(compiled_step(*side), batch * window)
             for name, side in sides.items()}
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=("gru", "lstm"), default="gru")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--window", type=int, default=128)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--fused", action="store_true",
                        help="also an LSTM through TensorFlow's fused BlockLSTMV2 operation")
    args = parser.parse_args()
    shape = (args.arch, args.layers, args.units, args.window, args.batch)
    peak = peak_gflops()
    chars, params = trainer_rate(*shape)
    ceiling, flops = products_rate(*shape)
    reordered, _ = products_rate(*shape, batched=True)
    print(f"{args.arch} {args.layers} x {args.units}, windows of {args.window}, batch "
          f"{args.batch}; matmul peak {peak:,.0f} GFLOP/s")
    rows = [("seqgen's trainer", chars, 6.0 * params),
            ("its products alone", ceiling, flops),
            ("  reordered", reordered, flops)]
    for name, rate, per_char in rows:
        gflops = rate * per_char / 1e9
        print(f"  {name:<20} {rate:>9,.0f} chars/s {gflops:>7.1f} GFLOP/s "
              f"{100 * gflops / peak:>5.1f}% of peak")
    print(f"  trainer / products alone: {chars / ceiling:.2f}; / reordered: "
          f"{chars / reordered:.2f}")
    if args.fused:
        rates = fused_rates(args.layers, args.units, args.window, args.batch)
        for name, rate in rates.items():
            print(f"  LSTM, {name:<13} {rate:>9,.0f} chars/s")
        print(f"  BlockLSTMV2 / Keras LSTM: {rates['BlockLSTMV2'] / rates['Keras LSTM']:.2f}")


if __name__ == "__main__":
    main()
