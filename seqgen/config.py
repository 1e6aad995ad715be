"""Strict YAML configs: typed, frozen dataclasses; unknown keys and wrong types are errors."""

from __future__ import annotations

import dataclasses
import math
import sys
import types
import typing
from pathlib import Path

from seqgen.errors import ConfigError, UsageError

CONFIG_DIR = Path(__file__).resolve().parent / "configs"  # in the package; configs/ links here
STRATEGIES = ("default", "mirrored", "multiworker")  # tf.distribute strategies (--strategy)
MAX_TEMPERATURE = 100.0


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
        names = [_type_name(a) for a in args if a is not type(None)]
        if len(names) < len(args):
            if len(names) == 1:  # an optional value: say what it must be, as for a plain one
                raise ConfigError(f"{source}: key '{key}' must be {names[0]} or null, got "
                                  f"{type(value).__name__} {value!r}")
            names.append("null")
        raise ConfigError(f"{source}: key '{key}' has the wrong type ({type(value).__name__}); "
                          f"expected {' or '.join(names)}")
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


# Settings that changed their name: the old name still reads, with one line on stderr.
RENAMED = {"out": "run", "checkpoint": "run"}


def renamed_keys(cls, values: dict, source: str, quiet: bool = False) -> dict:
    """``values`` with old setting names (a run directory was ``out`` or ``checkpoint``)
    under their new name, where ``cls`` has the new name and not the old one; one stderr
    line for each, unless ``quiet`` (a checkpoint's saved settings)."""
    fields = {f.name for f in dataclasses.fields(cls)}
    moved = {}
    for key, value in values.items():
        new = RENAMED.get(key) if isinstance(key, str) and key not in fields else None
        if new is None or new not in fields or new in values:
            moved[key] = value
            continue
        if not quiet:
            print(f"seqgen: {source}: setting '{key}' is now '{new}'", file=sys.stderr)
        moved[new] = value
    return moved


def build_config(cls, values: dict, source: str, quiet: bool = False):
    """Make a ``cls`` dataclass from ``values``, checking keys and types (old names of
    renamed settings read as the new ones; see :func:`renamed_keys`)."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in renamed_keys(cls, values, source, quiet).items():
        if not isinstance(key, str) or key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{source}: unknown key '{key}' (known keys: {known})")
        kwargs[key] = _coerce(value, hints[key], key, source)
    return cls(**kwargs)


def load_config(cls, path: str | Path | None, name: str, overrides: dict | None = None,
                sets: list[str] | tuple[str, ...] = (), adjust=None):
    """Load ``cls`` from ``path`` (default ``configs/<name>.yaml``), then ``--set KEY=VALUE``
    items, then the named flags' ``overrides``; validate the result once.

    ``overrides`` maps field names to values; ``None`` values mean "not given".
    ``adjust(config) -> config`` runs last, before the one validation (train-jazz fits the
    config to its MIDI file there).

    Raises:
        ConfigError: unreadable file, unknown key or wrong type. UsageError: a value out
            of range (from ``validate``).
    """
    p = Path(path) if path is not None else default_config_path(name)
    values = read_yaml_mapping(p) if (path is not None or p.is_file()) else {}
    config = build_config(cls, values, str(p))
    from_sets = parse_sets(cls, sets or ())
    if from_sets:
        config = dataclasses.replace(config, **from_sets)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if given:
        config = dataclasses.replace(config, **given)
    if adjust is not None:
        config = adjust(config)
    check = getattr(config, "validate", None)
    if check is not None:
        check()
    return config


def setting(default, help: str):
    """A config field: its default and the one line of help ``--set`` and the docs show."""
    return dataclasses.field(default=default, metadata={"help": help})


def settings_help(cls) -> str:
    """``key (default): help`` for every field of ``cls``, one per line."""
    return "\n".join(f"{f.name} ({f.default!r}): {f.metadata.get('help', '')}"
                     for f in dataclasses.fields(cls))


_NULL = ("null", "none", "~", "")
_BOOLS = {"true": True, "yes": True, "on": True, "1": True,
          "false": False, "no": False, "off": False, "0": False}


def _typed(text: str, tp):
    """A ``--set`` value read as the field's type wants it: a string field takes the text as
    typed (``names #1.txt``, ``2024``), numbers go through ``int``/``float`` (``1e-3``),
    ``null`` is nothing where nothing is allowed, lists are read as YAML (``[0, 1]``).
    Text that fits no type is returned as it is, for the type check to name."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if type(None) in args and text.strip().lower() in _NULL:
            return None
        for arg in (a for a in args if a is not type(None)):
            value = _typed(text, arg)
            if arg is str or not isinstance(value, str):
                return value
        return text
    if tp is str:
        return text
    try:
        if tp is bool:
            return _BOOLS[text.strip().lower()]
        if tp is int:
            return int(text)
        if tp is float:
            return float(text)
        if origin in (tuple, list):
            import yaml

            return yaml.safe_load(text)
    except Exception:  # not that type (a ValueError, or YAML's own errors)
        return text
    return text


def parse_sets(cls, items: list[str] | tuple[str, ...]) -> dict:
    """``--set KEY=VALUE`` items as config values, checked like the YAML file's.

    Each VALUE is read for its field's type (see :func:`_typed`); later items win.

    Raises:
        ConfigError: an item without ``=``, an unknown key or a wrongly typed value, named.
    """
    fields = {f.name for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for item in items:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        values[key] = text
    if not values:
        return {}
    values = {k: _typed(text, hints[k]) if k in fields else text
              for k, text in renamed_keys(cls, values, "--set").items()}
    built = build_config(cls, values, "--set")  # the same key and type checks as a file
    return {k: getattr(built, k) for k in values}


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


def same_file(a: str, b: str) -> bool:
    """Whether two paths as written (built-in defaults resolved) hold the same file: the
    same one, or a copy with the same bytes."""
    import filecmp

    from seqgen.datasets import locate

    try:
        return filecmp.cmp(locate(a), locate(b), shallow=False)
    except OSError:
        return a == b


def make_options(cls, **values):
    """Build and validate an options dataclass from CLI values (``None`` = the default).

    Raises:
        UsageError: a value out of range, naming the flag.
    """
    given = {k: v for k, v in values.items() if v is not None}
    options = cls(**given)
    options.validate()
    return options


# ---------------------------------------------------------------- checks the task configs share

def check_temperature(value: float) -> None:
    if not 0 < value <= MAX_TEMPERATURE:  # also refuses NaN
        raise UsageError(f"--temperature must be > 0 and <= {MAX_TEMPERATURE:g}, got {value}")




def check_between(flag: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not low <= value <= high:
        raise UsageError(f"{flag} must be between {low} and {high}, got {value}")
