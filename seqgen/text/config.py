"""The settings of the text model (``configs/shakespeare.yaml``) and of ``generate-poem``."""

from __future__ import annotations

from dataclasses import dataclass

from seqgen.config import STRATEGIES, check_between, check_temperature, in_range, one_of, positive
from seqgen.errors import UsageError

MAX_LENGTH = 1_000_000  # characters of one generated poem
MAX_SAMPLES = 10_000  # continuations of one prompt


@dataclass(frozen=True)
class ShakespeareConfig:
    """Settings of the Shakespeare character model (``configs/shakespeare.yaml``)."""

    data: str = "data/shakespeare.txt"
    out: str = "runs/shakespeare"
    epochs: int = 50
    time_budget: float | None = None
    max_steps: int | None = None
    batch_size: int | None = None  # None: by the text's size (32, or 128 for 2 MB and more)
    seq_length: int = 64
    embed: int = 32
    units: int = 256
    dropout: float = 0.4
    lr: float = 0.005
    lr_decay: float = 0.5
    clipnorm: float = 5.0
    weight_decay: float = 0.0
    val_fraction: float = 0.1
    warmup: int = 100
    seed: int = 0
    strategy: str = "default"
    eval_every: int | None = None  # steps; None: one epoch, at most 1,000,000 characters
    val_max_chars: int | None = 200_000  # held-out characters scored at each evaluation

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
