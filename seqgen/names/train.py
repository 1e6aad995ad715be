"""train-dino: the name model's two trainers, plugged into the training skeleton.

- :class:`SGDJob` is the reference schedule (the course's: 22,001 iterations): one name per
iteration, plain SGD
  with clipping, the hidden state carried from name to name.
- :class:`BatchedJob` trains an RNN or LSTM on padded mini-batches with Adam; one
  iteration is one parameter update.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from seqgen.atomic import write_bytes_atomic
from seqgen.checkpoints import save_checkpoint
from seqgen.config import config_to_dict
from seqgen.engine.batched import (
    Adam,
    clip_grads,
    forward_backward,
    init_params,
    make_batch,
    sample_sequence,
)
from seqgen.engine.charmodel import (
    CharRNNTrainer,
    initial_loss,
    initialize_parameters,
    names_to_examples,
    rnn_nll,
    sample,
)
from seqgen.engine.ops import smooth
from seqgen.errors import CheckpointError
from seqgen.finetune import refuse_with_resume
from seqgen.names import initfrom
from seqgen.names.config import DinoConfig
from seqgen.names.model import (
    KIND_BATCHED,
    KIND_RNN,
    KINDS,
    NAMES_FILE,
    NameData,
    checkpoint_kind,
    display,
    load_batched,
    load_names,
    load_rnn,
)
from seqgen.plotting import curve_png
from seqgen.training import (
    CURVE_FILE,
    Schedule,
    TrainResult,
    check_same_data,
    no_progress,
    open_run,
    resumed_config,
    run_loop,
)
from seqgen.vocab import Vocab

# what a resumed run takes from this run's settings rather than from the checkpoint
RUN_FIELDS = ("iters", "run", "data", "report_every", "save_every", "report_names")


def batched_nll(cell: str, params: dict, sequences: list[list[int]], newline: int,
                batch: int = 256) -> float:
    """Mean negative log-likelihood in nats per character (newline included)."""
    total, count = 0.0, 0
    for k in range(0, len(sequences), batch):
        x, y, mask = make_batch(sequences[k:k + batch], newline)
        total += forward_backward(cell, params, x, y, mask, need_grads=False)[0]
        count += int(mask.sum())
    return total / max(count, 1)


class _NameJob:
    """What both trainers share: the data, the report callback, the checkpoint writer."""

    unit = "iteration"
    kind = ""

    def __init__(self, cfg: DinoConfig, data: NameData, out: Path, on_report):
        self.cfg, self.data, self.out, self.on_report = cfg, data, out, on_report
        self.smoothed: float | None = None
        self.val_loss: float | None = None
        # the loss at each report, for loss_curve.png, in nats per name: the unit of the
        # smoothed training loss (the held-out loss, per character, is scaled to it)
        self.history: list[dict] = []
        self.val_names = val = data.val_names()
        self.val_chars_per_name = sum(len(n) + 1 for n in val) / len(val) if val else 0.0
        self.origin: dict = {}  # meta.json's init_from entry, for a fine-tuned run

    def record(self, iteration: int, val_loss: float | None = None) -> None:
        point = {"iteration": iteration, "train_loss": round(self.smoothed, 5)}
        if val_loss is not None:
            point["val_loss"] = round(val_loss * self.val_chars_per_name, 5)
        self.history = [h for h in self.history if h["iteration"] != iteration] + [point]

    def report(self, j: int, names, val_loss: float | None = None) -> None:
        if j % self.cfg.report_every:
            return
        self.record(j, val_loss)
        if self.on_report is not None:
            self.on_report(j, self.smoothed,
                           [display(n.strip(), self.data.case) for n in names()])

    def write(self, step: int, arrays: dict, state: dict, metrics: dict, final: bool) -> Path:
        if self.val_loss is not None:
            metrics["val_loss"] = self.val_loss
        save_checkpoint(self.out, self.kind, {
            "step": step, "seed": self.cfg.seed, "config": config_to_dict(self.cfg),
            "vocab": self.data.vocab.chars, "metrics": metrics, "state": state,
            "data_sha256": self.data.digest, "name_case": self.data.case,
            "history": self.history, "history_unit": "nats per name", **self.origin,
        }, arrays=arrays, extra_files={NAMES_FILE: self.data.names_file()})
        if final and self.history:  # the plot costs more than thousands of steps: at the end
            # NaN where no held-out loss was computed: the plot leaves a gap there
            held_out = any("val_loss" in h for h in self.history)
            points = [{"val_loss": math.nan, **h} if held_out else h for h in self.history]
            write_bytes_atomic(self.out / CURVE_FILE, curve_png(
                points, "seqgen train-dino (nats per name)", x="iteration"))
        return self.out

    def agree(self, stop: bool) -> bool:
        return stop

    def progress(self) -> dict:
        return {"loss": self.smoothed}


class SGDJob(_NameJob):
    """The reference schedule: name ``j % len(names)`` at iteration ``j``, SGD, clipping."""

    kind = KIND_RNN

    def __init__(self, cfg, data, out, on_report, params, a_prev, smoothed):
        super().__init__(cfg, data, out, on_report)
        self.trainer = CharRNNTrainer(params, cfg.lr, cfg.clip)
        self.a_prev, self.smoothed, self.last_loss = a_prev, smoothed, math.nan
        self.newline = np.array([data.vocab.index["\n"]], dtype=np.intp)

    def step(self, j: int) -> float:
        x = self.data.train_ids(j % self.data.n_train).astype(np.intp)  # the name's ids
        y = np.concatenate([x, self.newline])  # each predicts the next; the last the newline
        loss, a_next = self.trainer.step_arrays(x, y, self.a_prev)
        if math.isfinite(loss):
            self.a_prev, self.last_loss = a_next, loss
            self.smoothed = smooth(self.smoothed, loss)
        return loss

    def after_step(self, step: int, loss: float) -> bool:
        vocab, params = self.data.vocab, self.trainer.parameters
        self.report(step - 1, lambda: [vocab.decode(sample(params, vocab.index, s))
                                       for s in range(self.cfg.report_names)])
        return False

    def save(self, step: int, final: bool) -> Path:
        if final and self.val_names:
            self.val_loss = rnn_nll(self.trainer.parameters,
                                    names_to_examples(self.val_names, self.data.vocab.index))
            self.record(step, self.val_loss)
        metrics = {"smoothed_loss": self.smoothed}
        if math.isfinite(self.last_loss):
            metrics["last_loss"] = self.last_loss
        arrays = {k: np.array(v) for k, v in self.trainer.parameters.items()}
        arrays["a_prev"] = np.array(self.a_prev)
        return self.write(step, arrays, {"smoothed_loss": self.smoothed}, metrics, final)


class BatchedJob(_NameJob):
    """Padded mini-batches of ``batch_size`` names, Adam, a fresh name order every epoch."""

    kind = KIND_BATCHED

    def __init__(self, cfg, data, out, on_report, params, adam: Adam, smoothed,
                 target_val_loss: float | None = None):
        super().__init__(cfg, data, out, on_report)
        self.params, self.adam, self.smoothed = params, adam, smoothed
        self.target = target_val_loss
        vocab = data.vocab
        self.newline = vocab.index["\n"]
        self.val = [vocab.encode(n) for n in self.val_names]
        self.per_epoch = max(1, math.ceil(data.n_train / cfg.batch_size))
        self._order: tuple[int, np.ndarray] | None = None

    def order(self, epoch: int) -> np.ndarray:
        if self._order is None or self._order[0] != epoch:
            rng = np.random.RandomState(self.cfg.shuffle_seed + 1000 + epoch)
            self._order = (epoch, rng.permutation(self.data.n_train))
        return self._order[1]

    def step(self, j: int) -> float:
        epoch, k = divmod(j, self.per_epoch)
        b = self.cfg.batch_size
        batch = [self.data.train_ids(i) for i in self.order(epoch)[k * b:(k + 1) * b]]
        x, y, mask = make_batch(batch, self.newline)
        loss, grads = forward_backward(self.cfg.cell, self.params, x, y, mask)
        if not math.isfinite(loss):
            return loss
        n_chars = mask.sum()
        for g in grads.values():
            g /= n_chars  # mean per character
        clip_grads(grads, self.cfg.clip)
        self.adam.update(self.params, grads)
        per_name = loss / len(batch)
        # 0.99, not the reference's 0.999: one update here sees batch_size names
        self.smoothed = per_name if self.smoothed is None else \
            smooth(self.smoothed, per_name, decay=0.99)
        return loss

    def after_step(self, step: int, loss: float) -> bool:
        j = step - 1
        if j % self.cfg.report_every and step != self.cfg.iters:
            return False
        if self.val:
            self.val_loss = batched_nll(self.cfg.cell, self.params, self.val, self.newline)
        rng = np.random.default_rng
        self.report(j, lambda: [self.data.vocab.decode(sample_sequence(
            self.cfg.cell, self.params, self.newline, rng(s)))
            for s in range(self.cfg.report_names)], self.val_loss)
        return (self.target is not None and self.val_loss is not None
                and self.val_loss <= self.target)

    def save(self, step: int, final: bool) -> Path:
        if final and self.val:
            self.val_loss = batched_nll(self.cfg.cell, self.params, self.val, self.newline)
            self.record(step, self.val_loss)
        state = {"smoothed_loss": self.smoothed, "adam_t": self.adam.t}
        return self.write(step, {**self.params, **self.adam.state()}, state,
                          {"smoothed_loss": self.smoothed}, final)


def _sgd_job(cfg, data, out, on_report, meta, arrays, resume) -> SGDJob:
    n_v = len(data.vocab)
    if meta is None:
        params = arrays or initialize_parameters(cfg.hidden, n_v, n_v, seed=cfg.seed)
        return SGDJob(cfg, data, out, on_report, params, np.zeros(cfg.hidden),
                      initial_loss(n_v, cfg.report_names or 7))
    smoothed = float(meta.get("state", {}).get("smoothed_loss", math.nan))
    a_prev = arrays.get("a_prev")
    if a_prev is None or a_prev.shape != (cfg.hidden,) or not math.isfinite(smoothed):
        raise CheckpointError(f"checkpoint {resume} cannot be resumed (no training state)")
    return SGDJob(cfg, data, out, on_report, arrays, a_prev, smoothed)


def _batched_job(cfg, data, out, on_report, meta, arrays, resume, target) -> BatchedJob:
    if meta is None:
        params = arrays or init_params(cfg.cell, cfg.hidden, len(data.vocab),
                                       np.random.RandomState(cfg.seed))
        return BatchedJob(cfg, data, out, on_report, params, Adam(params, cfg.lr), None, target)
    params = {k: arrays[k] for k in arrays if not k.startswith("adam_")}
    state = meta.get("state", {})
    smoothed, adam_t = state.get("smoothed_loss"), state.get("adam_t")
    if not isinstance(smoothed, float) or not isinstance(adam_t, int):
        raise CheckpointError(f"checkpoint {resume} cannot be resumed (no training state)")
    adam = Adam(params, cfg.lr)
    try:
        adam.load_state(arrays, adam_t)
    except KeyError:
        raise CheckpointError(f"checkpoint {resume} lacks the optimiser state") from None
    return BatchedJob(cfg, data, out, on_report, params, adam, smoothed, target)


def _earlier_history(meta: dict | None, start: int) -> list[dict]:
    """The curve points of the run being continued (none from a checkpoint without them)."""
    history = (meta or {}).get("history")
    if not isinstance(history, list):
        return []
    return [h for h in history if isinstance(h, dict) and isinstance(h.get("iteration"), int)
            and isinstance(h.get("train_loss"), float) and h["iteration"] <= start]


def _load_resume(resume: str, cfg: DinoConfig):
    """(config, meta, arrays, kind) of the run to continue."""
    kind = checkpoint_kind(resume)
    if kind == KIND_RNN:
        meta, arrays, _ = load_rnn(resume)
    else:
        meta, params, arrays, _ = load_batched(resume)
        arrays = {**arrays, **params}
    return resumed_config(DinoConfig, meta, resume, cfg, RUN_FIELDS), meta, arrays, kind


def _in_vocab(data: NameData, chars: list[str]) -> NameData:
    store = data.names.store.with_vocab(Vocab(chars))
    return dataclasses.replace(data, names=dataclasses.replace(data.names, store=store))


def train_dino(cfg: DinoConfig, resume: str | None = None, on_report=None,
               on_progress=no_progress, target_val_loss: float | None = None,
               on_info=lambda message: None) -> TrainResult:
    """Train the name model of ``cfg`` (or continue ``resume``) into ``cfg.run``.

    ``cell: rnn`` with ``batch_size: 1`` is the reference SGD schedule; anything else
    trains on mini-batches. ``on_report(iteration, smoothed_loss, names)`` is called every
    ``report_every`` iterations. With ``target_val_loss`` (mini-batches), training stops
    as soon as the held-out loss reaches it.

    Raises:
        DataError, CheckpointError, NonFiniteLoss, TrainingInterrupted.
    """
    meta = arrays = origin = None
    refuse_with_resume(cfg.init_from, resume)
    if resume is not None:
        cfg, meta, arrays, kind = _load_resume(resume, cfg)
    else:
        if cfg.init_from:
            cfg, origin = initfrom.configure(cfg, "train-dino")
        cfg = cfg.filled()
        kind = KIND_RNN if cfg.cell == "rnn" and cfg.batch_size == 1 else KIND_BATCHED
    data = load_names(cfg.data, cfg.shuffle_seed, cfg.val_split)
    if meta is not None:
        check_same_data(meta, data.digest, cfg.data, resume, what="names file")
        data = _in_vocab(data, meta["vocab"])  # a fine-tuned run keeps its order
    elif origin is not None:
        data, arrays = initfrom.adapt(data, origin, kind == KIND_RNN, on_info)
    start = meta["step"] if meta is not None else 0
    with open_run(cfg.run, KINDS) as out:
        if kind == KIND_RNN:
            job = _sgd_job(cfg, data, out, on_report, meta, arrays, resume)
        else:
            job = _batched_job(cfg, data, out, on_report, meta, arrays, resume,
                               target_val_loss)
        job.history = _earlier_history(meta, start)
        job.origin = {"init_from": origin.source.record()} if origin else \
            {k: v for k, v in (meta or {}).items() if k == "init_from"}
        schedule = Schedule(total=cfg.iters, save_every=cfg.save_every,
                            progress_every=100 if kind == KIND_RNN else 1)
        end = run_loop(job, start, schedule, out, on_progress)
    return TrainResult(str(out), job.unit, end.step, end.trained, end.stopped_by, end.seconds,
                       job.smoothed, job.val_loss)
