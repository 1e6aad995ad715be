"""train-jazz: the jazz token LSTM, plugged into the training skeleton, then a first solo.

One step is one epoch over the training windows (as in the course's reference: 60 windows of 30
tokens); the checkpoint holds
the weights, Adam's state, the corpus and the chords, so ``--resume`` continues exactly
and ``generate-jazz`` needs nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.atomic import write_bytes_atomic
from seqgen.checkpoints import save_checkpoint
from seqgen.cluster import is_chief
from seqgen.config import config_to_dict
from seqgen.errors import CheckpointError
from seqgen.jazz.cache import ParseCache
from seqgen.jazz.collection import check_collection, prepare_corpus
from seqgen.jazz.config import JazzConfig, SoloSampling, is_collection
from seqgen.jazz.corpus import TokenCorpus, make_windows
from seqgen.jazz.model import (
    CHORDS_FILE,
    CORPUS_FILE,
    KIND,
    SoloResult,
    load_jazz,
    write_new_solo,
)
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

RUN_FIELDS = ("epochs", "save_every", "checkpoint", "out", "temperature", "strategy")


@dataclass(frozen=True)
class JazzTrainResult:
    """The training run and the solo the chief wrote after it."""

    train: TrainResult
    vocab: int
    solo: SoloResult | None


class JazzJob:
    """One epoch over the windows per step, in a fresh order each epoch."""

    unit = "epoch"

    def __init__(self, cfg: JazzConfig, corpus: TokenCorpus, trainer, X, Y, out: Path,
                 losses: list[float], seconds: float):
        self.cfg, self.corpus, self.trainer, self.X, self.Y = cfg, corpus, trainer, X, Y
        self.out, self.losses = out, losses
        self.seconds0, self.t0 = seconds, time.perf_counter()

    def step(self, j: int) -> float:
        order = np.random.RandomState([self.cfg.seed, j + 1]).permutation(self.cfg.windows)
        return self.trainer.train_epoch(self.X, self.Y, order)

    def after_step(self, step: int, loss: float) -> bool:
        self.losses.append(round(loss, 6))
        return False

    def save(self, step: int, final: bool) -> Path:
        arrays, opt = pack_optimizer(self.trainer.weights(), self.trainer.optimizer_state())
        files = {
            CORPUS_FILE: json.dumps({"measures": self.corpus.measures}).encode("utf-8"),
            CHORDS_FILE: json.dumps({"progression": [[c.to_json() for c in cs] for cs in
                                                     self.corpus.progression]}).encode("utf-8"),
        }
        save_checkpoint(self.out, KIND, {
            "step": step, "seed": self.cfg.seed, "config": config_to_dict(self.cfg),
            "vocab": self.corpus.vocab, "source_sha256": self.corpus.source_sha256,
            "sources": [s.to_json() for s in self.corpus.sources],
            "metrics": {"loss_per_token": self.losses[-1] if self.losses else None,
                        "loss_history": self.losses,
                        "train_seconds": round(self.seconds0 + time.perf_counter() - self.t0, 3)},
            "state": opt,
        }, arrays=arrays, extra_files=files)
        if final and self.losses:  # the plot only once, with the last checkpoint
            history = [{"epoch": i + 1, "train_loss": v} for i, v in enumerate(self.losses)]
            write_bytes_atomic(self.out / CURVE_FILE, curve_png(history, "seqgen train-jazz"))
        return self.out

    def agree(self, stop: bool) -> bool:
        return self.trainer.any_worker(stop)

    def progress(self) -> dict:
        return {"loss": self.losses[-1] if self.losses else None}


def training_windows(cfg: JazzConfig, corpus: TokenCorpus, on_info
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The one-hot windows ``X, Y`` of the training pieces, none across two files."""
    index = {t: i for i, t in enumerate(corpus.vocab)}
    pieces = corpus.pieces("train")
    ids = np.array([index[t] for piece in pieces for t in piece], dtype=np.intp)
    X, Y = make_windows(ids, len(corpus.vocab), cfg.windows, cfg.window_length, cfg.data_seed,
                        [len(p) for p in pieces])
    if len(corpus.sources) > 1:
        held = corpus.pieces("held-out")
        on_info(f"corpus: {len(ids)} tokens in {len(pieces)} files for training, "
                f"{sum(map(len, held))} tokens in {len(held)} held out, "
                f"vocabulary {len(corpus.vocab)}")
    else:
        on_info(f"corpus: {len(ids)} tokens in {len(corpus.measures)} measures, "
                f"vocabulary {len(corpus.vocab)}")
    return X, Y


def train_jazz(cfg: JazzConfig, resume: str | None = None, on_progress=no_progress,
               on_info=lambda message: None) -> JazzTrainResult:
    """Train on ``cfg.midi`` (or continue ``resume``), save the checkpoint, write a solo.

    ``cfg.midi`` is one file or a collection (``seqgen.jazz.corpus``); resuming a
    collection first checks that its files are the ones the run was trained on.

    Ctrl-C or SIGTERM saves the last finished epoch and raises TrainingInterrupted. In a
    multi-worker run only the chief writes the checkpoint and the solo.
    """
    check_output_path(cfg.out, "output MIDI file")
    meta = arrays = opt_state = None
    if resume is not None:
        meta, arrays, corpus = load_jazz(resume)
        cfg = resumed_config(JazzConfig, meta, resume, cfg, RUN_FIELDS)
        if is_collection(cfg.midi):
            check_collection(cfg.midi, corpus.sources, resume)
        opt_state = unpack_optimizer(meta, arrays, resume)
    else:
        pause_point("parse")
        corpus = prepare_corpus(cfg, on_info, ParseCache(on_warning=on_info))
        if cfg.bpm is None:  # the written solo takes the source's tempo
            cfg = dataclasses.replace(cfg, bpm=corpus.bpm)
    losses = list(meta["metrics"].get("loss_history") or []) if meta else []
    seconds = float(meta["metrics"].get("train_seconds") or 0.0) if meta else 0.0
    X, Y = training_windows(cfg, corpus, on_info)
    multiworker = cfg.strategy == "multiworker"
    with open_run(cfg.checkpoint, KIND, multiworker) as out:
        from seqgen.jazz.keras_model import JazzTrainer
        from seqgen.keras_loop.distribute import get_strategy

        strategy = get_strategy(cfg.strategy, on_info)
        trainer = JazzTrainer(strategy, len(corpus.vocab), cfg.hidden, cfg.window_length,
                              cfg.lr, cfg.batch_size, cfg.seed)
        on_info(f"replicas: {trainer.replicas} (global batch {trainer.global_batch})")
        if meta is not None:
            try:
                trainer.set_state(arrays, opt_state)
            except (ValueError, KeyError):
                raise CheckpointError(f"checkpoint {resume} does not fit the model") from None
        job = JazzJob(cfg, corpus, trainer, X, Y, out, losses, seconds)
        schedule = Schedule(total=cfg.epochs, save_every=cfg.save_every,
                            multiworker=multiworker)
        end = run_loop(job, meta["step"] if meta else 0, schedule, out, on_progress, seconds)
    result = TrainResult(str(cfg.checkpoint), job.unit, end.step, end.trained, end.stopped_by,
                         end.seconds, losses[-1] if losses else None, replicas=trainer.replicas)
    solo = None
    if not multiworker or is_chief():
        with after_training(job.unit, end.step, cfg.checkpoint):
            pause_point("solo")
            # the weights in memory: the same arrays the checkpoint was just written from
            solo = write_new_solo(trainer.weights(), corpus.vocab, corpus, cfg.out,
                                  SoloSampling(cfg.temperature), cfg.seed,
                                  cfg.bpm or 130.0)
    return JazzTrainResult(result, len(corpus.vocab), solo)
