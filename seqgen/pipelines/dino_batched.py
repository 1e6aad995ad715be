"""Mini-batch training of the name model (RNN or LSTM cell, Adam, held-out loss)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from seqgen.checkpoints import (
    check_shapes,
    load_checkpoint,
    prepare_run_dir,
    save_checkpoint,
)
from seqgen.config import DinoConfig, build_config, config_to_dict
from seqgen.engine.batched import (
    Adam,
    clip_grads,
    forward_backward,
    init_params,
    make_batch,
    param_shapes,
    sample_sequence,
)
from seqgen.errors import CheckpointError, DataError, NonFiniteLoss, TrainingInterrupted
from seqgen.pipelines.common import deferred_interrupt, no_progress

KIND_BATCHED = "dino-batched"


def batched_nll(cell: str, params: dict, sequences: list[list[int]], newline: int,
                batch: int = 256) -> float:
    """Mean negative log-likelihood in nats per character (newline included)."""
    total, count = 0.0, 0
    for k in range(0, len(sequences), batch):
        x, y, mask = make_batch(sequences[k:k + batch], newline)
        total += forward_backward(cell, params, x, y, mask, need_grads=False)[0]
        count += int(mask.sum())
    return total / max(count, 1)


def report_names_batched(cell, params, vocab, count: int) -> list[str]:
    newline = vocab.index["\n"]
    return [vocab.decode(sample_sequence(cell, params, newline, np.random.default_rng(s)))
            .strip().capitalize() for s in range(count)]


def load_batched(run_dir):
    """(meta, params, adam arrays, vocab) of a mini-batch name model, shapes validated."""
    from seqgen.text.vocab import Vocab

    meta, arrays = load_checkpoint(run_dir, (KIND_BATCHED,))
    vocab = Vocab.from_list(meta["vocab"], where=str(run_dir))
    cfg = meta["config"]
    cell, n_a = cfg.get("cell"), cfg.get("hidden")
    if cell not in ("rnn", "lstm") or not isinstance(n_a, int) or n_a <= 0:
        raise CheckpointError(f"checkpoint {run_dir}: config is malformed")
    shapes = param_shapes(cell, n_a, len(vocab))
    check_shapes(arrays, shapes, str(run_dir))
    params = {k: np.array(arrays[k], dtype=np.float64) for k in shapes}
    return meta, params, arrays, vocab


def train_batched(cfg: DinoConfig, resume=None, on_report=None, on_progress=no_progress,
                  target_val_loss: float | None = None) -> dict:
    """Train with padded mini-batches and Adam; ``iters`` counts parameter updates.

    With ``target_val_loss``, stops as soon as the held-out loss (checked every
    ``report_every`` updates) is at or below it.
    """
    from seqgen.pipelines.dino import load_names

    start, smoothed, adam_t, arrays = 0, None, 0, None
    if resume is not None:
        meta, params, arrays, _ = load_batched(resume)
        saved = build_config(DinoConfig, meta["config"], f"{resume}/meta.json")
        cfg = dataclasses.replace(saved, iters=cfg.iters, out=cfg.out, data=cfg.data,
                                  report_every=cfg.report_every, save_every=cfg.save_every,
                                  report_names=cfg.report_names)
        start = meta["step"]
        state = meta.get("state", {})
        smoothed, adam_t = state.get("smoothed_loss"), state.get("adam_t")
        if not isinstance(smoothed, float) or not isinstance(adam_t, int):
            raise CheckpointError(f"checkpoint {resume} cannot be resumed (no training state)")
    data = load_names(cfg.data, cfg.shuffle_seed, cfg.val_split)
    prepare_run_dir(cfg.out, (KIND_BATCHED, "dino-rnn"))
    if resume is not None and meta.get("data_sha256") != data.digest:
        raise DataError(f"{cfg.data} is not the names file the checkpoint {resume} was "
                        "trained on")
    vocab, newline = data.vocab, data.vocab.index["\n"]
    train = [vocab.encode(n) for n in data.train]
    val = [vocab.encode(n) for n in data.val]
    if resume is None:
        params = init_params(cfg.cell, cfg.hidden, len(vocab), np.random.RandomState(cfg.seed))
        smoothed = None
    adam = Adam(params, cfg.lr)
    if arrays is not None:
        try:
            adam.load_state(arrays, adam_t)
        except KeyError:
            raise CheckpointError(f"checkpoint {resume} lacks the optimiser state") from None
    if start >= cfg.iters:
        return {"out": str(cfg.out), "step": start, "loss": smoothed, "val_loss": None,
                "trained": False}
    per_epoch = max(1, math.ceil(len(train) / cfg.batch_size))
    out = Path(cfg.out)
    val_loss = None

    def save(step: int) -> None:
        metrics = {"smoothed_loss": smoothed}
        if val_loss is not None:
            metrics["val_loss"] = val_loss
        save_checkpoint(out, KIND_BATCHED, {
            "step": step, "seed": cfg.seed, "config": config_to_dict(cfg),
            "vocab": vocab.chars, "metrics": metrics, "data_sha256": data.digest,
            "state": {"smoothed_loss": smoothed, "adam_t": adam.t},
        }, arrays={**params, **adam.state()},
            extra_files={"names.txt": ("\n".join(data.train + data.val) + "\n").encode()})

    step = start
    with deferred_interrupt() as flag:
        for j in range(start, cfg.iters):
            epoch, k = divmod(j, per_epoch)
            order = np.random.RandomState(cfg.shuffle_seed + 1000 + epoch).permutation(len(train))
            batch = [train[i] for i in order[k * cfg.batch_size:(k + 1) * cfg.batch_size]]
            x, y, mask = make_batch(batch, newline)
            loss, grads = forward_backward(cfg.cell, params, x, y, mask)
            if not math.isfinite(loss):
                raise NonFiniteLoss(f"loss became {loss} at iteration {j}; stopped, the last "
                                    f"good checkpoint (if any) is kept in {out}; try a lower --lr")
            n_chars = mask.sum()
            for g in grads.values():
                g /= n_chars  # mean per character
            clip_grads(grads, cfg.clip)
            adam.update(params, grads)
            per_name = loss / len(batch)
            smoothed = per_name if smoothed is None else smooth_loss(smoothed, per_name)
            step = j + 1
            if j % cfg.report_every == 0 or step == cfg.iters:
                if val:
                    val_loss = batched_nll(cfg.cell, params, val, newline)
                if on_report is not None and j % cfg.report_every == 0:
                    on_report(j, smoothed, report_names_batched(cfg.cell, params, vocab,
                                                                cfg.report_names))
                if target_val_loss is not None and val_loss is not None \
                        and val_loss <= target_val_loss:
                    break
            on_progress(step, cfg.iters, loss=smoothed)
            if step % cfg.save_every == 0 and step < cfg.iters:
                save(step)
            if flag.stop:
                save(step)
                raise TrainingInterrupted(f"interrupted: checkpoint of iteration {step} saved "
                                          f"to {out}")
    if val:
        val_loss = batched_nll(cfg.cell, params, val, newline)
    save(step)
    return {"out": str(out), "step": step, "loss": smoothed, "val_loss": val_loss,
            "trained": True}


def smooth_loss(loss: float, current: float) -> float:
    return 0.99 * loss + 0.01 * current
