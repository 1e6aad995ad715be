"""The settings of the jazz model (``configs/jazz.yaml``) and of ``generate-jazz``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from seqgen.config import (
    MAX_TEMPERATURE,
    STRATEGIES,
    in_range,
    one_of,
    positive,
    same_file,
    setting,
)
from seqgen.errors import UsageError


def check_solo_temperature(value: float) -> None:
    if not 0 <= value <= MAX_TEMPERATURE:  # also refuses NaN
        raise UsageError(f"--temperature must be 0 or more (0: the likeliest token) and at "
                         f"most {MAX_TEMPERATURE:g}, got {value}")


def is_collection(midi: str | tuple[str, ...]) -> bool:
    """Whether ``midi`` names several files or a folder (rather than one file)."""
    return isinstance(midi, tuple) or Path(midi).is_dir()


@dataclass(frozen=True)
class JazzConfig:
    """Settings of the jazz solo model (``configs/jazz.yaml``)."""

    midi: str | tuple[str, ...] = setting(
        "data/original_metheny.mid", "MIDI file with a melody part and a chord part; or "
        "a folder, or a list of files and folders (MIDI files and lead sheets)")
    # the parts and window below describe the config's own file; None = chosen automatically
    melody_part: int | str | None = setting(5, "part index of the solo (music21 10.x: 'Guitar')")
    chord_part: int | str | None = setting(0, "part index whose chords are the harmony ('Piano')")
    accompaniment_parts: tuple[int, ...] | None = setting(
        (0, 1, 6, 7), "parts that must exist (the reference's accompaniment)")
    offset_start: float | None = setting(476.0, "the solo section, in quarter notes ...")
    offset_end: float | None = setting(548.0, "... end inclusive")
    checkpoint: str = setting("runs/jazz", "run directory (model, vocabulary, corpus, chords)")
    out: str = setting("out.midi", "generated solo")
    hidden: int = setting(64, "LSTM units")
    windows: int = setting(60, "training windows drawn from the corpus")
    window_length: int = setting(30, "tokens per window (time steps)")
    data_seed: int = setting(0, "where the windows start")
    epochs: int = setting(100, "total epochs (a resumed run continues to this number)")
    save_every: int | None = setting(
        None, "also save the checkpoint every N epochs (null: at the end)")
    batch_size: int = setting(32, "windows per step on each replica (Keras' default)")
    lr: float = setting(0.01, "Adam learning rate")
    seed: int = setting(0, "weight initialisation and generation")
    temperature: float = setting(1.0, "sampling temperature; 0 = argmax (the reference)")
    bpm: float | None = setting(130.0, "tempo of the written MIDI")
    strategy: str = setting("default", "tf.distribute strategy: default, mirrored, multiworker")
    val_split: float = setting(
        0.0, "share of a collection's files held out from training, for evaluate")

    SOURCE_FIELDS = ("melody_part", "chord_part", "accompaniment_parts", "offset_start",
                     "offset_end", "bpm")

    def for_midi(self, midi: str, **given):
        """This config for another MIDI file: what described the config's own file (parts,
        window, tempo) is dropped, so it is chosen from the new file, unless ``given``.
        ``midi`` may be a folder or several paths (a collection)."""
        if not is_collection(midi) and same_file(midi, self.midi):
            return dataclasses.replace(self, **{k: v for k, v in given.items() if v is not None})
        return dataclasses.replace(self, midi=midi, **{k: given.get(k)
                                                       for k in self.SOURCE_FIELDS})

    @property
    def reference_parts(self) -> bool:
        """Whether parts and window are all given by index (the reference's way)."""
        return (all(isinstance(p, int) for p in (self.melody_part, self.chord_part))
                and self.accompaniment_parts is not None and self.offset_start is not None)

    def validate(self) -> None:
        in_range("val_split", self.val_split, 0.0, 1.0, "[)")
        for name in ("hidden", "windows", "window_length", "epochs", "save_every",
                     "batch_size"):
            positive(name, getattr(self, name))
        positive("lr", self.lr)
        positive("bpm", self.bpm)
        check_solo_temperature(self.temperature)
        one_of("strategy", self.strategy, STRATEGIES)
        if (self.offset_start is None) != (self.offset_end is None):
            raise UsageError("offset_start and offset_end must be given together")
        if self.offset_start is not None and not self.offset_start < self.offset_end:
            raise UsageError(f"offset_start ({self.offset_start}) must be below offset_end "
                             f"({self.offset_end})")


@dataclass(frozen=True)
class SoloSampling:
    """How ``generate-jazz`` improvises (temperature 0 always takes the likeliest token)."""

    temperature: float = 1.0
    measures: int | None = None
    bpm: float | None = None  # None: the tempo the model was trained at
    primer: str | None = None  # a MIDI file whose melody the solo starts with
    chords: str | None = None  # a chord chart ("Dm7 G7 | Cmaj7"), or a file with harmony
    choruses: int = 1  # times through the changes

    def validate(self) -> None:
        check_solo_temperature(self.temperature)
        positive("measures", self.measures)
        positive("bpm", self.bpm)
        positive("choruses", self.choruses)
