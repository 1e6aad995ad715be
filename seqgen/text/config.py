"""The settings of the text models: ``train-text`` (``configs/text.yaml``), the course's
Shakespeare preset (``configs/shakespeare.yaml``) and how a text is generated."""

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
from seqgen.text.schema import ARCHS

MAX_LENGTH = 1_000_000  # characters of one generated text
MAX_SAMPLES = 10_000  # continuations of one prompt
SCHEDULES = ("plateau", "cosine")
# what the text's size chooses when the config leaves it open (null)
SIZED = ("arch", "layers", "units", "embed", "dropout", "context", "heads", "batch_size", "lr",
         "lr_schedule", "anneal", "weight_decay")


@dataclass(frozen=True)
class TextConfig:
    """Settings of a character model of any text (``configs/text.yaml``).

    A shape or optimiser setting left null is chosen from the text's size (and the time
    budget); ``train-text`` says on stderr what it chose and records it in the checkpoint.
    """

    data: str = setting("data/shakespeare.txt", "text file (UTF-8)")
    run: str = setting("runs/text", "run directory (best checkpoint, last/ state, loss_curve.png)")
    lowercase: bool | None = setting(
        None, "fold the text to lower case (prompts too, when generating); null: keep the "
        "case, or with init_from the source model's choice")
    arch: str | None = setting(None, "lstm, gru or gpt; null = chosen from the text's size")
    layers: int | None = setting(None, "recurrent layers, or transformer blocks")
    units: int | None = setting(None, "units of each recurrent layer, or the transformer's width")
    embed: int | None = setting(None, "embedding width (gpt: its width, = units)")
    dropout: float | None = setting(None, "dropout after each layer")
    context: int | None = setting(
        None, "characters per training window; gpt: also its attention span")
    heads: int | None = setting(None, "attention heads (gpt); width must divide by it")
    epochs: int = setting(50, "total epochs (a resumed run continues to this number)")
    time_budget: float | None = setting(None, "seconds; stop after the step in which they run out")
    max_steps: int | None = setting(None, "optimiser steps in all; null = no limit")
    batch_size: int | None = setting(
        None, "windows per step on each replica (global = this x replicas)")
    lr: float | None = setting(None, "peak learning rate (Adam, or AdamW with weight_decay)")
    lr_schedule: str | None = setting(
        None, "plateau: multiply lr by lr_decay after an evaluation without a better "
        "validation loss; cosine: warm up, then decay to min_lr over the run")
    lr_decay: float = setting(0.5, "plateau: the factor")
    anneal: float | None = setting(
        None, "plateau: over this last share of the run (its steps or its time budget) the "
        "rate falls linearly to 0; null = chosen from the text's size")
    warmup_steps: int = setting(100, "cosine: steps of linear warm-up")
    min_lr: float = setting(1e-4, "cosine: the learning rate at the end of the run")
    patience: int | None = setting(
        None, "stop after this many evaluations without a better validation loss; null = never")
    clipnorm: float = setting(5.0, "gradient norm clip per variable; 0 = none")
    weight_decay: float | None = setting(None, "decoupled weight decay (AdamW) when > 0")
    val_fraction: float = setting(
        0.1, "the held-out tail, never trained on: validation, then test")
    test_share: float = setting(
        0.5, "the share of the held-out tail kept for the test score (its end); validation "
        "alone chooses the checkpoint, the learning rate and when to stop")
    warmup: int = setting(100, "characters before a scored piece that warm up the state")
    seed: int = setting(0, "initialisation, window offsets and order")
    strategy: str = setting("default", "tf.distribute strategy: default, mirrored, multiworker")
    eval_every: int | None = setting(
        None, "steps between validation scores and checkpoints; null = an epoch, at most "
        "1,000,000 characters")
    val_max_chars: int | None = setting(
        200_000, "validation characters scored at each evaluation (evaluate: all)")
    init_from: str | None = setting(
        None, "start from this model's weights: a text run directory or a shipped model "
        "(sonnets); its shape and vocabulary come along, new characters get fresh rows")
    xla: bool | None = setting(
        None, "compile the training step with XLA (seconds once, then faster steps); null: "
        "for gpt only, where it gains 1.6x")

    def validate(self) -> None:
        for name in ("epochs", "batch_size", "context", "embed", "units", "layers", "heads",
                     "max_steps", "eval_every", "val_max_chars", "patience"):
            positive(name, getattr(self, name))
        for name in ("lr", "time_budget", "min_lr"):
            positive(name, getattr(self, name))
        for name in ("clipnorm", "weight_decay", "warmup", "warmup_steps"):
            positive(name, getattr(self, name), allow_zero=True)
        in_range("dropout", self.dropout, 0.0, 1.0, "[)")
        in_range("lr_decay", self.lr_decay, 0.0, 1.0, "(]")
        in_range("anneal", self.anneal, 0.0, 1.0, "[]")
        in_range("val_fraction", self.val_fraction, 0.0, 0.5, "()")
        in_range("test_share", self.test_share, 0.0, 1.0, "[)")
        one_of("strategy", self.strategy, STRATEGIES)
        if self.arch is not None:
            one_of("arch", self.arch, ARCHS)
        if self.lr_schedule is not None:
            one_of("lr_schedule", self.lr_schedule, SCHEDULES)
        if self.arch == "gpt" and self.units and self.heads and self.units % self.heads:
            raise UsageError(f"--units {self.units} (the gpt's width) must be a multiple of "
                             f"--heads {self.heads}")
        if self.arch == "gpt" and self.embed is not None and self.units is not None \
                and self.embed != self.units:
            raise UsageError(f"a gpt's embedding is its width: --embed {self.embed} differs "
                             f"from --units {self.units} (give one of them)")
        if self.arch != "gpt" and self.arch is not None and self.heads is not None:
            raise UsageError(f"--heads is for --arch gpt, not {self.arch}")


@dataclass(frozen=True)
class TextSampling:
    """How ``generate-text`` and ``generate-poem`` continue a prompt."""

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

