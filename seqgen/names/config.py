"""The settings of the names model (``configs/dino.yaml``) and of ``sample-dino``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from seqgen.config import check_between, check_temperature, in_range, one_of, positive, setting
from seqgen.errors import UsageError

MAX_NAME_LENGTH = 1_000  # characters of one sampled name
DEFAULT_HIDDEN = 50  # the course's hidden units


@dataclass(frozen=True)
class DinoConfig:
    """Settings of the dinosaur-name model (``configs/dino.yaml``)."""

    data: str = setting("data/dinos.txt", "one name per line, any alphabet")
    run: str = setting("runs/dino", "run directory (checkpoint, loss_curve.png)")
    iters: int = setting(22001, "total training iterations (one name each with batch_size 1)")
    hidden: int | None = setting(
        None, "hidden units n_a (null: 50, or the source's with init_from)")
    lr: float = setting(0.01, "learning rate (SGD; Adam when batch_size > 1)")
    clip: float = setting(5.0, "gradient clipping bound")
    seed: int = setting(1, "parameter initialisation seed")
    shuffle_seed: int = setting(0, "the one shuffle of the names")
    report_every: int = setting(1000, "print loss and sample names every N iterations")
    report_names: int = setting(7, "names sampled at each report (seeds 0, 1, ...)")
    save_every: int = setting(5000, "write the checkpoint every N iterations (and at the end)")
    cell: str | None = setting(
        None, "rnn (reference) or lstm (null: rnn, or the source's with init_from)")
    batch_size: int = setting(
        1, "1 = the reference per-name SGD; > 1 = padded mini-batches with Adam")
    val_split: float = setting(0.0, "fraction of names held out for the validation loss")
    init_from: str | None = setting(
        None, "start from this names model's weights: a train-dino run or a shipped model "
        "(dinos); its cell and size come along, new characters get fresh rows")

    def validate(self) -> None:
        for name in ("iters", "hidden", "report_every", "save_every", "batch_size"):
            positive(name, getattr(self, name))
        positive("report_names", self.report_names, allow_zero=True)
        positive("lr", self.lr)
        positive("clip", self.clip)
        if self.cell is not None:
            one_of("cell", self.cell, ("rnn", "lstm"))

    def filled(self) -> DinoConfig:
        """The open shape settings at their defaults: 50 units, the reference RNN."""
        return dataclasses.replace(self, hidden=self.hidden or DEFAULT_HIDDEN,
                                   cell=self.cell or "rnn")
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
