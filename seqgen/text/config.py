"""The settings of the text model (``configs/shakespeare.yaml``) and of ``generate-poem``."""

from __future__ import annotations

from dataclasses import dataclass

from seqgen.config import (
    STRATEGIES,
    check_between,
    check_temperature,
    in_range,
    one_of,
    positive,
    setting,
)
from seqgen.errors import UsageError

MAX_LENGTH = 1_000_000  # characters of one generated poem
MAX_SAMPLES = 10_000  # continuations of one prompt


@dataclass(frozen=True)
class ShakespeareConfig:
    """Settings of the Shakespeare character model (``configs/shakespeare.yaml``)."""

    data: str = setting(
        "data/shakespeare.txt", "text file; lower-cased, the last val_fraction is held out")
    out: str = setting(
        "runs/shakespeare", "run directory (best checkpoint, last/ state, loss_curve.png)")
    epochs: int = setting(50, "total epochs (a resumed run continues to this number)")
    time_budget: float | None = setting(None, "seconds; stop after the step in which they run out")
    max_steps: int | None = setting(None, "optimiser steps in all; null = no limit")
    batch_size: int | None = setting(
        None, "windows per step on each replica (global = this x replicas); null = by the "
        "text's size: 32, or 128 from 2 MB")
    seq_length: int = setting(64, "characters per window; every position predicts the next")
    embed: int = setting(32, "embedding width")
    units: int = setting(256, "units of each of the two LSTM layers")
    dropout: float = setting(0.4, "dropout after each LSTM layer")
    lr: float = setting(0.005, "Adam learning rate")
    lr_decay: float = setting(0.5, "multiply lr by this after an epoch without a better val_loss")
    clipnorm: float = setting(5.0, "gradient norm clip; 0 = none")
    weight_decay: float = setting(0.0, "decoupled weight decay (AdamW) when > 0")
    val_fraction: float = setting(0.1, "the held-out tail, never trained on")
    warmup: int = setting(100, "characters before the tail that warm up the state")
    seed: int = setting(0, "initialisation, window offsets and order")
    strategy: str = setting("default", "tf.distribute strategy: default, mirrored, multiworker")
    eval_every: int | None = setting(
        None, "steps between held-out evaluations and checkpoints; null = an epoch, at most "
        "1,000,000 characters")
    val_max_chars: int | None = setting(
        200_000, "held-out characters scored at each evaluation (evaluate: all)")

    def validate(self) -> None:
        for name in ("epochs", "batch_size", "seq_length", "embed", "units", "max_steps",
                     "eval_every", "val_max_chars"):
            positive(name, getattr(self, name))
        for name in ("lr", "time_budget"):
            positive(name, getattr(self, name))
        positive("clipnorm", self.clipnorm, allow_zero=True)
        positive("weight_decay", self.weight_decay, allow_zero=True)
        positive("warmup", self.warmup, allow_zero=True)
        in_range("dropout", self.dropout, 0.0, 1.0, "[)")
        in_range("lr_decay", self.lr_decay, 0.0, 1.0, "(]")
        in_range("val_fraction", self.val_fraction, 0.0, 0.5, "()")
        one_of("strategy", self.strategy, STRATEGIES)


@dataclass(frozen=True)
class PoemSampling:
    """How ``generate-poem`` continues a prompt."""

    length: int = 400
    temperature: float = 1.0
    lines: int | None = None
    top_k: int | None = None  # keep the k likeliest characters at each step
    top_p: float | None = None  # keep the smallest likeliest set with this much mass
    samples: int = 1  # continuations of the same prompt

    def validate(self) -> None:
        check_between("--length", self.length, 1, MAX_LENGTH)
        check_temperature(self.temperature)
        positive("lines", self.lines)
        if self.top_k is not None and (isinstance(self.top_k, bool) or self.top_k < 1):
            raise UsageError(f"--top-k must be 1 or more, got {self.top_k}")
        in_range("top_p", self.top_p, 0.0, 1.0, "(]")  # also refuses NaN
        check_between("--samples", self.samples, 1, MAX_SAMPLES)
