"""train-jazz: a jazz model plugged into the training skeleton, then a first solo.

Both models train here the same way: the note model (``seqgen.jazz.notes``) and the
course's grammar-token LSTM (``GrammarTraining`` below) each give their windows, their
Keras trainer, their validation score and their checkpoint files; this module owns the
epochs, early stopping, the checkpoint and the first solo.

One step is one epoch over the training windows (for the grammar model, as in the course's
reference: 60 windows of 30 tokens). The checkpoint holds the weights, Adam's state, the
corpus and the chords, so ``--resume`` continues exactly and ``generate-jazz`` needs
nothing else. With validation files, each epoch is scored on them and the best epoch's
weights are kept beside the last ones.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqgen.atomic import write_bytes_atomic
from seqgen.checkpoints import save_checkpoint
from seqgen.cluster import is_chief
from seqgen.config import config_to_dict
from seqgen.errors import CheckpointError, UsageError
from seqgen.finetune import (
    find_source,
    grow_output,
    grow_read_rows,
    merged_symbols,
    refuse_with_resume,
)
from seqgen.jazz.cache import ParseCache
from seqgen.jazz.collection import check_collection, prepare_corpus
from seqgen.jazz.config import DEFAULT_BPM, JazzConfig, SoloSampling, is_collection
from seqgen.jazz.corpus import TokenCorpus, make_windows
from seqgen.jazz.model import CHORDS_FILE, CORPUS_FILE, KIND
from seqgen.jazz.notes import KIND as NOTES_KIND
from seqgen.jazz.notes import STEP_OFFSETS, fitted_offsets
from seqgen.jazz.schema import BEST
from seqgen.plotting import curve_png
from seqgen.signals import pause_point
from seqgen.textio import check_output_path
from seqgen.training import (
    CURVE_FILE,
    Schedule,
    TrainResult,
    after_training,
    no_progress,
    open_run,
    pack_optimizer,
    resumed_config,
    run_loop,
    unpack_optimizer,
)

RUN_FIELDS = ("epochs", "save_every", "run", "out", "temperature", "strategy",
              "patience")


if TYPE_CHECKING:
    from seqgen.jazz.models import SoloResult


@dataclass(frozen=True)
class JazzTrainResult:
    """The training run and the solo the chief wrote after it."""

    train: TrainResult
    vocab: int
    solo: SoloResult | None
    model: str = "grammar"
    best_epoch: int | None = None  # the epoch validation chose (None: no validation files)

    @property
    def unit(self) -> str:
        """What the losses are per: a grammar token, or a note (a melody event)."""
        return "token" if self.model == "grammar" else "note"


class GrammarTraining:
    """What ``train-jazz`` needs of the grammar model: windows, trainer, validation, files."""

    kind = KIND
    unit = "token"

    def __init__(self, cfg: JazzConfig, corpus: TokenCorpus, on_info):
        self.cfg, self.corpus = cfg, corpus
        self.X, self.Y = training_windows(cfg, corpus, on_info)
        self.validation = corpus.pieces("validation")

    def trainer(self, strategy):
        from seqgen.jazz.keras_model import JazzTrainer

        c = self.cfg
        return JazzTrainer(strategy, len(self.corpus.vocab), c.hidden, c.window_length, c.lr,
                           c.batch_size, c.seed)

    def val_loss(self, weights: dict[str, np.ndarray]) -> float | None:
        """Nats per grammar token on the validation files (None without any)."""
        if not self.validation:
            return None
        from seqgen.jazz.evaluate import pieces_loss

        return pieces_loss(weights, self.corpus.vocab, self.validation,
                           self.cfg.window_length)[0]

    def files(self) -> dict[str, bytes]:
        corpus = self.corpus
        return {CORPUS_FILE: json.dumps({"measures": corpus.measures}).encode("utf-8"),
                CHORDS_FILE: json.dumps({"progression": [[c.to_json() for c in cs] for cs in
                                                         corpus.progression]}).encode("utf-8")}

    def meta(self) -> dict:
        return {"vocab": self.corpus.vocab}


class JazzJob:
    """One epoch over the windows per step, in a fresh order each epoch; with validation
    files, each epoch is scored on them, the best weights are kept and training stops
    after ``patience`` epochs without a better score."""

    unit = "epoch"

    def __init__(self, cfg: JazzConfig, model, trainer, out: Path, state: dict):
        self.cfg, self.model, self.trainer, self.out = cfg, model, trainer, out
        self.losses, self.val = state["losses"], state["val"]
        self.best, self.best_epoch, self.stale = state["best"], state["best_epoch"], \
            state["stale"]
        self.best_weights = state["best_weights"]
        self.seconds0, self.t0 = state["seconds"], time.perf_counter()
        self.origin: dict = {}  # meta.json's init_from entry, for a fine-tuned run
        self.fitted: dict = {}  # the note model's step offsets, once fitted

    def step(self, j: int) -> float:
        order = np.random.RandomState([self.cfg.seed, j + 1]).permutation(len(self.model.X))
        return self.trainer.train_epoch(self.model.X, self.model.Y, order)

    def after_step(self, step: int, loss: float) -> bool:
        self.losses.append(round(loss, 6))
        if not self.model.validation:
            return False
        weights = self.trainer.weights()
        val = self.model.val_loss(weights)
        self.val.append(round(val, 6))
        if val < self.best:
            self.best, self.best_epoch, self.stale, self.best_weights = val, step, 0, weights
        else:
            self.stale += 1
        return self.cfg.patience is not None and self.stale >= self.cfg.patience

    def save(self, step: int, final: bool) -> Path:
        arrays, opt = pack_optimizer(self.trainer.weights(), self.trainer.optimizer_state())
        arrays.update(self._best())
        corpus = self.model.corpus
        metrics = {f"loss_per_{self.model.unit}": self.losses[-1] if self.losses else None,
                   "loss_history": self.losses,
                   "train_seconds": round(self.seconds0 + time.perf_counter() - self.t0, 3)}
        if self.val:
            metrics.update({"val_history": self.val, "best_val_loss": self.best,
                            "best_epoch": self.best_epoch, "stale": self.stale})
        save_checkpoint(self.out, self.model.kind, {
            "step": step, "seed": self.cfg.seed, "config": config_to_dict(self.cfg),
            **self.model.meta(), **self.origin, **self.fitted,
            "source_sha256": corpus.source_sha256,
            "sources": [s.to_json() for s in corpus.sources],
            "metrics": metrics, "state": opt,
        }, arrays=arrays, extra_files=self.model.files())
        if final and self.losses:  # the plot only once, with the last checkpoint
            history = [{"epoch": i + 1, "train_loss": v} for i, v in enumerate(self.losses)]
            for h, v in zip(history, self.val):
                h["val_loss"] = v
            write_bytes_atomic(self.out / CURVE_FILE, curve_png(history, "seqgen train-jazz"))
        return self.out

    def _best(self) -> dict[str, np.ndarray]:
        """The best epoch's weights under their saved names (``best_*``; none without
        validation files)."""
        return {f"{BEST}{k}": v for k, v in (self.best_weights or {}).items()}

    def weights(self) -> dict[str, np.ndarray]:
        """The last epoch's weights and the best epoch's, as saved."""
        return {**self.trainer.weights(), **self._best()}

    def fit_offsets(self, step: int, on_info) -> None:
        """The note model's sampler offsets by step, fitted once training is over (on the
        weights it ended with) and saved with them. A run stopped by a signal has none
        until it is resumed to its end, and samples without them meanwhile."""
        pause_point("step-offsets")
        t0 = time.perf_counter()
        self.fitted = {STEP_OFFSETS: fitted_offsets(self.weights(), self.model.corpus,
                                                     config_to_dict(self.cfg))}
        self.save(step, final=False)
        on_info(f"step offsets fitted over the training tunes' changes "
                f"({time.perf_counter() - t0:.1f} s): the solos step as their melodies do")

    def agree(self, stop: bool) -> bool:
        return self.trainer.any_worker(stop)

    def progress(self) -> dict:
        fields = {"loss": self.losses[-1] if self.losses else None}
        if self.val:
            fields["val"] = self.val[-1]
        return fields


def training_windows(cfg: JazzConfig, corpus: TokenCorpus, on_info
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The one-hot windows ``X, Y`` of the training pieces, none across two files."""
    index = {t: i for i, t in enumerate(corpus.vocab)}
    pieces = corpus.pieces("train")
    ids = np.array([index[t] for piece in pieces for t in piece], dtype=np.intp)
    X, Y = make_windows(ids, len(corpus.vocab), cfg.windows, cfg.window_length, cfg.data_seed,
                        [len(p) for p in pieces])
    if len(corpus.sources) > 1:
        val, test = corpus.pieces("validation"), corpus.pieces("test")
        on_info(f"corpus: {len(ids)} tokens in {len(pieces)} files for training, "
                f"{sum(map(len, val))} tokens in {len(val)} for validation, "
                f"{sum(map(len, test))} in {len(test)} for test, "
                f"vocabulary {len(corpus.vocab)}")
    else:
        on_info(f"corpus: {len(ids)} tokens in {len(corpus.measures)} measures, "
                f"vocabulary {len(corpus.vocab)}")
    return X, Y


def _model_view(cfg: JazzConfig, corpus, on_info):
    if cfg.model == "notes":
        from seqgen.jazz.notes import NoteCorpus, NoteTraining

        if isinstance(corpus, TokenCorpus):
            corpus = NoteCorpus.of(corpus)
        return NoteTraining(cfg, corpus, on_info)
    return GrammarTraining(cfg, corpus, on_info)


def _saved_state(meta: dict | None, arrays) -> dict:
    """The job's history from a checkpoint (empty for a new run)."""
    m = (meta or {}).get("metrics") or {}
    best = {k[len(BEST):]: v for k, v in (arrays or {}).items() if k.startswith(BEST)}
    return {"losses": list(m.get("loss_history") or []), "val": list(m.get("val_history") or []),
            "best": float(m.get("best_val_loss") or math.inf), "best_epoch": m.get("best_epoch"),
            "stale": int(m.get("stale") or 0), "best_weights": best or None,
            "seconds": float(m.get("train_seconds") or 0.0)}


def _start_from(cfg: JazzConfig, on_info) -> tuple[JazzConfig, tuple]:
    """The config and ``(source, weights, vocabulary)`` of a run that starts from another
    model: the model (notes or grammar) and its size are the source's. The note model's
    inputs and outputs are the same for all music (no vocabulary); the grammar model's
    vocabulary is its tokens, which the new music's new tokens extend."""
    from seqgen.jazz.models import load_model
    from seqgen.jazz.notes import KIND as NOTES
    from seqgen.jazz.schema import NOTE_WEIGHT_NAMES, WEIGHT_NAMES, best_weights

    source = find_source(cfg.init_from, "jazz", "train-jazz")
    model = "notes" if source.kind == NOTES else "grammar"
    if cfg.model not in (None, model):
        raise UsageError(f"--model {cfg.model} contradicts --init-from {cfg.init_from} (a "
                         f"{model} model)")
    loaded = load_model(source.path)
    hidden = int(loaded.arrays["lstm_recurrent"].shape[0])
    if cfg.hidden not in (hidden, JazzConfig.hidden):
        raise UsageError(f"--set hidden={cfg.hidden} contradicts the model of --init-from "
                         f"{cfg.init_from} ({hidden} units): leave it out")
    names = NOTE_WEIGHT_NAMES if model == "notes" else WEIGHT_NAMES
    vocab = None if model == "notes" else list(loaded.meta["vocab"])
    return (dataclasses.replace(cfg, model=model, hidden=hidden),
            (source, best_weights(loaded.arrays, names), vocab))


def _grown(corpus: TokenCorpus, start: tuple, on_info) -> tuple[TokenCorpus, dict]:
    """The corpus with the source's token order (the new tokens after it) and the
    source's grammar weights grown to fit (:mod:`seqgen.finetune`'s rule)."""
    source, weights, vocab = start
    order = merged_symbols(vocab, corpus.vocab)
    new = len(order) - len(vocab)
    weights = dict(weights)
    weights["lstm_kernel"] = grow_read_rows(weights["lstm_kernel"], new)  # one-hot inputs
    weights["dense_kernel"], weights["dense_bias"] = grow_output(
        weights["dense_kernel"], weights["dense_bias"], new)
    on_info(f"starting from {source.describe()}; {new} new grammar tokens with fresh rows")
    return dataclasses.replace(corpus, order=order), weights


def _resume_state(trainer, arrays: dict, opt_state: list, resume: str) -> None:
    """The resumed run's weights and Adam's state into ``trainer``.

    Raises:
        CheckpointError: their shapes are not the model's (another version's inputs).
    """
    try:
        trainer.set_state(arrays, opt_state)
    except (ValueError, KeyError):
        raise CheckpointError(
            f"checkpoint {resume} does not fit the model (its arrays have other shapes: a "
            f"run of another seqgen version? --init-from {resume} starts a new run from "
            f"its weights)") from None


def train_jazz(cfg: JazzConfig, resume: str | None = None, on_progress=no_progress,
               on_info=lambda message: None) -> JazzTrainResult:
    """Train on ``cfg.midi`` (or continue ``resume``), save the checkpoint, write a solo.

    ``cfg.midi`` is one file or a collection (``seqgen.jazz.collection``); ``cfg.model``
    chooses the note model or the grammar model (``JazzConfig.resolved``). Resuming a
    collection first checks that its files are the ones the run was trained on.

    Ctrl-C or SIGTERM saves the last finished epoch and raises TrainingInterrupted. In a
    multi-worker run only the chief writes the checkpoint and the solo.
    """
    from seqgen.jazz.models import load_model, model_from, write_solo

    check_output_path(cfg.out, "output MIDI file")
    meta = arrays = opt_state = start = None
    refuse_with_resume(cfg.init_from, resume)
    if resume is None and cfg.init_from:
        cfg, start = _start_from(cfg, on_info)
    if resume is not None:
        loaded = load_model(resume)
        meta, arrays, corpus = loaded.meta, loaded.arrays, loaded.corpus
        cfg = resumed_config(JazzConfig, meta, resume, cfg, RUN_FIELDS).resolved()
        if is_collection(cfg.midi):
            check_collection(cfg.midi, corpus.sources, resume)
        opt_state = unpack_optimizer(meta, arrays, resume)
    else:
        cfg = cfg.resolved()
        cfg.validate()
        pause_point("parse")
        corpus = prepare_corpus(cfg, on_info, ParseCache(on_warning=on_info))
        if cfg.bpm is None:  # the written solo takes the source's tempo
            cfg = dataclasses.replace(cfg, bpm=corpus.bpm)
        if start is not None and start[2] is not None:
            corpus, weights = _grown(corpus, start, on_info)
            start = (start[0], weights, start[2])
        elif start is not None:
            on_info(f"starting from {start[0].describe()}")
    model = _model_view(cfg, corpus, on_info)
    state = _saved_state(meta, arrays)
    multiworker = cfg.strategy == "multiworker"
    with open_run(cfg.run, (model.kind, KIND, NOTES_KIND), multiworker) as out:
        from seqgen.keras_loop.distribute import get_strategy

        strategy = get_strategy(cfg.strategy, on_info)
        trainer = model.trainer(strategy)
        on_info(f"replicas: {trainer.replicas} (global batch {trainer.global_batch})")
        if meta is not None:
            _resume_state(trainer, arrays, opt_state, resume)
        elif start is not None:
            trainer.set_state(start[1], None)
        job = JazzJob(cfg, model, trainer, out, state)
        job.origin = {"init_from": start[0].record()} if start else \
            {k: v for k, v in (meta or {}).items() if k == "init_from"}
        schedule = Schedule(total=cfg.epochs, save_every=cfg.save_every,
                            multiworker=multiworker)
        end = run_loop(job, meta["step"] if meta else 0, schedule, out, on_progress,
                       state["seconds"])
        if model.kind == NOTES_KIND:
            with after_training(job.unit, end.step, cfg.run):
                job.fit_offsets(end.step, on_info)
    losses = job.losses
    result = TrainResult(str(cfg.run), job.unit, end.step, end.trained, end.stopped_by,
                         end.seconds, losses[-1] if losses else None,
                         val_loss=job.best if job.val else None, replicas=trainer.replicas)
    solo = None
    if not multiworker or is_chief():
        with after_training(job.unit, end.step, cfg.run):
            pause_point("solo")
            # the weights in memory: the same arrays the checkpoint was just written from
            trained = model_from(model.kind, {"config": config_to_dict(cfg), **model.meta(),
                                              **job.fitted}, job.weights(), model.corpus)
            solo = write_solo(trained, cfg.out, SoloSampling(cfg.temperature), cfg.seed,
                              cfg.bpm or DEFAULT_BPM)
    vocab = len(model.corpus.vocab) if model.kind == KIND else 0  # the note model has none
    return JazzTrainResult(result, vocab, solo, cfg.model, job.best_epoch)
