"""train-text and train-shakespeare: a character model of a text, plugged into the training
skeleton.

Training runs in Keras (imported lazily, once the input is known to be usable) on
batches of windows cut from the compact id array by global step, so memory stays flat
in the text's size and a resumed run lands on the same batches. Every ``eval_every``
steps (default: one epoch, at most :data:`EVAL_CHARS` characters) the validation part of
the held-out tail is scored with the NumPy net; the run folder keeps the checkpoint of
the best validation loss and, in ``last/``, the newest training state for ``--resume``.
The test part at the tail's end is never looked at here.

The learning rate either follows the validation loss (``plateau``: multiplied by
``lr_decay`` after an evaluation without a better one, and over the run's last ``anneal``
share brought linearly down to zero) or a fixed curve (``cosine``: linear warm-up, then a
half cosine down to ``min_lr``). The run ends with the epochs, ``--max-steps`` or
``--time-budget``, whichever comes first, and both curves end with it.
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
from seqgen.errors import CheckpointError, UsageError
from seqgen.finetune import refuse_with_resume
from seqgen.plotting import curve_png
from seqgen.signals import pause_point
from seqgen.text import initfrom
from seqgen.text.config import TextConfig
from seqgen.text.corpus import Corpus, WindowSampler, load_corpus
from seqgen.text.heldout import part_nll
from seqgen.text.model import (
    KINDS,
    LAST_DIR,
    TEXT_KIND,
    load_model,
    shape_of,
    streams_for,
)
from seqgen.text.nets import net_from_arrays
from seqgen.text.schema import parameters
from seqgen.text.sizing import MIN_CONTEXT, describe, op_threads, sized
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
from seqgen.vocab import Vocab

EVAL_CHARS = 1_000_000  # training characters between default evaluations on a big text:
# its first checkpoint then comes within minutes, not after an epoch
RUN_FIELDS = ("epochs", "time_budget", "max_steps", "run", "data", "strategy", "eval_every",
              "val_max_chars", "patience", "xla")


class TextJob:
    """One optimiser step per global step; an evaluation (and saves) every ``eval_every``."""

    unit = "step"

    def __init__(self, cfg: TextConfig, corpus: Corpus, trainer, sampler: WindowSampler,
                 out: Path, eval_every: int, state: dict, on_eval, kind: str, extra: dict,
                 total_steps: int, title: str):
        self.cfg, self.corpus, self.trainer, self.sampler = cfg, corpus, trainer, sampler
        self.out, self.eval_every, self.on_eval = out, eval_every, on_eval
        self.kind, self.extra, self.total_steps = kind, extra, total_steps
        self.title = title  # of the loss plot: the command that trains
        self.history: list[dict] = state["history"]
        self.lr, self.best = state["lr"], state["best"]
        self.stale = state["stale"]  # evaluations since the best one
        self.seconds0 = state["seconds"]  # training seconds of earlier runs
        self.t0 = time.perf_counter()
        self.total, self.count, self.evaluated, self.steps = 0.0, 0, None, 0
        self.train_loss = math.nan  # the mean training loss since the last evaluation
        self.rate_t, self.rate_steps, self.rate = time.perf_counter(), 0, 0.0
        self.chars_per_s = 0.0  # over this run's training steps (evaluations excluded)
        self.step_seconds = 0.0
        self.applied = None  # the rate the optimiser was last given

    def seconds(self) -> float:
        return self.seconds0 + time.perf_counter() - self.t0

    def step(self, j: int) -> float:
        if self.cfg.lr_schedule == "cosine":
            self.lr = self.scheduled_lr(j)
        rate = self.lr * self.anneal_factor(j)
        if rate != self.applied:
            self.trainer.set_lr(rate)
            self.applied = rate
        t = time.perf_counter()
        X, Y = self.sampler.batch(j)
        loss = self.trainer.train_step(self.trainer.batch(X, Y))
        self.step_seconds += time.perf_counter() - t
        self.total, self.count, self.steps = self.total + loss, self.count + 1, self.steps + 1
        self.train_loss = self.total / self.count
        return loss

    def done(self, j: int, skip: int = 0) -> float:
        """The share of the run behind step ``j`` (after the first ``skip`` steps): of its
        steps, or of its time budget where that ends it first."""
        done = (j - skip) / max(1, self.total_steps - skip)
        if self.cfg.time_budget:
            done = max(done, self.seconds() / self.cfg.time_budget)
        return min(1.0, max(0.0, done))

    def anneal_factor(self, j: int) -> float:
        """1 until the run's last ``anneal`` share, then falling linearly to 0 at its end."""
        share = self.cfg.anneal or 0.0
        if share <= 0 or self.cfg.lr_schedule == "cosine":
            return 1.0
        return min(1.0, (1.0 - self.done(j)) / share)

    def scheduled_lr(self, j: int) -> float:
        """The cosine schedule's rate at step ``j``: warm-up, then down to ``min_lr``."""
        cfg = self.cfg
        if j < cfg.warmup_steps:
            return cfg.lr * (j + 1) / cfg.warmup_steps
        done = self.done(j, cfg.warmup_steps)
        low = min(cfg.min_lr, cfg.lr)
        return low + 0.5 * (cfg.lr - low) * (1 + math.cos(math.pi * done))

    def after_step(self, step: int, loss: float) -> bool:
        if step % self.eval_every == 0:
            self.evaluate(step)
            return self.cfg.patience is not None and self.stale >= self.cfg.patience
        return False

    def evaluate(self, step: int) -> None:
        """Score the validation part; save the best checkpoint, ``last/`` and the curve."""
        weights = self.trainer.weights()
        first, end = self.corpus.part("validation")
        scored = min(end - first, self.cfg.val_max_chars or end - first)
        net = net_from_arrays(shape_of(self.cfg), weights, np.float32)
        val = part_nll(net, self.corpus.ids, first, end, self.cfg.warmup, scored,
                       streams_for(scored), halved=self.corpus.halved(first, first + scored))
        train_loss = self.train_loss
        epoch = step / self.sampler.steps_per_epoch
        if self.step_seconds > 0:
            self.chars_per_s = self.steps * self.sampler.chars_per_step / self.step_seconds
        record = {"epoch": int(epoch) if epoch.is_integer() else round(epoch, 3), "step": step,
                  "train_loss": round(train_loss, 5), "val_loss": round(val, 5),
                  "seconds": round(self.seconds(), 2),
                  "lr": self.lr if self.applied is None else self.applied}
        if step % self.eval_every:
            record["partial"] = True
        self.history.append(record)
        improved = val < self.best
        if improved:
            self.best, self.stale = val, 0
            metrics = {"val_loss": val, "train_loss": train_loss,
                       "bits_per_char": val / math.log(2),
                       "train_seconds": round(self.seconds(), 3), **self._speed()}
            save_checkpoint(self.out, self.kind, self._meta(step, metrics), arrays=weights)
        else:
            self.stale += 1
            if self.cfg.lr_schedule == "plateau":
                self.lr *= self.cfg.lr_decay  # the next step gives it to the optimiser
        arrays, opt = pack_optimizer(weights, self.trainer.optimizer_state())
        meta = self._meta(step, {"best_val_loss": self.best, **self._speed()})
        meta["state"] = {"seconds": round(self.seconds(), 3), "lr": self.lr,
                         "best_val_loss": self.best, "stale": self.stale, **opt}
        save_checkpoint(self.out / LAST_DIR, self.kind, meta, arrays=arrays)
        write_bytes_atomic(self.out / CURVE_FILE,
                           curve_png(self.history, self.title))
        self.total, self.count, self.evaluated = 0.0, 0, step
        self.on_eval({**record, "best": improved})

    def _speed(self) -> dict:
        return {"parameters": parameters(shape_of(self.cfg), len(self.corpus.vocab)),
                "train_chars_per_s": round(self.chars_per_s, 1)}

    def _meta(self, step: int, metrics: dict) -> dict:
        epoch = self.history[-1]["epoch"] if self.history else 0
        return {"step": step, "epoch": epoch, "seed": self.cfg.seed,
                "config": config_to_dict(self.cfg), "vocab": self.corpus.vocab.chars,
                "metrics": metrics, "history": self.history, "data_sha256": self.corpus.digest,
                "split": {"train": self.corpus.n_train, "validation_end": self.corpus.n_valid,
                          "characters": len(self.corpus.ids)},
                **self.extra}

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


def _load_resume(resume, cfg: TextConfig, data_given: bool = True):
    """The saved config (with this run's settings), its meta, arrays and optimiser state.

    The text is the saved one unless this run names one (which must then be the same).
    """
    last = Path(resume) / LAST_DIR
    if not last.is_dir():
        load_model(resume)  # says what is wrong with it, if anything
        raise CheckpointError(f"checkpoint {resume} cannot be resumed (no {LAST_DIR}/ training "
                              "state in it)")
    meta, arrays, _ = load_model(last)
    saved = dict(meta["config"])
    if "seq_length" in saved:  # written before the window was called the context
        saved["context"] = saved.pop("seq_length")
    meta = {**meta, "config": saved}
    keep = RUN_FIELDS if data_given else tuple(f for f in RUN_FIELDS if f != "data")
    cfg = resumed_config(type(cfg), meta, last, cfg, keep)
    return cfg, meta, arrays, unpack_optimizer(meta, arrays, resume)


def _state(meta: dict | None, cfg: TextConfig, resume) -> dict:
    if meta is None:
        return {"history": [], "lr": cfg.lr, "best": math.inf, "seconds": 0.0, "step": 0,
                "stale": 0}
    try:
        s = meta["state"]
        return {"history": list(meta.get("history") or []), "lr": float(s["lr"]),
                "best": float(s["best_val_loss"]), "seconds": float(s["seconds"]),
                "step": int(meta["step"]), "stale": int(s.get("stale", 0))}
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"checkpoint {resume}: its training state is malformed") from None


def _sized(cfg: TextConfig, corpus: Corpus) -> tuple[TextConfig, dict]:
    """Fill the settings left open from the text's size, and check the result."""
    cfg, chosen, rule = sized(cfg, corpus.n_train)
    if cfg.arch == "gpt" and cfg.units % cfg.heads:
        raise UsageError(f"--units {cfg.units} (the gpt's width) must be a multiple of "
                         f"--heads {cfg.heads}")
    return cfg, {"rule": rule, "chosen": chosen} if chosen else {}


def _source_record(start, meta: dict | None) -> dict:
    """The ``init_from`` entry of meta.json: this run's source, or the resumed run's."""
    if start is not None:
        return {"init_from": start.source.record()}
    return {"init_from": meta["init_from"]} if meta and meta.get("init_from") else {}


def train_text(cfg: TextConfig, resume: str | None = None, on_progress=no_progress,
               on_info=lambda message: None, on_eval=lambda record: None,
               command_name: str = "train-text",
               command: str | None = None, data_given: bool = True) -> TrainResult:
    """Train (or continue ``resume``) and keep the checkpoint of the best validation loss.

    Stops after ``cfg.epochs`` epochs, after the step in which ``cfg.time_budget`` seconds
    or ``cfg.max_steps`` steps run out, after ``cfg.patience`` evaluations without a
    better validation loss, or on Ctrl-C/SIGTERM (state saved, TrainingInterrupted
    raised). In a multi-worker run only the chief writes to ``cfg.run``; every worker
    reads its own shard of each batch. ``command`` (the command line) is recorded in the
    checkpoint, so the run can be repeated.
    """
    meta = arrays = opt_state = start = None
    refuse_with_resume(cfg.init_from, resume)
    if resume is not None:
        cfg, meta, arrays, opt_state = _load_resume(resume, cfg, data_given)
    elif cfg.init_from:
        cfg, start = initfrom.configure(cfg, command_name)
    cfg = dataclasses.replace(cfg, lowercase=bool(cfg.lowercase))
    pause_point("load")
    corpus = load_corpus(cfg.data, cfg.val_fraction, min_train=(cfg.context or MIN_CONTEXT) + 1,
                         lowercase=cfg.lowercase, test_share=cfg.test_share)
    if meta is not None:
        check_same_data(meta, corpus.digest, cfg.data, resume, what="text")
        corpus = corpus.with_vocab(Vocab(meta["vocab"]))  # a fine-tuned run keeps its order
        sizing = meta.get("sized") or {}
    else:
        cfg, sizing = _sized(cfg, corpus)
    if start is not None:
        corpus, arrays = initfrom.adapt(corpus, start, cfg.lr, on_info)
    extra = {"command": meta.get("command") if meta else command,
             **({"sized": sizing} if sizing else {}),
             **_source_record(start, meta)}
    multiworker = cfg.strategy == "multiworker"
    with open_run(cfg.run, KINDS, multiworker) as out:  # a run of either kind continues
        # TensorFlow is imported only now, once the input is known to be usable
        from seqgen.keras_loop.distribute import get_strategy
        from seqgen.text.keras_model import TextTrainer

        if sizing:
            on_info(describe(sizing["chosen"], sizing["rule"], corpus.n_train))
        strategy = get_strategy(cfg.strategy, on_info, op_threads(cfg.arch))
        global_batch = cfg.batch_size * strategy.num_replicas_in_sync
        trainer = TextTrainer(strategy, shape_of(cfg), len(corpus.vocab), cfg.dropout, cfg.lr,
                              global_batch, cfg.clipnorm, cfg.seed, cfg.weight_decay,
                              xla=cfg.xla)
        sampler = WindowSampler(corpus.train_ids, cfg.context, global_batch, cfg.seed,
                                *trainer.input_shard(), token_file=corpus.token_file)
        state = _state(meta, cfg, resume)
        if meta is not None:
            try:
                trainer.set_state(arrays, opt_state)
            except (ValueError, KeyError):
                raise CheckpointError(f"checkpoint {resume} does not fit the model") from None
            trainer.set_lr(state["lr"])
        elif start is not None:
            trainer.set_state(arrays, None)
        eval_every = cfg.eval_every or min(sampler.steps_per_epoch,
                                           max(1, EVAL_CHARS // (global_batch * cfg.context)))
        on_info(f"{shape_of(cfg).describe()}, "
                f"{parameters(shape_of(cfg), len(corpus.vocab)):,} parameters; "
                f"replicas: {trainer.replicas} (global batch {global_batch}); corpus "
                f"{len(corpus.ids)} characters ({len(corpus.val_ids)} validation, "
                f"{len(corpus.test_ids)} test), vocabulary {len(corpus.vocab)}; "
                f"{sampler.steps_per_epoch} steps per epoch, validation every {eval_every}")
        total = cfg.epochs * sampler.steps_per_epoch
        job = TextJob(cfg, corpus, trainer, sampler, out, eval_every, state, on_eval, TEXT_KIND,
                      extra, min(total, cfg.max_steps or total), f"seqgen {command_name}")
        schedule = Schedule(total=total, max_steps=cfg.max_steps,
                            time_budget=cfg.time_budget, multiworker=multiworker)
        end = run_loop(job, state["step"], schedule, out, on_progress, state["seconds"])
    epochs = end.step / sampler.steps_per_epoch
    return TrainResult(str(cfg.run), job.unit, end.step, end.trained, end.stopped_by,
                       job.seconds() if end.trained else state["seconds"], None,
                       job.best, round(epochs, 3), trainer.replicas)

