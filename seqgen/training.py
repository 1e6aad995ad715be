"""The one training skeleton every trainer plugs into.

A trainer (names, Shakespeare, jazz) supplies only what is its own through the
:class:`Job` protocol: one step, what happens after a step (reports, evaluations),
and what goes into a checkpoint. This module owns the rest:

- the run folder: chief-only output under multi-worker training, the checks of
  :func:`~seqgen.checkpoints.prepare_run_dir` and the lock that keeps a second
  process out (:func:`open_run`);
- ``--resume``: the saved config merged with this run's settings, the data identity
  check and the optimiser state (:func:`resumed_config`, :func:`check_same_data`,
  :func:`pack_optimizer`, :func:`unpack_optimizer`);
- the stop reasons — done, ``max_steps``, time budget, a request to stop (Ctrl-C or
  SIGTERM, finishing the current step), another worker stopping, a non-finite loss —
  and the periodic and final saves (:func:`run_loop`);
- progress callbacks, throttled so a fast NumPy step is not slowed by the bar.
"""

from __future__ import annotations

import dataclasses
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from seqgen.checkpoints import RunLock, latest_step, prepare_run_dir
from seqgen.cluster import output_dir, public_path
from seqgen.config import build_config
from seqgen.errors import (
    CheckpointError,
    DataError,
    NonFiniteLoss,
    TrainingInterrupted,
    WorkerLost,
)
from seqgen.plotting import plot_helper
from seqgen.signals import Stopped, note_signal, pause_point, stopped_from

ProgressFn = Callable[..., None]
CURVE_FILE = "loss_curve.png"  # every trainer draws its loss curve next to its checkpoint


def no_progress(done: int, total: int, **fields) -> None:
    return None


# ---------------------------------------------------------------- stop requests

class StopRequest:
    """Set by the first SIGINT or SIGTERM; the loop checks it between steps."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __bool__(self) -> bool:
        return self.signal is not None


@contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """Turn the first Ctrl-C or SIGTERM into a request, so a step is never cut in half.

    Schedulers (Kubernetes, Slurm, systemd) send SIGTERM before they kill; it is
    treated like Ctrl-C. A second signal raises :class:`~seqgen.signals.Stopped` at once.
    Outside the main thread (where signals cannot be handled) the request is never set.
    The handlers in place before (the CLI's, which raise at once) come back afterwards.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum, frame):
        note_signal(signum)
        if request:
            raise Stopped(signum)
        request.signal = signum

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield request
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# ---------------------------------------------------------------- run folder and resume

@contextmanager
def open_run(out: str | Path, kinds: tuple[str, ...] | str, multiworker: bool = False
             ) -> Iterator[Path]:
    """The folder this process trains into, checked and locked for the whole run.

    Under multi-worker training only the chief writes to ``out``; the other workers get
    a temporary folder that is removed afterwards.

    Raises:
        CheckpointError: ``out`` cannot receive this kind of run, or another process is
            training into it.
    """
    with output_dir(out, multiworker) as folder:
        prepare_run_dir(folder, kinds)
        with RunLock(folder):
            yield folder


def resumed_config(cls, meta: dict, where: str | Path, cfg, keep: tuple[str, ...]):
    """The config saved in ``meta`` with this run's values of the fields in ``keep``.

    Model and data settings come from the checkpoint (they must match the weights);
    run settings (how long, where to write, the data path) come from this run.
    """
    saved = build_config(cls, meta["config"], f"{where}/meta.json", quiet=True)
    return dataclasses.replace(saved, **{k: getattr(cfg, k) for k in keep})


def check_same_data(meta: dict, digest: str, path, resume, key: str = "data_sha256",
                    what: str = "data file") -> None:
    """Refuse to resume on a different input than the checkpoint was trained on."""
    if meta.get(key) != digest:
        raise DataError(f"{path} is not the {what} the checkpoint {resume} was trained on")


def pack_optimizer(arrays: dict, opt_state: list) -> tuple[dict, dict]:
    """Optimiser variables as ``opt_<i>`` arrays, and the meta ``state`` entry that counts them."""
    packed = dict(arrays)
    for i, value in enumerate(opt_state):
        packed[f"opt_{i}"] = value
    return packed, {"optimizer_variables": len(opt_state)}


def unpack_optimizer(meta: dict, arrays: dict, where) -> list:
    """The optimiser variables saved by :func:`pack_optimizer`.

    Raises:
        CheckpointError: the checkpoint holds no (or an incomplete) optimiser state.
    """
    n_opt = (meta.get("state") or {}).get("optimizer_variables")
    if not isinstance(n_opt, int) or any(f"opt_{i}" not in arrays for i in range(n_opt)):
        raise CheckpointError(f"checkpoint {where} cannot be resumed (no optimizer state)")
    return [arrays[f"opt_{i}"] for i in range(n_opt)]


# ---------------------------------------------------------------- the loop

@dataclass(frozen=True)
class Schedule:
    """When a run stops and saves. Steps are counted from the start of the first run."""

    total: int  # the run is done after this many steps
    save_every: int | None = None  # a checkpoint every N steps (besides the trainer's own)
    max_steps: int | None = None
    time_budget: float | None = None  # seconds, counting earlier runs of a resumed job
    progress_every: int = 1
    multiworker: bool = False  # stopping is agreed on by every worker


class Job(Protocol):
    """What a trainer supplies to :func:`run_loop`."""

    unit: str  # what one step is called in messages: "iteration", "step" or "epoch"

    def step(self, step: int) -> float:
        """Train step number ``step`` (0-based, global); return its loss."""

    def after_step(self, step: int, loss: float) -> bool:
        """After ``step`` steps are done: reports, evaluations. True asks the loop to stop."""

    def save(self, step: int, final: bool) -> Path:
        """Write a checkpoint after ``step`` steps; return where ``--resume`` can find it."""

    def agree(self, stop: bool) -> bool:
        """Under multi-worker training: whether any worker wants to stop."""

    def progress(self) -> dict:
        """Fields for the progress bar (loss, throughput...)."""


@dataclass(frozen=True)
class LoopEnd:
    """How a call of :func:`run_loop` ended."""

    step: int  # steps done in all
    start: int  # the step the call started from
    stopped_by: str  # done, target, max_steps, time_budget or another_worker
    seconds: float  # training time in all, earlier runs included

    @property
    def trained(self) -> bool:
        return self.step > self.start


@dataclass(frozen=True)
class TrainResult:
    """What a training pipeline returns; the CLI prints from it."""

    run: str  # the run directory written
    unit: str  # iteration, step or epoch
    step: int  # steps done in all, earlier runs included
    trained: bool  # False when a resumed run was already complete
    stopped_by: str  # done, target, max_steps, time_budget or another_worker
    seconds: float
    loss: float | None = None  # the training loss at the end (smoothed where the trainer does)
    val_loss: float | None = None  # held-out loss (the best one for train-shakespeare)
    epochs: float | None = None
    replicas: int = 1


def _stop_reason(step: int, schedule: Schedule, seconds: float) -> str | None:
    if step >= schedule.total:
        return "done"
    if schedule.max_steps is not None and step >= schedule.max_steps:
        return "max_steps"
    if schedule.time_budget is not None and seconds >= schedule.time_budget:
        return "time_budget"
    return None


@contextmanager
def _lost_workers_explained(job: Job, out: str | Path) -> Iterator[None]:
    """Complete a :class:`WorkerLost` with the last checkpoint's step and the folder to resume."""
    try:
        yield
    except WorkerLost as exc:
        # the user's folder (the chief's saves) when this worker can see it, else its own
        public = public_path(out)
        step = latest_step(public)
        raise exc.with_context(job.unit, latest_step(out) if step is None else step,
                               str(public)) from None


def run_loop(job: Job, start: int, schedule: Schedule, out: str | Path,
             on_progress: ProgressFn = no_progress, seconds: float = 0.0) -> LoopEnd:
    """Run ``job`` from step ``start`` until a stop reason, saving as the schedule says.

    The final checkpoint is always written. A stop request (SIGINT/SIGTERM) finishes the
    current step, saves, and raises :class:`TrainingInterrupted` (exit 130 or 143).

    Raises:
        NonFiniteLoss: a step's loss is NaN or infinite (the last good checkpoint stays).
        TrainingInterrupted: after saving, on Ctrl-C or SIGTERM.
        WorkerLost: another worker of a multi-worker run is gone (nothing is saved: the
            model's state may be half-reduced; the last checkpoint's step is named).
    """
    step, reason = start, _stop_reason(start, schedule, seconds)
    if reason in ("done", "max_steps"):
        return LoopEnd(step, start, reason, seconds)
    t0 = time.perf_counter() - seconds
    where = None
    try:
        with plot_helper() as plotter:
            with stop_requests() as request, _lost_workers_explained(job, out):
                step, reason = _steps(job, step, schedule, request, plotter, on_progress, t0,
                                      out)
                pause_point("final-save")
                where = job.save(step, final=True)
                if request:
                    raise TrainingInterrupted.from_signal(request.signal, job.unit, step,
                                                          public_path(where), public_path(out))
    except KeyboardInterrupt as exc:  # a signal while the plotting helper closes
        if where is None:
            raise
        stop = stopped_from(exc)  # the final save is complete: say so, like any interrupt
        raise TrainingInterrupted.from_signal(stop.signum, job.unit, step, public_path(where),
                                              public_path(out)) from None
    return LoopEnd(step, start, reason, time.perf_counter() - t0)


def _steps(job: Job, step: int, schedule: Schedule, request: StopRequest, plotter,
           on_progress: ProgressFn, t0: float, out) -> tuple[int, str]:
    """Train from ``step`` until a stop reason; return the step reached and the reason."""
    while True:
        loss = job.step(step)
        plotter.tick()
        if not math.isfinite(loss):
            raise NonFiniteLoss(f"loss became {loss} at {job.unit} {step + 1}; stopped, the "
                                f"last good checkpoint (if any) is kept in {out}; try a "
                                "lower --lr")
        step += 1
        pause_point("step")
        target = job.after_step(step, loss)
        reason = "interrupt" if request else _stop_reason(
            step, schedule, time.perf_counter() - t0)
        if reason is None and target:
            reason = "target"
        if schedule.multiworker and job.agree(reason is not None) and reason is None:
            reason = "another_worker"  # its budget ran out, or it was asked to stop
        if step % schedule.progress_every == 0 or reason is not None:
            on_progress(step, schedule.total, **job.progress())
        if reason is not None:
            return step, reason
        if schedule.save_every and step % schedule.save_every == 0:
            job.save(step, final=False)


@contextmanager
def after_training(unit: str, step: int, where: str | Path) -> Iterator[None]:
    """Ctrl-C or SIGTERM once training is over (the first solo, the summary): one line that
    says the finished checkpoint is safe, exit 130/143."""
    try:
        yield
    except KeyboardInterrupt as exc:
        stop = stopped_from(exc)
        raise TrainingInterrupted.after_training(stop.signum, unit, step,
                                                 public_path(where)) from None

