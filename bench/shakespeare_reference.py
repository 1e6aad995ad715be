"""The course's reference way, for the Shakespeare benchmarks (not part of seqgen).

- data: lower-cased text, 40-character one-hot windows with stride 3, each window
  predicting only the character after it;
- model: LSTM(128, return sequences) -> Dropout 0.5 -> LSTM(128) -> Dropout 0.5 ->
  Dense softmax; Adam, batch 128, ``model.fit``;
- generation: left-pad the lower-cased prompt to 40 empty (all-zero) steps and call
  ``model.predict`` on the whole one-hot window for every new character.

Run as a script it generates (the whole process is what the generation bench times):

    .venv/bin/python bench/shakespeare_reference.py generate PROMPT [--length 400]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

MAXLEN, STEP = 40, 3



def reference_model(maxlen: int, vocab_size: int, units: int = 128, dropout: float = 0.5):
    """The course's original model: a one-hot window ``(b, maxlen, V)`` through two LSTMs
    with dropout to the next character's softmax ``(b, V)``."""
    import seqgen.keras_loop  # noqa: F401, I001  (first: TensorFlow's backend, imported quietly)
    import keras

    x_in = keras.Input((maxlen, vocab_size))
    x = keras.layers.LSTM(units, return_sequences=True)(x_in)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.LSTM(units)(x)
    x = keras.layers.Dropout(dropout)(x)
    out = keras.layers.Dense(vocab_size, activation="softmax")(x)
    return keras.Model(x_in, out, name="reference_shakespeare")

def windows(ids: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """One-hot windows of 40 characters every 3 characters and their next character."""
    starts = np.arange(0, len(ids) - MAXLEN, STEP)
    idx = starts[:, None] + np.arange(MAXLEN)[None, :]
    eye = np.eye(vocab_size, dtype=np.float32)
    return eye[ids[idx]], eye[ids[starts + MAXLEN]]


def train_for(ids_train: np.ndarray, vocab_size: int, seconds: float, seed: int = 0):
    """Train the reference model with ``model.fit`` until ``seconds`` have passed.

    Stops after the batch in which the budget runs out. Returns (model, seconds, epochs).
    """
    importlib.import_module("seqgen.keras_loop")  # imports TensorFlow quietly
    import keras


    keras.utils.set_random_seed(seed)
    X, Y = windows(ids_train, vocab_size)
    model = reference_model(MAXLEN, vocab_size)
    model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy")
    t0 = time.perf_counter()

    class Budget(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if time.perf_counter() - t0 >= seconds:
                self.model.stop_training = True

    history = model.fit(X, Y, batch_size=128, epochs=10_000, verbose=0, callbacks=[Budget()])
    return model, time.perf_counter() - t0, len(history.history["loss"])


def heldout_nll(model, ids: np.ndarray, n_train: int, vocab_size: int) -> float:
    """Nats/char on ``ids[n_train:]``, each char predicted from its 40 preceding ones
    (all the context the reference model can see; the first windows reach back into the
    training part, as seqgen's warm-up does)."""
    targets = np.arange(n_train, len(ids))
    idx = targets[:, None] - MAXLEN + np.arange(MAXLEN)[None, :]
    X = np.eye(vocab_size, dtype=np.float32)[ids[idx]]
    p = model.predict(X, batch_size=1024, verbose=0)
    return float(-np.mean(np.log(np.maximum(p[np.arange(len(targets)), ids[targets]], 1e-12))))


def generate(model, chars: list[str], prompt: str, length: int, temperature: float,
             rng: np.random.Generator) -> str:
    """The reference loop: the whole left-padded one-hot window through ``model.predict``
    for every character."""
    index = {c: i for i, c in enumerate(chars)}
    text = [c for c in prompt.lower() if c in index]
    out = []
    for _ in range(length):
        x = np.zeros((1, MAXLEN, len(chars)), dtype=np.float32)
        window = text[-MAXLEN:]
        for t, c in enumerate(window):  # left-padded: empty steps first
            x[0, MAXLEN - len(window) + t, index[c]] = 1.0
        p = model.predict(x, verbose=0)[0].astype(np.float64)
        p = np.exp(np.log(np.maximum(p, 1e-12)) / temperature)
        c = chars[rng.choice(len(chars), p=p / p.sum())]
        text.append(c)
        out.append(c)
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description="The reference generation loop.")
    parser.add_argument("mode", choices=["generate"])
    parser.add_argument("prompt")
    parser.add_argument("--length", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import keras

    from seqgen.datasets import builtin_path
    from seqgen.text.corpus import load_corpus

    corpus = load_corpus(builtin_path("shakespeare.txt"), lowercase=True)
    keras.utils.set_random_seed(args.seed)
    # untrained weights: the time of the loop does not depend on their values
    model = reference_model(MAXLEN, len(corpus.vocab))
    text = generate(model, corpus.vocab.chars, args.prompt, args.length, 1.0,
                    np.random.default_rng(args.seed))
    print(args.prompt + text)


if __name__ == "__main__":
    main()
