"""Train and sample the dinosaur-name character model (SPEC §2)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import (
    check_shapes,
    load_checkpoint,
    prepare_run_dir,
    read_meta,
    resolve,
    save_checkpoint,
)
from seqgen.config import DinoConfig, build_config, config_to_dict
from seqgen.engine.charmodel import (
    CharRNNTrainer,
    initial_loss,
    initialize_parameters,
    names_to_examples,
    sample,
    smooth,
)
from seqgen.errors import CheckpointError, DataError, NonFiniteLoss, TrainingInterrupted
from seqgen.pipelines.common import deferred_interrupt, no_progress
from seqgen.text.vocab import Vocab
from seqgen.textio import DATA_HINT, read_text

KIND_RNN = "dino-rnn"
MAX_NAME_LENGTH = 50


@dataclass
class NameData:
    """Names in training order, the vocabulary and the held-out names."""

    train: list[str]
    val: list[str]
    vocab: Vocab
    digest: str


def load_names(path: str | Path, shuffle_seed: int, val_split: float) -> NameData:
    """Read one name per line, lower-case, shuffle once, hold out the last ``val_split``.

    Raises:
        DataError: unreadable file, or no names in it.
    """
    text = read_text(path, "names file", hint=DATA_HINT)
    names = [line.lower().strip() for line in text.splitlines()]
    names = [n for n in names if n]
    if not names:
        raise DataError(f"names file has no names in it: {path}")
    digest = hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()
    np.random.RandomState(shuffle_seed).shuffle(names)
    train, val = names, []
    if val_split > 0:
        # hold out distinct names, so a name repeated in the file never sits on both sides
        distinct = list(dict.fromkeys(names))
        n_val = int(math.ceil(len(distinct) * val_split))
        if n_val >= len(distinct):
            raise DataError(f"--val-split {val_split} leaves no names to train on")
        val = distinct[len(distinct) - n_val:]
        held = set(val)
        train = [n for n in names if n not in held]
    vocab = Vocab.from_text("".join(names), always="\n")
    return NameData(train, val, vocab, digest)


def rnn_nll(params: dict, examples) -> float:
    """Mean negative log-likelihood in nats per character (newline included)."""
    Wax, Waa, Wya, b, by = (params[k] for k in ("Wax", "Waa", "Wya", "b", "by"))
    total, count = 0.0, 0
    for X, Y in examples:
        a = np.zeros(Waa.shape[0])
        for x, y in zip(X, Y):
            z = Waa @ a + b[:, 0]
            if x is not None:
                z += Wax[:, x]
            a = np.tanh(z)
            logits = Wya @ a + by[:, 0]
            m = logits.max()
            total -= logits[y] - m - math.log(np.exp(logits - m).sum())
            count += 1
    return total / max(count, 1)


def report_names(params: dict, vocab: Vocab, count: int) -> list[str]:
    """Names sampled with seeds 0 … count-1, first letter capitalised (the reference report)."""
    return [vocab.decode(sample(params, vocab.index, seed)).strip().capitalize()
            for seed in range(count)]


def _save(out_dir, cfg, data: NameData, trainer, a_prev, step, smoothed, last_loss, val_loss):
    metrics = {"smoothed_loss": smoothed}
    if math.isfinite(last_loss):
        metrics["last_loss"] = last_loss
    if val_loss is not None:
        metrics["val_loss"] = val_loss
    params = trainer.parameters
    arrays = {k: np.array(v) for k, v in params.items()}
    arrays["a_prev"] = np.array(a_prev)
    names_txt = ("\n".join(data.train + data.val) + "\n").encode("utf-8")
    save_checkpoint(out_dir, KIND_RNN, {
        "step": step, "seed": cfg.seed, "config": config_to_dict(cfg),
        "vocab": data.vocab.chars, "metrics": metrics,
        "state": {"smoothed_loss": smoothed}, "data_sha256": data.digest,
    }, arrays=arrays, extra_files={"names.txt": names_txt})


def _rnn_shapes(n_a: int, n_v: int) -> dict:
    return {"Wax": (n_a, n_v), "Waa": (n_a, n_a), "Wya": (n_v, n_a), "b": (n_a, 1),
            "by": (n_v, 1)}


def load_dino(run_dir) -> tuple[dict, dict, Vocab]:
    """Load a name-model checkpoint: (meta, parameters, vocab), shapes validated."""
    meta, arrays = load_checkpoint(run_dir, (KIND_RNN,))
    vocab = Vocab.from_list(meta["vocab"], where=str(run_dir))
    n_a = meta["config"].get("hidden")
    if not isinstance(n_a, int) or n_a <= 0:
        raise CheckpointError(f"checkpoint {run_dir}: config.hidden is malformed")
    check_shapes(arrays, _rnn_shapes(n_a, len(vocab)), str(run_dir))
    return meta, arrays, vocab


def train_dino(cfg: DinoConfig, resume: str | None = None, on_report=None,
               on_progress=no_progress) -> dict:
    """Train the name model of ``cfg``; returns a summary dict.

    Saves a checkpoint to ``cfg.out`` every ``save_every`` iterations and at the end.
    On Ctrl-C saves the last completed step and raises TrainingInterrupted.
    """
    start, a_prev, smoothed, params = 0, None, None, None
    if resume is not None:
        from seqgen.pipelines.dino_batched import KIND_BATCHED, train_batched

        if read_meta(resolve(resume), (KIND_RNN, KIND_BATCHED))["kind"] == KIND_BATCHED:
            return train_batched(cfg, resume, on_report, on_progress)
        meta, arrays, _ = load_dino(resume)
        saved = build_config(DinoConfig, meta["config"], f"{resume}/meta.json")
        cfg = dataclasses.replace(saved, iters=cfg.iters, out=cfg.out, data=cfg.data,
                                  report_every=cfg.report_every, save_every=cfg.save_every,
                                  report_names=cfg.report_names)
        start = meta["step"]
        smoothed = float(meta.get("state", {}).get("smoothed_loss", math.nan))
        params = arrays
        a_prev = arrays.get("a_prev")
        if a_prev is None or a_prev.shape != (cfg.hidden,) or not math.isfinite(smoothed):
            raise CheckpointError(f"checkpoint {resume} cannot be resumed (no training state)")
    if cfg.cell != "rnn" or cfg.batch_size != 1:
        from seqgen.pipelines.dino_batched import train_batched

        return train_batched(cfg, resume, on_report, on_progress)
    data = load_names(cfg.data, cfg.shuffle_seed, cfg.val_split)
    prepare_run_dir(cfg.out, (KIND_RNN, "dino-batched"))
    if resume is not None and meta.get("data_sha256") != data.digest:
        raise DataError(f"{cfg.data} is not the names file the checkpoint {resume} was "
                        "trained on")
    n_v = len(data.vocab)
    if params is None:
        params = initialize_parameters(cfg.hidden, n_v, n_v, seed=cfg.seed)
        a_prev = np.zeros(cfg.hidden)
        smoothed = initial_loss(n_v, cfg.report_names or 7)
    if start >= cfg.iters:
        return {"out": str(cfg.out), "step": start, "loss": smoothed, "val_loss": None,
                "trained": False}
    trainer = CharRNNTrainer(params, cfg.lr, cfg.clip)
    newline = data.vocab.index["\n"]
    examples = [(np.array([data.vocab.index[c] for c in name], dtype=np.intp),
                 np.array([data.vocab.index[c] for c in name] + [newline], dtype=np.intp))
                for name in data.train]
    val_examples = names_to_examples(data.val, data.vocab.index)
    out = Path(cfg.out)
    step, last_loss = start, math.nan
    with deferred_interrupt() as flag:
        for j in range(start, cfg.iters):
            x, y = examples[j % len(examples)]
            current, a_next = trainer.step_arrays(x, y, a_prev)
            if not math.isfinite(current):
                raise NonFiniteLoss(f"loss became {current} at iteration {j}; stopped, the last "
                                    f"good checkpoint (if any) is kept in {out}; try a lower --lr")
            a_prev, last_loss = a_next, current
            smoothed = smooth(smoothed, current)
            step = j + 1
            if on_report is not None and j % cfg.report_every == 0:
                on_report(j, smoothed, report_names(trainer.parameters, data.vocab,
                                                    cfg.report_names))
            if step % 100 == 0 or step == cfg.iters:
                on_progress(step, cfg.iters, loss=smoothed)
            if step % cfg.save_every == 0 and step < cfg.iters:
                _save(out, cfg, data, trainer, a_prev, step, smoothed, last_loss, None)
            if flag.stop:
                _save(out, cfg, data, trainer, a_prev, step, smoothed, last_loss, None)
                raise TrainingInterrupted(f"interrupted: checkpoint of iteration {step} saved "
                                          f"to {out}")
    val_loss = rnn_nll(trainer.parameters, val_examples) if val_examples else None
    _save(out, cfg, data, trainer, a_prev, step, smoothed, last_loss, val_loss)
    return {"out": str(out), "step": step, "loss": smoothed, "val_loss": val_loss,
            "trained": True}


def sample_dino(checkpoint, n: int, temperature: float = 1.0, seed: int | None = None,
                novel: bool = False) -> list[str]:
    """Sample ``n`` names from a checkpoint.

    Each name uses its own seed drawn from ``seed``, so the same seed gives the
    same list. With ``novel``, names from the training file are skipped.

    Raises:
        CheckpointError: unusable checkpoint; DataError: not enough novel names.
    """
    from seqgen.engine.batched import sample_sequence
    from seqgen.pipelines.dino_batched import KIND_BATCHED, load_batched

    kind = read_meta(resolve(checkpoint), (KIND_RNN, KIND_BATCHED))["kind"]
    if kind == KIND_RNN:
        meta, params, vocab = load_dino(checkpoint)

        def draw(s: int) -> list[int]:
            return sample(params, vocab.index, s, temperature=temperature,
                          max_length=MAX_NAME_LENGTH)
    else:
        meta, params, _, vocab = load_batched(checkpoint)
        cell = meta["config"]["cell"]

        def draw(s: int) -> list[int]:
            return sample_sequence(cell, params, vocab.index["\n"], np.random.default_rng(s),
                                   temperature, MAX_NAME_LENGTH)
    if "\n" not in vocab.index:
        raise CheckpointError(f"checkpoint {checkpoint}: vocabulary lacks the newline")
    known: set[str] = set()
    if novel:
        names_file = resolve(checkpoint) / "names.txt"
        if names_file.is_file():
            known = set(names_file.read_text(encoding="utf-8").split("\n"))
    seeds = np.random.default_rng(seed)
    out: list[str] = []
    attempts = 0
    max_attempts = 200 * n + 1000
    while len(out) < n:
        attempts += 1
        if attempts > max_attempts:
            raise DataError(f"found only {len(out)} novel names in {max_attempts} tries; "
                            "raise --temperature or drop --novel")
        s = int(seeds.integers(0, 2**31 - 2 * MAX_NAME_LENGTH - 2))
        name = vocab.decode(draw(s)).strip()
        if not name or (novel and name in known):
            continue
        if novel:
            known.add(name)  # novel names are also distinct from each other
        out.append(name.capitalize())
    return out
