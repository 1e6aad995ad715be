"""Jazz model training time: seqgen's sequence LSTM vs the reference unrolled model.

The reference (SPEC §4) slices the input into 30 steps and calls one shared LSTM
layer 30 times with 30 Dense outputs, trained with ``model.fit`` on a list of 30
targets (loss = sum over steps). seqgen trains one ``LSTM(return_sequences=True)``.
Both get the same 60 windows, Adam(0.01), batch 32 and 100 epochs, in this run;
each time includes building the model/graph. Usage:

    .venv/bin/python bench/bench_jazz.py [--epochs 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()

    import numpy as np

    from seqgen.config import JazzConfig
    from seqgen.pipelines.jazz import make_windows, prepare_corpus

    cfg = JazzConfig()
    corpus = prepare_corpus(cfg)
    vocab = corpus.vocab
    index = {t: i for i, t in enumerate(vocab)}
    ids = np.array([index[t] for t in corpus.tokens])
    X, Y = make_windows(ids, len(vocab), cfg.windows, cfg.window_length, cfg.data_seed)
    print(f"data: {len(ids)} tokens, vocabulary {len(vocab)}, windows {X.shape}")

    import keras

    from seqgen.keras_models.distribute import get_strategy
    from seqgen.keras_models.jazz import JazzTrainer, unrolled_reference_model

    # seqgen: one sequence LSTM, the training loop train-jazz uses
    t0 = time.perf_counter()
    trainer = JazzTrainer(get_strategy("default"), len(vocab), cfg.hidden, cfg.window_length,
                          cfg.lr, cfg.batch_size, seed=0)
    for epoch in range(1, args.epochs + 1):
        order = np.random.RandomState([0, epoch]).permutation(cfg.windows)
        ours_loss = trainer.train_epoch(X, Y, order)
    ours = time.perf_counter() - t0

    # reference: 30 calls of a shared LSTM, 30 outputs, model.fit
    keras.utils.set_random_seed(0)
    t0 = time.perf_counter()
    model = unrolled_reference_model(cfg.window_length, cfg.hidden, len(vocab))
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr, beta_1=0.9, beta_2=0.999),
                  loss="categorical_crossentropy")
    zeros = np.zeros((cfg.windows, cfg.hidden), dtype=np.float32)
    history = model.fit([X, zeros, zeros], list(np.swapaxes(Y, 0, 1)), epochs=args.epochs,
                        batch_size=cfg.batch_size, verbose=0)
    ref = time.perf_counter() - t0
    ref_loss = history.history["loss"][-1]

    print(f"seqgen    (sequence LSTM): {ours:7.2f} s, loss {ours_loss:.4f} per token")
    print(f"reference (30 unrolled)  : {ref:7.2f} s, loss {ref_loss:.2f} summed over "
          f"{cfg.window_length} steps = {ref_loss / cfg.window_length:.4f} per token")
    print(f"speed-up: {ref / ours:.1f}x  ({args.epochs} epochs, {cfg.windows} windows, "
          f"batch {cfg.batch_size})")


if __name__ == "__main__":
    main()
