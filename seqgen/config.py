"""Strict YAML configs: typed, frozen dataclasses; unknown keys and wrong types are errors."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from seqgen.errors import ConfigError, UsageError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
STRATEGIES = ("default", "mirrored", "multiworker")  # tf.distribute strategies (--strategy)
MAX_TEMPERATURE = 100.0
MAX_LENGTH = 1_000_000  # characters of one generated poem


def default_config_path(name: str) -> Path:
    """``configs/<name>.yaml`` in the working directory if present, else the project's own."""
    local = Path("configs") / f"{name}.yaml"
    return local if local.is_file() else CONFIG_DIR / f"{name}.yaml"


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value, tp, key: str, source: str):
    """Check ``value`` against the field type ``tp``; ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key, source)
            except ConfigError:
                pass
        raise ConfigError(f"{source}: key '{key}' has the wrong type ({type(value).__name__}); "
                          f"expected {' or '.join(_type_name(a) for a in args)}")
    if origin in (tuple, list):
        (inner, *_) = typing.get_args(tp) or (object,)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: key '{key}' must be a list, got {type(value).__name__}")
        return tuple(_coerce(v, inner, key, source) for v in value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is object:
        return value
    if tp in (int, float, str, bool):
        if isinstance(value, bool) and tp is not bool:
            ok = False
        else:
            ok = isinstance(value, tp)
        if not ok:
            raise ConfigError(f"{source}: key '{key}' must be {tp.__name__}, "
                              f"got {type(value).__name__} {value!r}")
        return value
    return value


def read_yaml_mapping(path: str | Path) -> dict:
    """Load a YAML file with ``safe_load`` and require a mapping at the top.

    Raises:
        ConfigError: missing, unreadable, not UTF-8, broken YAML or not a mapping.
    """
    import yaml

    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file not found: {p}")
    if p.is_dir():
        raise ConfigError(f"config path is a directory, expected a YAML file: {p}")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {p}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot parse"
        raise ConfigError(f"{p}: broken YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of key: value, got {type(data).__name__}")
    return data


def build_config(cls, values: dict, source: str):
    """Make a ``cls`` dataclass from ``values``, checking keys and types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if not isinstance(key, str) or key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{source}: unknown key '{key}' (known keys: {known})")
        kwargs[key] = _coerce(value, hints[key], key, source)
    return cls(**kwargs)


def load_config(cls, path: str | Path | None, name: str, overrides: dict | None = None):
    """Load ``cls`` from ``path`` (default ``configs/<name>.yaml``) then apply CLI overrides.

    ``overrides`` maps field names to values; ``None`` values mean "not given".

    Raises:
        ConfigError: unreadable file, unknown key or wrong type.
    """
    p = Path(path) if path is not None else default_config_path(name)
    values = read_yaml_mapping(p) if (path is not None or p.is_file()) else {}
    config = build_config(cls, values, str(p))
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if given:
        config = dataclasses.replace(config, **given)
    check = getattr(config, "validate", None)
    if check is not None:
        check()
    return config


def config_to_dict(config) -> dict:
    out = dataclasses.asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


SHORT_FLAGS = {"count": "-n/--count"}  # options users mostly give by their short name


def _flag(name: str) -> str:
    return SHORT_FLAGS.get(name, "--" + name.replace("_", "-"))


def positive(name: str, value, allow_zero: bool = False) -> None:
    """Raise a UsageError naming ``--name`` unless ``value`` is positive (or zero)."""
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{_flag(name)} must be a finite number, got {value}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "0 or more" if allow_zero else "positive"
        raise UsageError(f"{_flag(name)} must be {bound}, got {value}")


def in_range(name: str, value, low: float, high: float, closed: str = "[)") -> None:
    """Raise a UsageError naming ``--name`` unless ``value`` lies in the interval.

    ``closed`` gives the brackets: ``"[)"`` is low <= value < high, ``"(]"`` low < value <=
    high, and so on.
    """
    if value is None:
        return
    above = value >= low if closed[0] == "[" else value > low
    below = value <= high if closed[1] == "]" else value < high
    if not (above and below):
        raise UsageError(f"{_flag(name)} must be in {closed[0]}{low:g}, {high:g}{closed[1]}, "
                         f"got {value}")


def one_of(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UsageError(f"{_flag(name)} must be one of {', '.join(choices)}, got {value!r}")


def _same_file(a: str, b: str) -> bool:
    """Whether two paths as written (built-in defaults resolved) hold the same file: the
    same one, or a copy with the same bytes."""
    import filecmp

    from seqgen.datasets import locate

    try:
        return filecmp.cmp(locate(a), locate(b), shallow=False)
    except OSError:
        return a == b


def _check_solo_temperature(value: float) -> None:
    if not 0 <= value <= MAX_TEMPERATURE:  # also refuses NaN
        raise UsageError(f"--temperature must be 0 or more (0: the likeliest token) and at "
                         f"most {MAX_TEMPERATURE:g}, got {value}")


def make_options(cls, **values):
    """Build and validate an options dataclass from CLI values (``None`` = the default).

    Raises:
        UsageError: a value out of range, naming the flag.
    """
    given = {k: v for k, v in values.items() if v is not None}
    options = cls(**given)
    options.validate()
    return options


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
class JazzConfig:
    """Settings of the jazz solo model (``configs/jazz.yaml``)."""

    midi: str = "data/original_metheny.mid"
    # the parts and window below describe the config's own file; None = chosen automatically
    melody_part: int | str | None = 5  # index or name
    chord_part: int | str | None = 0
    accompaniment_parts: tuple[int, ...] | None = (0, 1, 6, 7)
    offset_start: float | None = 476.0
    offset_end: float | None = 548.0
    checkpoint: str = "runs/jazz"
    out: str = "out.midi"
    hidden: int = 64
    windows: int = 60
    window_length: int = 30
    data_seed: int = 0
    epochs: int = 100
    save_every: int | None = None  # also save every N epochs (None: only at the end)
    batch_size: int = 32
    lr: float = 0.01
    seed: int = 0
    temperature: float = 1.0
    bpm: float | None = 130.0  # None: the source's first tempo mark
    strategy: str = "default"

    SOURCE_FIELDS = ("melody_part", "chord_part", "accompaniment_parts", "offset_start",
                     "offset_end", "bpm")

    def for_midi(self, midi: str, **given):
        """This config for another MIDI file: what described the config's own file (parts,
        window, tempo) is dropped, so it is chosen from the new file, unless ``given``."""
        if _same_file(midi, self.midi):
            return dataclasses.replace(self, **{k: v for k, v in given.items() if v is not None})
        return dataclasses.replace(self, midi=midi, **{k: given.get(k)
                                                       for k in self.SOURCE_FIELDS})

    @property
    def reference_parts(self) -> bool:
        """Whether parts and window are all given by index (the reference's way)."""
        return (all(isinstance(p, int) for p in (self.melody_part, self.chord_part))
                and self.accompaniment_parts is not None and self.offset_start is not None)

    def validate(self) -> None:
        for name in ("hidden", "windows", "window_length", "epochs", "save_every",
                     "batch_size"):
            positive(name, getattr(self, name))
        positive("lr", self.lr)
        positive("bpm", self.bpm)
        _check_solo_temperature(self.temperature)
        one_of("strategy", self.strategy, STRATEGIES)
        if (self.offset_start is None) != (self.offset_end is None):
            raise UsageError("offset_start and offset_end must be given together")
        if self.offset_start is not None and not self.offset_start < self.offset_end:
            raise UsageError(f"offset_start ({self.offset_start}) must be below offset_end "
                             f"({self.offset_end})")


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


# ---------------------------------------------------------------- sampling options

def _check_temperature(value: float) -> None:
    if not 0 < value <= MAX_TEMPERATURE:  # also refuses NaN
        raise UsageError(f"--temperature must be > 0 and <= {MAX_TEMPERATURE:g}, got {value}")


MAX_SAMPLES = 10_000  # continuations of one prompt
MAX_NAME_LENGTH = 1_000  # characters of one sampled name


def _check_between(flag: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not low <= value <= high:
        raise UsageError(f"{flag} must be between {low} and {high}, got {value}")


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
        _check_temperature(self.temperature)
        _check_between("--max-length", self.max_length, 1, MAX_NAME_LENGTH)
        if "\n" in self.prefix or "\r" in self.prefix:
            raise UsageError("--prefix must be one line (a newline ends a name)")
        if len(self.prefix) >= self.max_length:
            raise UsageError(f"--prefix has {len(self.prefix)} characters, which leaves no "
                             f"room under --max-length {self.max_length}")


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
        _check_between("--length", self.length, 1, MAX_LENGTH)
        _check_temperature(self.temperature)
        positive("lines", self.lines)
        if self.top_k is not None and (isinstance(self.top_k, bool) or self.top_k < 1):
            raise UsageError(f"--top-k must be 1 or more, got {self.top_k}")
        in_range("top_p", self.top_p, 0.0, 1.0, "(]")  # also refuses NaN
        _check_between("--samples", self.samples, 1, MAX_SAMPLES)


@dataclass(frozen=True)
class SoloSampling:
    """How ``generate-jazz`` improvises (temperature 0 always takes the likeliest token)."""

    temperature: float = 1.0
    measures: int | None = None
    bpm: float | None = None  # None: the tempo the model was trained at
    primer: str | None = None  # a MIDI file whose melody the solo starts with

    def validate(self) -> None:
        _check_solo_temperature(self.temperature)
        positive("measures", self.measures)
        positive("bpm", self.bpm)
