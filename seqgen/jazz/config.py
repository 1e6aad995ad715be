"""The settings of the jazz model (``configs/jazz.yaml``) and of ``generate-jazz``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from seqgen.config import (
    MAX_TEMPERATURE,
    STRATEGIES,
    in_range,
    load_config,
    one_of,
    parse_sets,
    positive,
    same_file,
    setting,
)
from seqgen.errors import UsageError


def check_solo_temperature(value: float | None) -> None:
    if value is not None and not 0 <= value <= MAX_TEMPERATURE:  # also refuses NaN
        raise UsageError(f"--temperature must be 0 or more (0: the likeliest token) and at "
                         f"most {MAX_TEMPERATURE:g}, got {value}")


MAX_REPEAT_PENALTY = 50.0  # far past never repeating a note: e^-50


def check_repeat_penalty(value: float | None) -> None:
    if value is not None and not 0 <= value <= MAX_REPEAT_PENALTY:  # also refuses NaN
        raise UsageError(f"--repeat-penalty must be between 0 (none) and "
                         f"{MAX_REPEAT_PENALTY:g}, got {value}")


def is_collection(midi: str | tuple[str, ...]) -> bool:
    """Whether ``midi`` names several files or a folder (rather than one file)."""
    return isinstance(midi, tuple) or Path(midi).is_dir()


COURSE_MIDI = "data/original_metheny.mid"  # the course's solo: the grammar model's preset
# what an open (null) setting is for each model
MODEL_DEFAULTS = {
    "grammar": {"window_length": 30, "batch_size": 32, "lr": 0.01, "temperature": 1.0,
                "epochs": 100, "input_dropout": 0.0},
    "notes": {"window_length": 64, "batch_size": 16, "lr": 0.003, "temperature": 0.9,
              "epochs": 200, "input_dropout": 0.2, "repeat_penalty": 1.0},
}


DEFAULT_BPM = 130.0  # a solo's tempo when neither the user nor its source gives one

@dataclass(frozen=True)
class JazzConfig:
    """Settings of the jazz solo model (``configs/jazz.yaml``)."""

    midi: str | tuple[str, ...] = setting(
        COURSE_MIDI, "MIDI file with a melody part and a chord part; or "
        "a folder, or a list of files and folders (MIDI files and lead sheets)")
    # the parts and window below describe the config's own file; None = chosen automatically
    melody_part: int | str | None = setting(5, "part index of the solo (music21 10.x: 'Guitar')")
    chord_part: int | str | None = setting(0, "part index whose chords are the harmony ('Piano')")
    accompaniment_parts: tuple[int, ...] | None = setting(
        (0, 1, 6, 7), "parts that must exist (the reference's accompaniment)")
    offset_start: float | None = setting(476.0, "the solo section, in quarter notes ...")
    offset_end: float | None = setting(548.0, "... end inclusive")
    model: str | None = setting(
        None, "notes (a note model: the network picks every pitch over the chords) or grammar "
        "(the course's token model); null: grammar for the course's own file, notes for any "
        "other music")
    run: str = setting("runs/jazz", "run directory (model, vocabulary, corpus, chords)")
    out: str = setting("out.midi", "generated solo")
    hidden: int = setting(64, "LSTM units")
    windows: int = setting(60, "grammar model: training windows drawn from the corpus")
    window_length: int | None = setting(
        None, "time steps per window: grammar tokens (null: 30) or note events (null: 64)")
    data_seed: int = setting(0, "where the windows start; which files are held out")
    epochs: int | None = setting(
        None, "total epochs, a resumed run continues to this number (null: 100 grammar, 200 "
        "notes; a collection's validation files usually stop the note model before)")
    patience: int | None = setting(
        10, "stop after this many epochs without a better validation loss (null: never); "
        "only with validation files")
    save_every: int | None = setting(
        None, "also save the checkpoint every N epochs (null: at the end)")
    batch_size: int | None = setting(
        None, "windows per step on each replica (null: 32 grammar, Keras' default; 16 notes)")
    lr: float | None = setting(None, "Adam learning rate (null: 0.01 grammar, 0.003 notes)")
    input_dropout: float | None = setting(
        None, "note model: share of the input features dropped while training (null: 0.2; "
        "the grammar model has none)")
    seed: int = setting(0, "weight initialisation and generation")
    temperature: float | None = setting(
        None, "sampling temperature of the first solo; 0 = argmax (the reference); null: the "
        "model's (1.0)")
    repeat_penalty: float | None = setting(
        None, "note model: subtracted from the logit of the pitch just played when a solo "
        "draws the next one (0: none; null: 1.0; the grammar model has none)")
    bpm: float | None = setting(DEFAULT_BPM, "tempo of the written MIDI")
    strategy: str = setting("default", "tf.distribute strategy: default, mirrored, multiworker")
    init_from: str | None = setting(
        None, "start from this jazz model's weights: a train-jazz run or a shipped model "
        "(jazz-notes, metheny); its model and size come along")
    held_out: float | None = setting(
        None, "share of a collection's pieces held out, half to validate (choose the epoch, "
        "stop early) and half to test (evaluate); null: 0.2 from 10 usable files, else none")

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

    def resolved(self) -> JazzConfig:
        """This config with the model chosen and its open settings filled in.

        Music other than the course's solo with every part, window and tempo setting at
        the course file's values (``JazzConfig(midi="folder/")`` from Python) has them
        chosen from the music instead, as ``train-jazz --midi`` does.
        """
        course = not is_collection(self.midi) and same_file(self.midi, COURSE_MIDI)
        cfg = self
        if not course and all(getattr(self, k) == getattr(JazzConfig, k)
                              for k in self.SOURCE_FIELDS):
            cfg = dataclasses.replace(self, **dict.fromkeys(self.SOURCE_FIELDS))
        model = self.model or ("grammar" if course else "notes")
        return dataclasses.replace(cfg, model=model, **{
            k: v for k, v in MODEL_DEFAULTS[model].items() if getattr(self, k) is None})

    def validate(self) -> None:
        if self.model is not None:
            one_of("model", self.model, tuple(MODEL_DEFAULTS))
        in_range("held_out", self.held_out, 0.0, 1.0, "[)")
        in_range("input_dropout", self.input_dropout, 0.0, 1.0, "[)")
        for name in ("input_dropout", "repeat_penalty"):
            if self.model == "grammar" and getattr(self, name):
                raise UsageError(f"{name} is a setting of the note model; the grammar "
                                 "model has none")
        check_repeat_penalty(self.repeat_penalty)
        for name in ("hidden", "windows", "window_length", "epochs", "save_every",
                     "batch_size", "patience"):
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


def jazz_config(path: str | Path | None, overrides: dict, sets=(),
                midi: str | tuple[str, ...] | None = None) -> JazzConfig:
    """``train-jazz``'s settings: the YAML file (default ``configs/jazz.yaml``), the
    ``--set KEY=VALUE`` items, then ``overrides`` (the named flags; None = not given), for
    the music ``midi`` (default: the file's, or ``--set midi=``).

    For music other than the config's own file, what described that file (parts, section,
    tempo) is chosen from the new music, unless given by a flag or ``--set``.

    Raises:
        ConfigError / UsageError: as :func:`seqgen.config.load_config`.
    """
    own = [s for s in sets if s.partition("=")[0].strip() != "midi"]
    if midi is None and len(own) < len(sets):  # --set midi=FILE is --midi FILE
        midi = parse_sets(JazzConfig, [s for s in sets if s not in own])["midi"]
    given = {k: v for k, v in parse_sets(JazzConfig, own).items()
             if k in JazzConfig.SOURCE_FIELDS}
    given.update({k: v for k, v in overrides.items()
                  if k in JazzConfig.SOURCE_FIELDS and v is not None})
    flags = {k: v for k, v in overrides.items() if k not in JazzConfig.SOURCE_FIELDS}
    return load_config(JazzConfig, path, "jazz", flags, sets=own,
                       adjust=lambda cfg: cfg.for_midi(midi or cfg.midi, **given))


@dataclass(frozen=True)
class SoloSampling:
    """How ``generate-jazz`` improvises (temperature 0 always takes the likeliest token)."""

    temperature: float | None = None  # None: the model's own (its run's config)
    measures: int | None = None
    bpm: float | None = None  # None: the tempo the model was trained at
    primer: str | None = None  # a MIDI file whose melody the solo starts with
    chords: str | None = None  # a chord chart ("Dm7 G7 | Cmaj7"), or a file with harmony
    choruses: int = 1  # times through the changes
    pitch_range: tuple[int, int] | None = None  # lowest and highest melody pitch (note model)
    repeat_penalty: float | None = None  # note model; None: the model's own (its run's config)

    def validate(self) -> None:
        check_solo_temperature(self.temperature)
        check_repeat_penalty(self.repeat_penalty)
        positive("measures", self.measures)
        positive("bpm", self.bpm)
        positive("choruses", self.choruses)
