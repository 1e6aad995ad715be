"""The CPU recipe of nanoGPT, rebuilt in Keras 3: the peer of the text benches (not seqgen).

nanoGPT (the best-known character-level GPT codebase) gives, in its README, a recipe for
training a character model on a laptop's CPU. This module follows that recipe from its
published settings; the code is written here from them:

- model: a GPT of 4 layers, 4 heads, 128-wide embedding, context (block size) 64, learned
  position embeddings, pre-LayerNorm blocks (LN -> causal self-attention -> residual;
  LN -> MLP 4x wide with exact GELU -> residual), a final LayerNorm, and the output head
  **tied** to the token embedding (logits = h @ wte^T), as nanoGPT does. **No biases**
  (nanoGPT's default ``bias=False``: the Dense layers have none and the LayerNorms only a
  scale, epsilon 1e-5), **no dropout**. Weights start normal(0, 0.02), the two residual
  output projections of each block normal(0, 0.02 / sqrt(2 * layers));
- training: batches of 12 windows at uniformly random offsets of the training text, every
  position a target; AdamW with beta1 0.9, beta2 0.99, epsilon 1e-8, weight decay 0.1 on
  the 2-D weights only (embeddings and matrices; the LayerNorm scales are not decayed),
  gradients clipped to global norm 1.0; learning rate 1e-3, reached by a linear warm-up
  over the first 100 steps (step ``i`` uses 1e-3 * (i + 1) / 101), then a cosine decay
  to 1e-4. nanoGPT decays over a step count; here the budget is wall time, so the decay
  follows the **elapsed fraction of the time left after warm-up**: at time ``t`` the
  cosine is at ``(t - t_w) / (budget - t_w)``, ``t_w`` the moment warm-up ended;
- checkpoint choice as nanoGPT's (``always_save_checkpoint = False``): every 250 steps,
  and when the budget ends, the validation loss is estimated on 20 random batches of the
  validation part and the weights of the best estimate are kept. The clock counts these
  estimates too; it starts before the first step (so it includes the graph's compile).

Scoring (:func:`score`) is the bench's, the same for every model: nats per character on a
part of the text, each character predicted in windows of the context length stepping by
half of it, each window scoring its last half.

    .venv/bin/python bench/gpt_recipe.py --data TEXT --budget 300 [--lowercase] [--json OUT]

(run alone it trains, scores the test part and prints one JSON object.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@dataclass(frozen=True)
class RecipeConfig:
    """The recipe's settings (nanoGPT's names in comments)."""

    context: int = 64  # block_size
    layers: int = 4  # n_layer
    heads: int = 4  # n_head
    embed: int = 128  # n_embd
    batch: int = 12  # batch_size
    lr: float = 1e-3  # learning_rate
    min_lr: float = 1e-4  # min_lr
    warmup: int = 100  # warmup_iters
    beta1: float = 0.9
    beta2: float = 0.99
    weight_decay: float = 0.1
    clip: float = 1.0  # grad_clip
    eval_interval: int = 250
    eval_iters: int = 20
    seed: int = 1337
    xla: bool = True  # nanoGPT's compile=True; off only for the suite's seconds-long smoke runs


# ---------------------------------------------------------------------------------------
# the text and its parts


@dataclass(frozen=True)
class Text:
    """A text as ids over the sorted characters of the whole text, and its three parts."""

    ids: np.ndarray  # (n,) uint8 or uint16
    chars: tuple[str, ...]
    n_train: int  # ids[:n_train] is trained on
    n_val_end: int  # ids[n_train:n_val_end] is validation, ids[n_val_end:] test

    @property
    def n(self) -> int:
        return len(self.ids)


def parts(n: int) -> tuple[int, int]:
    """Where validation and test start in a text of ``n`` characters.

    The held-out tail is the last ``ceil(n / 10)`` characters; its first half (rounded
    down) is validation, the rest test.
    """
    n_train = n - math.ceil(0.1 * n)
    return n_train, n_train + (n - n_train) // 2


def load_text(path: str | Path, lowercase: bool = False) -> Text:
    """Read a UTF-8 text (universal newlines), optionally lower-cased, as a :class:`Text`."""
    text = Path(path).read_text(encoding="utf-8")
    if lowercase:
        text = text.lower()
    chars = tuple(sorted(set(text)))
    lut = {c: i for i, c in enumerate(chars)}
    dtype = np.uint8 if len(chars) <= 256 else np.uint16
    ids = np.fromiter((lut[c] for c in text), dtype=dtype, count=len(text))
    return Text(ids, chars, *parts(len(text)))


# ---------------------------------------------------------------------------------------
# the model


def build_model(vocab_size: int, cfg: RecipeConfig):
    """The GPT: ids ``(b, t)`` with ``t <= cfg.context`` -> logits ``(b, t, vocab_size)``."""
    import seqgen.keras_loop  # noqa: F401, I001  (first: TensorFlow, imported quietly)
    import keras
    from keras import ops

    normal = keras.initializers.RandomNormal
    proj_std = 0.02 / math.sqrt(2 * cfg.layers)

    def layer_norm():
        return keras.layers.LayerNormalization(epsilon=1e-5, center=False)

    class CausalSelfAttention(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.qkv = keras.layers.Dense(3 * cfg.embed, use_bias=False,
                                          kernel_initializer=normal(0.0, 0.02))
            self.proj = keras.layers.Dense(cfg.embed, use_bias=False,
                                           kernel_initializer=normal(0.0, proj_std))

        def call(self, x):
            b, t = ops.shape(x)[0], ops.shape(x)[1]
            d = cfg.embed // cfg.heads

            def heads(z):  # (b, t, C) -> (b, h, t, d)
                return ops.transpose(ops.reshape(z, (b, t, cfg.heads, d)), (0, 2, 1, 3))

            q, k, v = (heads(z) for z in ops.split(self.qkv(x), 3, axis=-1))
            att = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / math.sqrt(d)  # (b, h, t, t)
            causal = ops.tril(ops.ones((t, t), dtype="bool"))
            att = ops.softmax(ops.where(causal, att, -1e9), axis=-1)
            y = ops.transpose(ops.matmul(att, v), (0, 2, 1, 3))  # (b, t, h, d)
            return self.proj(ops.reshape(y, (b, t, cfg.embed)))

    class Block(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.ln1, self.ln2 = layer_norm(), layer_norm()
            self.attn = CausalSelfAttention()
            self.fc = keras.layers.Dense(4 * cfg.embed, use_bias=False,
                                         kernel_initializer=normal(0.0, 0.02))
            self.fc_proj = keras.layers.Dense(cfg.embed, use_bias=False,
                                              kernel_initializer=normal(0.0, proj_std))

        def call(self, x):  # (b, t, C) -> (b, t, C)
            x = x + self.attn(self.ln1(x))
            return x + self.fc_proj(keras.activations.gelu(self.fc(self.ln2(x)),
                                                           approximate=False))

    class GPT(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.blocks = [Block() for _ in range(cfg.layers)]
            self.ln_f = layer_norm()

        def build(self, input_shape):
            self.wte = self.add_weight((vocab_size, cfg.embed), normal(0.0, 0.02), name="wte")
            self.wpe = self.add_weight((cfg.context, cfg.embed), normal(0.0, 0.02),
                                       name="wpe")
            super().build(input_shape)

        def call(self, ids):
            t = ops.shape(ids)[1]
            x = ops.take(self.wte, ids, axis=0) + self.wpe[:t]  # (b, t, C)
            for block in self.blocks:
                x = block(x)
            return ops.matmul(self.ln_f(x), ops.transpose(self.wte))  # tied head: (b, t, V)

    keras.utils.set_random_seed(cfg.seed)
    model = GPT(name="gpt_recipe")
    model(np.zeros((1, cfg.context), dtype=np.int32))  # creates the weights
    return model


def parameter_count(model) -> int:
    """The model's trainable parameters (the tied embedding counted once)."""
    return int(sum(np.prod(v.shape) for v in model.trainable_variables))


def flops_per_char(params: int, cfg: RecipeConfig) -> float:
    """Training FLOPs per character: 6 N (forward and backward of every weight) plus the
    attention's 12 * layers * embed * context (scores and weighted sum, forward 4 L C T,
    backward twice that), the estimate nanoGPT uses for its utilisation figure."""
    return 6.0 * params + 12.0 * cfg.layers * cfg.embed * cfg.context


# ---------------------------------------------------------------------------------------
# training for a time budget


@dataclass(frozen=True)
class TrainResult:
    """What a budgeted run did."""

    steps: int
    seconds: float  # the clock the budget counts: steps, evaluations, the first compile
    train_chars: int  # characters trained on (steps x batch x context)
    chars_per_s: float  # the training steps' rate, the first (it compiles the graph) left out
    first_step: float  # seconds of the first step, compiling the graph
    best_val: float  # the estimate of the kept weights
    best_step: int
    params: int


def lr_at(step: int, elapsed: float, warmup_end: float | None, budget: float,
          cfg: RecipeConfig) -> float:
    """The learning rate of ``step``: linear warm-up by steps, then cosine by time."""
    if step < cfg.warmup or warmup_end is None:
        return cfg.lr * (step + 1) / (cfg.warmup + 1)
    ratio = min(1.0, max(0.0, (elapsed - warmup_end) / max(budget - warmup_end, 1e-9)))
    return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (cfg.lr - cfg.min_lr)


def train_for(model, text: Text, budget: float, cfg: RecipeConfig,
              log=None) -> TrainResult:
    """Train ``model`` on ``text``'s training part until ``budget`` seconds have passed.

    Stops after the step in which the budget runs out, estimates the validation loss
    once more, and leaves the weights of the best estimate in ``model``.
    """
    import seqgen.keras_loop  # noqa: F401, I001
    import keras
    import tensorflow as tf

    T, B = cfg.context, cfg.batch
    opt = keras.optimizers.AdamW(learning_rate=cfg.lr, weight_decay=cfg.weight_decay,
                                 beta_1=cfg.beta1, beta_2=cfg.beta2, epsilon=1e-8,
                                 global_clipnorm=cfg.clip)
    weights = model.trainable_variables
    opt.exclude_from_weight_decay(var_list=[v for v in weights if len(v.shape) < 2])
    opt.build(weights)

    def xent(x, y):
        logits = model(x, training=True)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))

    @tf.function(jit_compile=cfg.xla, reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = xent(x, y)
        opt.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    @tf.function(jit_compile=cfg.xla)
    def eval_loss(x, y):
        return xent(x, y)

    rng = np.random.default_rng(cfg.seed)
    offsets = np.arange(T + 1)

    def batch(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """``B`` windows at random offsets of ``ids[lo:hi]``: inputs and next characters."""
        starts = rng.integers(lo, hi - T, size=B)
        w = text.ids[starts[:, None] + offsets].astype(np.int32)  # (B, T+1)
        return w[:, :-1], w[:, 1:]

    def estimate_val() -> float:
        return float(np.mean([eval_loss(*batch(text.n_train, text.n_val_end))
                              for _ in range(cfg.eval_iters)]))

    best_val, best_step, best_weights = math.inf, 0, None
    step, warmup_end, first_step, step_seconds = 0, None, 0.0, 0.0
    t0 = time.perf_counter()
    while True:
        elapsed = time.perf_counter() - t0
        if step % cfg.eval_interval == 0 and step > 0 or elapsed >= budget:
            val = estimate_val()
            if val < best_val:
                best_val, best_step, best_weights = val, step, model.get_weights()
            if log:
                log(f"step {step}: val {val:.4f} ({elapsed:.1f} s)")
            if elapsed >= budget:
                break
        opt.learning_rate = lr_at(step, elapsed, warmup_end, budget, cfg)
        x, y = batch(0, text.n_train)
        t_step = time.perf_counter()
        train_step(x, y).numpy()
        if step == 0:
            first_step = time.perf_counter() - t_step
        else:
            step_seconds += time.perf_counter() - t_step
        step += 1
        if step == cfg.warmup:
            warmup_end = time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if best_weights is not None:
        model.set_weights(best_weights)
    return TrainResult(step, seconds, step * B * T, steps_rate(step, B * T, step_seconds,
                                                               seconds),
                       first_step, best_val, best_step, parameter_count(model))


def steps_rate(steps: int, chars_per_step: int, step_seconds: float, seconds: float) -> float:
    """Training characters per second of the steps after the first (which compiles, or
    warms the caches), or of the whole run when it made one step."""
    if steps > 1:
        return (steps - 1) * chars_per_step / step_seconds
    return steps * chars_per_step / seconds


# ---------------------------------------------------------------------------------------
# scoring


def score(model, ids: np.ndarray, start: int, end: int, context: int,
          batch: int = 256, xla: bool = True) -> float:
    """Nats per character of ``ids[start:end]`` under the Keras ``model`` (see
    :func:`score_windows`)."""
    import tensorflow as tf

    @tf.function(jit_compile=xla, reduce_retracing=True)
    def nll(x, y):  # (b, T), (b, T) -> (b, T)
        return tf.nn.sparse_softmax_cross_entropy_with_logits(y, model(x, training=False))

    return score_windows(lambda x, y: nll(x, y).numpy(), ids, start, end, context, batch)


def score_windows(nll, ids: np.ndarray, start: int, end: int, context: int,
                  batch: int = 256) -> float:
    """Nats per character of ``ids[start:end]``, every character scored once, by any model:
    ``nll(x, y)`` maps int32 inputs and targets ``(b, context)`` to each position's
    negative log-likelihood ``(b, context)`` as a NumPy array.

    Windows of ``context`` characters step by ``context // 2``; each scores the targets of
    its last ``context // 2`` positions, so every character is predicted from between
    ``context // 2 + 1`` and ``context`` characters before it (the first window reaches
    back before ``start``; ``start`` must be at least ``context // 2 + 1``). The last
    window ends at ``end`` and scores only what the one before it left.
    """
    half = context // 2
    if start < half + 1 or end <= start:
        raise ValueError(f"cannot score [{start}, {end}) with context {context}")
    # window w reads ids[a : a + context] and predicts ids[a + 1 : a + 1 + context];
    # it scores targets [a + 1 + half, a + 1 + context): starts a = start - 1 - half + k*half
    first = start - 1 - half
    starts = list(range(first, end - context, half))
    last = max(end - 1 - context, 0)
    if not starts or starts[-1] != last:
        starts.append(last)
    starts = np.array(starts)
    offsets = np.arange(context + 1)

    total, count, scored_to = 0.0, 0, start  # targets < scored_to are done
    for lo in range(0, len(starts), batch):
        a = starts[lo:lo + batch]
        w = ids[np.minimum(a[:, None] + offsets, len(ids) - 1)].astype(np.int32)
        losses = nll(w[:, :-1], w[:, 1:])  # (b, T); target of [i, j] is a_i + 1 + j
        for i, ai in enumerate(a):
            j0 = scored_to - (ai + 1)
            j1 = min(context, end - (ai + 1))
            if j0 < half and ai != last:
                raise AssertionError("a window would score with too little context")
            total += float(losses[i, j0:j1].sum(dtype=np.float64))
            count += j1 - j0
            scored_to = ai + 1 + j1
    if count != end - start:
        raise AssertionError(f"scored {count} characters of {end - start}")
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds")
    parser.add_argument("--lowercase", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--verbose", action="store_true", help="the evaluations on stderr")
    parser.add_argument("--no-xla", action="store_true",
                        help="no XLA compilation (a run of seconds would spend them compiling)")
    parser.add_argument("--layers", type=int, default=RecipeConfig.layers,
                        help="transformer blocks (the recipe's 4; fewer for a smoke test)")
    parser.add_argument("--seed", type=int, default=RecipeConfig.seed)
    args = parser.parse_args()

    cfg = RecipeConfig(xla=not args.no_xla, layers=args.layers, seed=args.seed)
    text = load_text(args.data, args.lowercase)
    model = build_model(len(text.chars), cfg)
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    result = train_for(model, text, args.budget, cfg, log)
    t0 = time.perf_counter()
    test = score(model, text.ids, text.n_val_end, text.n, cfg.context, xla=cfg.xla)
    report(result, test, time.perf_counter() - t0, cfg, text, args.json)


def report(result, test: float, score_seconds: float, cfg, text: Text, path: Path | None,
           **extra) -> None:
    """Print a run's figures as one JSON object (and write it to ``path``): what the
    benches read of every GPT side."""
    line = json.dumps({**asdict(result), "test_loss": test, "score_seconds": score_seconds,
                       "flops_per_char": flops_per_char(result.params, cfg), "chars": text.n,
                       "vocab": len(text.chars), "config": asdict(cfg), **extra})
    if path:
        path.write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
