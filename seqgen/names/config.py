"""The settings of the names model (``configs/dino.yaml``) and of ``sample-dino``."""

from __future__ import annotations

from dataclasses import dataclass

from seqgen.config import check_between, check_temperature, in_range, one_of, positive
from seqgen.errors import UsageError

MAX_NAME_LENGTH = 1_000  # characters of one sampled name


@dataclass(frozen=True)
class DinoConfig:
    """Settings of the dinosaur-name model (``configs/dino.yaml``)."""

    data: str = "data/dinos.txt"
    out: str = "runs/dino"
    iters: int = 22001
    hidden: int = 50
    lr: float = 0.01
    clip: float = 5.0
    seed: int = 1
    shuffle_seed: int = 0
    report_every: int = 1000
    report_names: int = 7
    save_every: int = 5000
    cell: str = "rnn"
    batch_size: int = 1
    val_split: float = 0.0

    def validate(self) -> None:
        for name in ("iters", "hidden", "report_every", "save_every", "batch_size"):
            positive(name, getattr(self, name))
        positive("report_names", self.report_names, allow_zero=True)
        positive("lr", self.lr)
        positive("clip", self.clip)
        one_of("cell", self.cell, ("rnn", "lstm"))
        in_range("val_split", self.val_split, 0.0, 1.0, "[)")


@dataclass(frozen=True)
class NameSampling:
    """How ``sample-dino`` draws names."""

    count: int = 10
    temperature: float = 1.0
    novel: bool = False
    prefix: str = ""  # every name starts with it
    max_length: int = 50  # characters of a name, the prefix included

    def validate(self) -> None:
        positive("count", self.count)
        check_temperature(self.temperature)
        check_between("--max-length", self.max_length, 1, MAX_NAME_LENGTH)
        if "\n" in self.prefix or "\r" in self.prefix:
            raise UsageError("--prefix must be one line (a newline ends a name)")
        if len(self.prefix) >= self.max_length:
            raise UsageError(f"--prefix has {len(self.prefix)} characters, which leaves no "
                             f"room under --max-length {self.max_length}")
