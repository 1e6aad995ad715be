"""seqgen as a Python library: the commands' work, callable from a program or a notebook.

    import seqgen

    m = seqgen.load("sonnets")              # a run directory, or a shipped model's name
    m.generate("Once", length=200, seed=1)  # the continuation, as generate-poem writes it
    seqgen.load("dinos").generate(n=10, seed=3)
    seqgen.load("metheny").generate(seed=4).write_midi("solo.mid")
    seqgen.train_text(data="my.txt", time_budget=60, run="runs/x", init_from="sonnets")

Keyword names are the command-line options' names (``--time-budget`` is ``time_budget``,
``--set`` is ``set``); values are checked exactly as the command line checks them, with the
same messages. Errors are :class:`seqgen.SeqgenError` subclasses; nothing here exits the
interpreter. Loading and generating import no TensorFlow; training imports it once the
input is known to be usable. The command line is a thin layer over these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seqgen.checkpoints import WEIGHTS_NAME, load_arrays, read_meta, resolve
from seqgen.config import build_config, default_config_path, load_config, make_options
from seqgen.errors import ConfigError, UsageError
from seqgen.finetune import FAMILIES, SHIPPED

if TYPE_CHECKING:  # the training machinery loads with the first trainer called, not before
    from seqgen.training import TrainResult

Progress = Callable[..., None]  # progress(done, total=None, **fields), as a progress bar takes


def _quiet(*args, **kwargs) -> None:
    pass


# ---------------------------------------------------------------- loading and generating

def _locate(source) -> tuple[Path, str, str]:
    """(run directory, kind, name) of a run directory or a shipped model's name."""
    text = str(source)
    path = SHIPPED[text][0] if text in SHIPPED else Path(source).expanduser()
    meta = read_meta(resolve(path))  # CheckpointError: missing, damaged, not a run
    return path, meta["kind"], text


def load(source="sonnets"):
    """A model to generate from or score: :class:`TextModel`, :class:`NamesModel` or
    :class:`JazzModel`, after the run's kind.

    ``source`` is a run directory or a shipped model: sonnets, dinos, metheny, jazz-notes.

    Raises:
        CheckpointError: no run there, a damaged one, or a kind seqgen does not know.
    """
    path, kind, name = _locate(source)
    family = FAMILIES.get(kind)
    if family is None:
        from seqgen.errors import CheckpointError

        raise CheckpointError(f"{path} holds a '{kind}' checkpoint, which seqgen cannot load")
    return {"text": TextModel, "names": NamesModel, "jazz": JazzModel}[family](path, kind, name)


@dataclass(frozen=True)
class _Model:
    path: Path  # the run directory
    kind: str  # what meta.json says it holds
    name: str  # as it was asked for: a shipped name or a path

    @property
    def meta(self) -> dict:
        return read_meta(resolve(self.path))


class TextModel(_Model):
    """A character model of a text (train-text, train-shakespeare, the shipped sonnets)."""

    def generate(self, prompt: str = "", length: int = 400, seed: int | None = None,
                 temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, lines: int | None = None) -> str:
        """The continuation of ``prompt`` (without the prompt): for a seed, the characters
        ``generate-text --seed`` prints after it."""
        from seqgen.text.config import TextSampling
        from seqgen.text.model import generate_texts

        options = make_options(TextSampling, length=length, temperature=temperature,
                               top_k=top_k, top_p=top_p, lines=lines)
        streams = generate_texts(prompt, options, seed, self.path)
        return "".join(streams.streams[0])

    def evaluate(self, data=None, part: str = "test"):
        """The loss on the test part of the run's text (``part``: test or validation), or on
        the whole of another text ``data``: an ``EvalResult`` (``loss`` in nats/char)."""
        from seqgen.text.model import evaluate

        return evaluate(self.path, data, part=part)


class NamesModel(_Model):
    """A names model (train-dino, the shipped dinos)."""

    def generate(self, n: int = 10, seed: int | None = None, temperature: float = 1.0,
                 novel: bool = False, prefix: str = "", max_length: int = 50) -> list[str]:
        """``n`` names: for a seed, the names ``sample-dino -n N --seed`` prints."""
        from seqgen.names.config import NameSampling
        from seqgen.names.model import sample_dino

        options = make_options(NameSampling, count=n, temperature=temperature, novel=novel,
                               prefix=prefix, max_length=max_length)
        return list(sample_dino(options, seed, self.path).names)


class JazzModel(_Model):
    """A jazz model (train-jazz, the shipped metheny and jazz-notes)."""

    def generate(self, seed: int | None = None, temperature: float | None = None,
                 measures: int | None = None, chords: str | None = None, choruses: int = 1,
                 range: str | None = None, primer=None, bpm: float | None = None,  # noqa: A002
                 repeat_penalty: float | None = None):
        """A solo (``.melody``, ``.chords``, ``.report``, ``.write_midi(path)``): for a seed,
        the one ``generate-jazz --seed`` writes (``repeat_penalty``: the note model's, the
        run's own when None)."""
        from seqgen.jazz.config import SoloSampling
        from seqgen.jazz.models import improvise_solo, load_model, solo_bpm
        from seqgen.jazz.notes import parse_range

        options = make_options(SoloSampling, temperature=temperature, measures=measures,
                               bpm=bpm, primer=str(primer) if primer else None, chords=chords,
                               choruses=choruses,
                               pitch_range=parse_range(range) if range else None,
                               repeat_penalty=repeat_penalty)
        model = load_model(self.path)
        return improvise_solo(model, options, seed, solo_bpm(model, options))

    def evaluate(self, part: str = "test"):
        """Nats per note (grammar: per token) on the run's test or validation files, beside
        the counting baselines: a ``JazzScore``."""
        from seqgen.jazz.models import evaluate_jazz

        return evaluate_jazz(self.path, part)


def evaluate(run=None, data=None, part: str = "test"):
    """``seqgen evaluate``: a text run (default: the shipped sonnets) or a jazz run."""
    model = load(run if run is not None else "sonnets")
    if data is not None:
        if not isinstance(model, TextModel):
            raise UsageError("--data is for text models; a jazz run is scored on the files "
                             "held out from its training (train-jazz --held-out)")
        return model.evaluate(data, part)
    return model.evaluate(part=part)


@dataclass(frozen=True)
class Shipped:
    """A model shipped inside the package."""

    name: str
    kind: str
    parameters: int
    bytes: int  # the weights file on disk
    trained_on: str


def models() -> list[Shipped]:
    """The shipped models, each loadable by name and usable with ``init_from``."""
    out = []
    for name, (path, _, trained_on) in SHIPPED.items():
        meta = read_meta(path)
        arrays = load_arrays(path / WEIGHTS_NAME)
        count = sum(a.size for k, a in arrays.items()
                    if not k.startswith(("best_", "adam_")) and k != "a_prev")
        out.append(Shipped(name, meta["kind"], int(count),
                           (path / WEIGHTS_NAME).stat().st_size, trained_on))
    return out


# ---------------------------------------------------------------- training

def _given(cls, values: dict, where: str) -> dict:
    """The values given (not None), paths as strings, checked for names and types."""
    given = {k: str(v) if isinstance(v, Path) else v for k, v in values.items() if v is not None}
    built = build_config(cls, given, where)  # ConfigError: unknown name or wrong type
    return {k: getattr(built, k) for k in given}


# train-text's presets: a YAML file of settings (configs/NAME.yaml) and the command's name
PRESETS = {"text": "train-text", "shakespeare": "train-shakespeare"}


def train_text(data=None, *, run=None, init_from=None, resume=None, config=None, set=(),  # noqa: A002
               progress: Progress = _quiet, on_info=_quiet, on_eval=_quiet,
               command: str | None = None, preset: str = "text", **settings) -> TrainResult:
    """Train a character model of ``data`` into the run directory ``run`` (``train-text``;
    ``preset="shakespeare"`` is ``train-shakespeare``). Any other setting of
    ``configs/text.yaml`` is a keyword (``time_budget=60``, ``arch="gru"``, ...).

    ``on_info(line)`` gets the status lines, ``on_eval(record)`` each validation,
    ``progress(step, total, **fields)`` the progress. Returns the run's ``TrainResult``
    (``val_loss``: the best validation loss, nats/char).
    """
    from seqgen.text.config import TextConfig
    from seqgen.text.train import train_text as trainer

    if preset not in PRESETS:
        raise UsageError(f"preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    if config is None and not default_config_path(preset).is_file():
        raise ConfigError(f"the {preset} preset's settings are missing: "
                          f"{default_config_path(preset)}")
    run = resume if run is None and resume is not None else run
    values = _given(TextConfig, {"data": data, "run": run, "init_from": init_from, **settings},
                    f"seqgen.train_{preset}")
    cfg = load_config(TextConfig, config, preset, values, sets=set or ())
    data_given = "data" in values or any(s.partition("=")[0].strip() == "data" for s in set)
    return trainer(cfg, resume=str(resume) if resume else None, on_progress=progress,
                   on_info=on_info, on_eval=on_eval, command_name=PRESETS[preset],
                   command=command, data_given=data_given)


def train_shakespeare(data=None, **kwargs) -> TrainResult:
    """``train-shakespeare``: :func:`train_text` with the course's preset."""
    return train_text(data, preset="shakespeare", **kwargs)


def train_dino(data=None, *, run=None, init_from=None, resume=None, config=None, set=(),  # noqa: A002
               progress: Progress = _quiet, on_report=None, on_info=_quiet,
               **settings) -> TrainResult:
    """Train a names model of ``data`` (one name per line) into ``run`` (``train-dino``);
    any other setting of ``configs/dino.yaml`` is a keyword (``iters``, ``hidden``, ...).
    ``on_report(iteration, loss, names)`` gets each report."""
    from seqgen.names.config import DinoConfig
    from seqgen.names.train import train_dino as trainer

    run = resume if run is None and resume is not None else run
    values = _given(DinoConfig, {"data": data, "run": run, "init_from": init_from, **settings},
                    "seqgen.train_dino")
    cfg = load_config(DinoConfig, config, "dino", values, sets=set or ())
    return trainer(cfg, resume=str(resume) if resume else None, on_report=on_report,
               on_progress=progress, on_info=on_info)


def train_jazz(midi=None, *, run=None, out=None, init_from=None, resume=None,
               config=None, set=(), progress: Progress = _quiet, on_info=_quiet,  # noqa: A002
               **settings):
    """Train a jazz model on ``midi`` (a file, a folder, or a list of them) into the run
    directory ``run`` and write its first solo to ``out`` (``train-jazz``); any other
    setting of ``configs/jazz.yaml`` is a keyword (``epochs``, ``model``, ...). Returns a
    ``JazzTrainResult`` (``.train``, ``.solo``)."""
    from seqgen.jazz.config import JazzConfig, jazz_config
    from seqgen.jazz.train import train_jazz as trainer

    if isinstance(midi, (list, tuple)):
        midi = tuple(str(m) for m in midi) if len(midi) > 1 else (str(midi[0]) if midi
                                                                   else None)
    elif midi is not None:
        midi = str(midi)
    run = resume if run is None and resume is not None else run
    values = _given(JazzConfig, {"run": run, "out": out,
                                 "init_from": init_from, **settings}, "seqgen.train_jazz")
    cfg = jazz_config(config, values, tuple(set or ()), midi)
    return trainer(cfg, resume=str(resume) if resume else None, on_progress=progress,
               on_info=on_info)


def render_midi(midi, out=None, synth: str = "auto", soundfont=None, sample_rate: int = 44100,
                plot: bool = False, on_info=_quiet):
    """Render a MIDI file to WAV (``render-midi``): a ``RenderResult`` (``.wav``, ...)."""
    from seqgen.audio.render import render_midi as run

    return run(midi, out, synth, soundfont, sample_rate, plot, on_status=on_info)


__all__ = ["JazzModel", "NamesModel", "Shipped", "TextModel", "evaluate",
           "load", "models", "render_midi", "train_dino", "train_jazz", "train_shakespeare",
           "train_text"]
