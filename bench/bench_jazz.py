"""Jazz model training time: seqgen's sequence LSTM vs the reference unrolled model.

The reference slices the input into 30 steps and calls one shared LSTM layer 30 times
with 30 Dense outputs, trained with ``model.fit`` on a list of 30 targets (loss = sum
over steps). seqgen trains one ``LSTM(return_sequences=True)``. Both get the same 60
windows, Adam(0.01), batch 32 and 100 epochs, in this run; each time includes building
the model/graph. Usage:

    .venv/bin/python bench/bench_jazz.py [--epochs 100] [--window-length 30] [--quick]

(--quick: one epoch of 2-step windows, both models; a smoke test in seconds)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from benchkit import parse_args

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

QUICK = {"epochs": 1, "window_length": 2}


def windows(cfg):
    """The training windows ``X, Y (windows, T, V)`` of the built-in solo, and its vocabulary."""
    import numpy as np

    from seqgen.jazz.collection import prepare_corpus
    from seqgen.jazz.corpus import make_windows

    corpus = prepare_corpus(cfg)
    vocab = corpus.vocab
    index = {t: i for i, t in enumerate(vocab)}
    ids = np.array([index[t] for t in corpus.tokens])
    X, Y = make_windows(ids, len(vocab), cfg.windows, cfg.window_length, cfg.data_seed)
    print(f"data: {len(ids)} tokens, vocabulary {len(vocab)}, windows {X.shape}")
    return X, Y, vocab


def time_seqgen(cfg, X, Y, vocab, epochs: int) -> tuple[float, float]:
    """seqgen: one sequence LSTM, the training loop train-jazz uses; (seconds, loss/token)."""
    import numpy as np

    from seqgen.jazz.keras_model import JazzTrainer
    from seqgen.keras_loop.distribute import get_strategy

    t0 = time.perf_counter()
    trainer = JazzTrainer(get_strategy("default"), len(vocab), cfg.hidden, cfg.window_length,
                          cfg.lr, cfg.batch_size, seed=0)
    for epoch in range(1, epochs + 1):
        order = np.random.RandomState([0, epoch]).permutation(cfg.windows)
        loss = trainer.train_epoch(X, Y, order)
    return time.perf_counter() - t0, loss


def time_reference(cfg, X, Y, vocab, epochs: int) -> tuple[float, float]:
    """The reference: T calls of a shared LSTM, T outputs, ``model.fit``; (seconds, the
    last epoch's loss summed over the T steps)."""
    import keras
    import numpy as np

    from seqgen.jazz.keras_model import unrolled_reference_model

    keras.utils.set_random_seed(0)
    t0 = time.perf_counter()
    model = unrolled_reference_model(cfg.window_length, cfg.hidden, len(vocab))
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr, beta_1=0.9, beta_2=0.999),
                  loss="categorical_crossentropy")
    zeros = np.zeros((cfg.windows, cfg.hidden), dtype=np.float32)
    history = model.fit([X, zeros, zeros], list(np.swapaxes(Y, 0, 1)), epochs=epochs,
                        batch_size=cfg.batch_size, verbose=0)
    return time.perf_counter() - t0, history.history["loss"][-1]


def main() -> None:
    from seqgen.jazz.config import JazzConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--window-length", type=int, default=JazzConfig.window_length,
                        help="steps per window: the reference unrolls its LSTM this often")
    args = parse_args(parser, QUICK)

    cfg = dataclasses.replace(JazzConfig(), window_length=args.window_length).resolved()
    X, Y, vocab = windows(cfg)
    ours, ours_loss = time_seqgen(cfg, X, Y, vocab, args.epochs)
    ref, ref_loss = time_reference(cfg, X, Y, vocab, args.epochs)

    T = cfg.window_length
    print(f"seqgen    (sequence LSTM): {ours:7.2f} s, loss {ours_loss:.4f} per token")
    print(f"{f'reference ({T} unrolled)':25s}: {ref:7.2f} s, loss {ref_loss:.2f} summed over "
          f"{T} steps = {ref_loss / T:.4f} per token")
    print(f"speed-up: {ref / ours:.1f}×  ({args.epochs} epochs, {cfg.windows} windows, "
          f"batch {cfg.batch_size})")


if __name__ == "__main__":
    main()
