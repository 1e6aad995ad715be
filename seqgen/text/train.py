"""train-shakespeare: the two-layer LSTM character model, plugged into the training skeleton.

Training runs in Keras (imported lazily, once the input is known to be usable) on
batches of windows cut from the compact id array by global step, so memory stays flat
in the text's size and a resumed run lands on the same batches. Every ``eval_every``
steps (default: one epoch, at most :data:`EVAL_CHARS` characters) the held-out tail is
scored with the NumPy stack; the run folder keeps the checkpoint of the best held-out
loss and, in ``last/``, the newest training state for ``--resume``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from seqgen.atomic import write_bytes_atomic
from seqgen.checkpoints import save_checkpoint
from seqgen.config import config_to_dict
from seqgen.errors import CheckpointError
from seqgen.plotting import curve_png
from seqgen.signals import pause_point
from seqgen.text.config import ShakespeareConfig
from seqgen.text.corpus import Corpus, WindowSampler, load_corpus
from seqgen.text.heldout import heldout_nll
from seqgen.text.model import KIND, LAST_DIR, load_model, stack_from_arrays, streams_for
from seqgen.training import (
    CURVE_FILE,
    Schedule,
    TrainResult,
    check_same_data,
    no_progress,
    open_run,
    pack_optimizer,
    resumed_config,
    run_loop,
    unpack_optimizer,
)

EVAL_CHARS = 1_000_000  # training characters between default evaluations on a big text:
# its first checkpoint then comes within minutes, not after an epoch
BIG_TEXT = 2_000_000  # characters of training text from which the default batch is larger
RUN_FIELDS = ("epochs", "time_budget", "max_steps", "out", "data", "strategy", "eval_every",
              "val_max_chars")


class ShakespeareJob:
    """One optimiser step per global step; an evaluation (and saves) every ``eval_every``."""

    unit = "step"

    def __init__(self, cfg: ShakespeareConfig, corpus: Corpus, trainer, sampler: WindowSampler,
                 out: Path, eval_every: int, state: dict, on_eval):
        self.cfg, self.corpus, self.trainer, self.sampler = cfg, corpus, trainer, sampler
        self.out, self.eval_every, self.on_eval = out, eval_every, on_eval
        self.history: list[dict] = state["history"]
        self.lr, self.best = state["lr"], state["best"]
        self.seconds0 = state["seconds"]  # training seconds of earlier runs
        self.t0 = time.perf_counter()
        self.total, self.count, self.evaluated, self.steps = 0.0, 0, None, 0
        self.train_loss = math.nan  # the mean training loss since the last evaluation
        self.rate_t, self.rate_steps, self.rate = time.perf_counter(), 0, 0.0

    def seconds(self) -> float:
        return self.seconds0 + time.perf_counter() - self.t0

    def step(self, j: int) -> float:
        X, Y = self.sampler.batch(j)
        loss = self.trainer.train_step(self.trainer.batch(X, Y))
        self.total, self.count, self.steps = self.total + loss, self.count + 1, self.steps + 1
        self.train_loss = self.total / self.count
        return loss

    def after_step(self, step: int, loss: float) -> bool:
        if step % self.eval_every == 0:
            self.evaluate(step)
        return False

    def evaluate(self, step: int) -> None:
        """Score the held-out tail; save the best checkpoint, ``last/`` and the curve."""
        weights = self.trainer.weights()
        n_val = len(self.corpus.ids) - self.corpus.n_train
        scored = min(n_val, self.cfg.val_max_chars or n_val)
        val = heldout_nll(stack_from_arrays(weights, np.float32), self.corpus.ids,
                          self.corpus.n_train, self.cfg.warmup, scored, streams_for(scored))
        train_loss = self.train_loss
        epoch = step / self.sampler.steps_per_epoch
        record = {"epoch": int(epoch) if epoch.is_integer() else round(epoch, 3), "step": step,
                  "train_loss": round(train_loss, 5), "val_loss": round(val, 5),
                  "seconds": round(self.seconds(), 2), "lr": self.lr}
        if step % self.eval_every:
            record["partial"] = True
        self.history.append(record)
        improved = val < self.best
        if improved:
            self.best = val
            metrics = {"val_loss": val, "train_loss": train_loss,
                       "bits_per_char": val / math.log(2),
                       "train_seconds": round(self.seconds(), 3)}
            save_checkpoint(self.out, KIND, self._meta(step, metrics), arrays=weights)
        else:
            self.lr *= self.cfg.lr_decay
            self.trainer.set_lr(self.lr)
        arrays, opt = pack_optimizer(weights, self.trainer.optimizer_state())
        meta = self._meta(step, {"best_val_loss": self.best})
        meta["state"] = {"seconds": round(self.seconds(), 3), "lr": self.lr,
                         "best_val_loss": self.best, **opt}
        save_checkpoint(self.out / LAST_DIR, KIND, meta, arrays=arrays)
        write_bytes_atomic(self.out / CURVE_FILE,
                           curve_png(self.history, "seqgen train-shakespeare"))
        self.total, self.count, self.evaluated = 0.0, 0, step
        self.on_eval({**record, "best": improved})

    def _meta(self, step: int, metrics: dict) -> dict:
        epoch = self.history[-1]["epoch"] if self.history else 0
        return {"step": step, "epoch": epoch, "seed": self.cfg.seed,
                "config": config_to_dict(self.cfg), "vocab": self.corpus.vocab.chars,
                "metrics": metrics, "history": self.history, "data_sha256": self.corpus.digest}

    def save(self, step: int, final: bool) -> Path:
        if self.evaluated != step:
            self.evaluate(step)
        return self.out / LAST_DIR

    def agree(self, stop: bool) -> bool:
        return self.trainer.any_worker(stop)

    def progress(self) -> dict:
        now = time.perf_counter()
        if now - self.rate_t >= 1.0 or not self.rate:  # characters/s over the last second
            done = self.steps - self.rate_steps
            self.rate = done * self.sampler.chars_per_step / max(now - self.rate_t, 1e-9)
            self.rate_t, self.rate_steps = now, self.steps
        return {"loss": self.train_loss, "chars/s": f"{self.rate:,.0f}"}


def _load_resume(resume, cfg: ShakespeareConfig):
    """The saved config (with this run's settings), its meta, arrays and optimiser state."""
    last = Path(resume) / LAST_DIR
    if not last.is_dir():
        load_model(resume)  # says what is wrong with it, if anything
        raise CheckpointError(f"checkpoint {resume} cannot be resumed (no {LAST_DIR}/ training "
                              "state in it)")
    meta, arrays, _ = load_model(last)
    cfg = resumed_config(ShakespeareConfig, meta, last, cfg, RUN_FIELDS)
    return cfg, meta, arrays, unpack_optimizer(meta, arrays, resume)


def _state(meta: dict | None, cfg: ShakespeareConfig, resume) -> dict:
    if meta is None:
        return {"history": [], "lr": cfg.lr, "best": math.inf, "seconds": 0.0, "step": 0}
    try:
        s = meta["state"]
        return {"history": list(meta.get("history") or []), "lr": float(s["lr"]),
                "best": float(s["best_val_loss"]), "seconds": float(s["seconds"]),
                "step": int(meta["step"])}
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"checkpoint {resume}: its training state is malformed") from None


def default_batch(n_train: int) -> int:
    """Windows per replica when the config leaves it open: larger batches for big texts."""
    return 128 if n_train >= BIG_TEXT else 32


def train_shakespeare(cfg: ShakespeareConfig, resume: str | None = None,
                      on_progress=no_progress, on_info=lambda message: None,
                      on_eval=lambda record: None) -> TrainResult:
    """Train (or continue ``resume``) and keep the checkpoint of the best held-out loss.

    Stops after ``cfg.epochs`` epochs, after the step in which ``cfg.time_budget`` seconds
    or ``cfg.max_steps`` steps run out, or on Ctrl-C/SIGTERM (state saved,
    TrainingInterrupted raised). In a multi-worker run only the chief writes to
    ``cfg.out``; every worker reads its own shard of each batch.
    """
    meta = arrays = opt_state = None
    if resume is not None:
        cfg, meta, arrays, opt_state = _load_resume(resume, cfg)
    pause_point("load")
    corpus = load_corpus(cfg.data, cfg.val_fraction, min_train=cfg.seq_length + 1)
    if meta is not None:
        check_same_data(meta, corpus.digest, cfg.data, resume, what="text")
    if cfg.batch_size is None:
        cfg = dataclasses.replace(cfg, batch_size=default_batch(corpus.n_train))
    multiworker = cfg.strategy == "multiworker"
    with open_run(cfg.out, KIND, multiworker) as out:
        # TensorFlow is imported only now, once the input is known to be usable
        from seqgen.keras_loop.distribute import get_strategy
        from seqgen.text.keras_model import ShakespeareTrainer

        strategy = get_strategy(cfg.strategy, on_info)
        global_batch = cfg.batch_size * strategy.num_replicas_in_sync
        trainer = ShakespeareTrainer(strategy, len(corpus.vocab), cfg.embed, cfg.units,
                                     cfg.dropout, cfg.lr, global_batch, cfg.clipnorm, cfg.seed,
                                     cfg.weight_decay)
        sampler = WindowSampler(corpus.train_ids, cfg.seq_length, global_batch, cfg.seed,
                                *trainer.input_shard())
        state = _state(meta, cfg, resume)
        if meta is not None:
            try:
                trainer.set_state(arrays, opt_state)
            except (ValueError, KeyError):
                raise CheckpointError(f"checkpoint {resume} does not fit the model") from None
            trainer.set_lr(state["lr"])
        eval_every = cfg.eval_every or min(sampler.steps_per_epoch,
                                           max(1, EVAL_CHARS // (global_batch * cfg.seq_length)))
        on_info(f"replicas: {trainer.replicas} (global batch {global_batch}); corpus "
                f"{len(corpus.ids)} characters, {len(corpus.val_ids)} held out, vocabulary "
                f"{len(corpus.vocab)}; {sampler.steps_per_epoch} steps per epoch, held-out "
                f"loss every {eval_every}")
        job = ShakespeareJob(cfg, corpus, trainer, sampler, out, eval_every, state, on_eval)
        schedule = Schedule(total=cfg.epochs * sampler.steps_per_epoch, max_steps=cfg.max_steps,
                            time_budget=cfg.time_budget, multiworker=multiworker)
        end = run_loop(job, state["step"], schedule, out, on_progress, state["seconds"])
    epochs = end.step / sampler.steps_per_epoch
    return TrainResult(str(cfg.out), job.unit, end.step, end.trained, end.stopped_by,
                       job.seconds() if end.trained else state["seconds"], None,
                       job.best, round(epochs, 3), trainer.replicas)
