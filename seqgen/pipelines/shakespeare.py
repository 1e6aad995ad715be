"""Train, evaluate and sample the Shakespeare character model (SPEC §3).

Training runs in Keras (``seqgen.keras_models.shakespeare``, imported lazily); evaluation
and generation run the exported weights with the NumPy engine, so ``evaluate`` and
``generate-poem`` never import TensorFlow.

A run directory holds the checkpoint of the best validation loss (weights only: what
``evaluate`` and ``generate-poem`` read) and, in ``last/``, the newest training state
(weights, Adam slots, history) that ``--resume`` continues from.
"""

from __future__ import annotations

import dataclasses
import io
import math
import time
from pathlib import Path

import numpy as np

from seqgen.atomic import write_bytes_atomic
from seqgen.checkpoints import (
    check_shapes,
    load_checkpoint,
    prepare_run_dir,
)
from seqgen.cluster import output_dir
from seqgen.config import ShakespeareConfig, build_config, config_to_dict
from seqgen.engine.stacked import CharLSTMStack, LSTMLayer, log_softmax_rows, sample_index
from seqgen.errors import CheckpointError, DataError, NonFiniteLoss, TrainingInterrupted, UsageError
from seqgen.pipelines.common import deferred_interrupt, no_progress
from seqgen.text.corpus import Corpus, heldout_stream, load_corpus, training_windows
from seqgen.text.vocab import Vocab, describe_chars

KIND = "shakespeare-lstm"
LAST_DIR = "last"
CURVE_FILE = "loss_curve.png"
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "shakespeare"
MAX_LENGTH = 1_000_000
MAX_TEMPERATURE = 100.0


# ---------------------------------------------------------------- loading and scoring

def stack_from_arrays(arrays: dict[str, np.ndarray], dtype=np.float64) -> CharLSTMStack:
    """The NumPy inference stack of exported Keras weights."""
    layers = [LSTMLayer(arrays[f"lstm{k}_kernel"], arrays[f"lstm{k}_recurrent"],
                        arrays[f"lstm{k}_bias"]) for k in (1, 2)]
    return CharLSTMStack.from_embedding(arrays["embedding"], layers, arrays["dense_kernel"],
                                        arrays["dense_bias"], dtype=dtype)


def _shapes(v: int, embed: int, units: int) -> dict[str, tuple]:
    u4 = 4 * units
    return {"embedding": (v, embed), "lstm1_kernel": (embed, u4), "lstm1_recurrent": (units, u4),
            "lstm1_bias": (u4,), "lstm2_kernel": (units, u4), "lstm2_recurrent": (units, u4),
            "lstm2_bias": (u4,), "dense_kernel": (units, v), "dense_bias": (v,)}


def load_model(run_dir) -> tuple[dict, dict[str, np.ndarray], Vocab]:
    """Load a Shakespeare checkpoint: (meta, arrays, vocab), shapes validated.

    Raises:
        CheckpointError: missing, corrupt, wrong kind or malformed.
    """
    meta, arrays = load_checkpoint(run_dir, KIND)
    vocab = Vocab.from_list(meta["vocab"], where=f"checkpoint {run_dir}")
    embed, units = meta["config"].get("embed"), meta["config"].get("units")
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in (embed, units)):
        raise CheckpointError(f"checkpoint {run_dir}: config.embed or config.units is malformed")
    check_shapes(arrays, _shapes(len(vocab), embed, units), str(run_dir))
    return meta, arrays, vocab


def heldout_nll(stack: CharLSTMStack, corpus: Corpus, warmup: int) -> float:
    """Mean NLL in nats per character of the held-out tail, full preceding context."""
    inputs, targets = heldout_stream(corpus.ids, corpus.n_train, warmup)
    logits, _ = stack.logits_sequence(inputs)  # (w - 1 + n_val, V)
    logits = logits[len(inputs) - len(targets):]  # the scored outputs, (n_val, V)
    logp = log_softmax_rows(logits)
    return float(-logp[np.arange(len(targets)), targets].mean())


def default_checkpoint() -> Path:
    """The model shipped inside the package."""
    return SHIPPED


def evaluate(checkpoint=None, data=None) -> dict:
    """Recompute the held-out loss of a checkpoint (default: the shipped model).

    Returns ``{"val_loss", "bits_per_char", "perplexity", "characters"}``.

    Raises:
        CheckpointError, DataError: unusable checkpoint or text, or a text with characters
            the model does not know.
    """
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    meta, arrays, vocab = load_model(checkpoint)
    cfg = meta["config"]
    path = data if data is not None else cfg.get("data", "data/shakespeare.txt")
    corpus = load_corpus(path, float(cfg.get("val_fraction", 0.1)))
    unknown = set(corpus.vocab.chars) - set(vocab.chars)
    if unknown:
        raise DataError(f"{path} has characters the model does not know: "
                        f"{describe_chars(unknown)}")
    ids = np.array(vocab.encode(corpus.vocab.decode(corpus.ids)), dtype=np.int32)
    corpus = dataclasses.replace(corpus, ids=ids, vocab=vocab)
    nll = heldout_nll(stack_from_arrays(arrays), corpus, int(cfg.get("warmup", 100)))
    return {"val_loss": nll, "bits_per_char": nll / math.log(2), "perplexity": math.exp(nll),
            "characters": len(corpus.val_ids)}


# ---------------------------------------------------------------- generation

def generate_poem(prompt: str, length: int = 400, temperature: float = 1.0,
                  seed: int | None = None, checkpoint=None, lines: int | None = None
                  ) -> tuple[str, list[str]]:
    """Continue ``prompt`` with up to ``length`` sampled characters.

    The prompt (lower-cased, read as the start of a line) runs through the network once;
    each new character then costs one step of the stateful NumPy stack. With ``lines``,
    generation stops before the ``lines``-th newline.

    Returns:
        ``(continuation, skipped)``: the new text and the prompt characters the model does
        not know (left out of its input).
    Raises:
        UsageError: length or temperature out of range; CheckpointError.
    """
    if isinstance(length, bool) or not 1 <= length <= MAX_LENGTH:
        raise UsageError(f"--length must be between 1 and {MAX_LENGTH}, got {length}")
    if not (0 < temperature <= MAX_TEMPERATURE):
        raise UsageError(f"--temperature must be > 0 and <= {MAX_TEMPERATURE:g}, "
                         f"got {temperature}")
    if lines is not None and lines <= 0:
        raise UsageError(f"--lines must be positive, got {lines}")
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    _, arrays, vocab = load_model(checkpoint)
    stack = stack_from_arrays(arrays)
    text = prompt.lower()
    skipped = sorted(vocab.unknown(text))
    known = [vocab.index[c] for c in text if c in vocab.index]
    if "\n" in vocab.index:
        known = [vocab.index["\n"], *known]
    state = stack.zero_state()
    if known:
        logits, state = stack.logits_sequence(np.array(known), state)  # one pass
        logits = logits[-1]
    else:  # no newline and an empty prompt: only the biases speak
        logits = stack.dense_b + stack.zero_state()[-1][0] @ stack.dense_w
    rng = np.random.default_rng(seed)
    out: list[str] = []
    newlines = 0
    for n in range(length):
        k = sample_index(logits, temperature, rng)
        ch = vocab.chars[k]
        if ch == "\n" and lines is not None:
            newlines += 1
            if newlines >= lines:
                break
        out.append(ch)
        if n + 1 < length:  # the next character's distribution: one step of the stack
            logits, state = stack.step(k, state)
    return "".join(out), skipped


# ---------------------------------------------------------------- training

def _curve_png(history: list[dict]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["train_loss"] for h in history], marker=".", label="train")
    ax.plot(epochs, [h["val_loss"] for h in history], marker=".", label="held-out")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per character")
    ax.set_title("seqgen train-shakespeare")
    ax.grid(alpha=0.3)
    ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class _Run:
    """Saving for one training run: the best checkpoint, ``last/`` and the loss curve."""

    def __init__(self, cfg: ShakespeareConfig, corpus: Corpus):
        self.cfg, self.corpus = cfg, corpus
        self.out = Path(cfg.out)

    def _meta(self, epoch: int, step: int, history: list[dict], metrics: dict) -> dict:
        return {"step": step, "epoch": epoch, "seed": self.cfg.seed,
                "config": config_to_dict(self.cfg), "vocab": self.corpus.vocab.chars,
                "metrics": metrics, "history": history, "data_sha256": self.corpus.digest}

    def save_best(self, weights, epoch, step, history, val_loss, train_loss, seconds) -> None:
        from seqgen.checkpoints import save_checkpoint

        metrics = {"val_loss": val_loss, "train_loss": train_loss,
                   "bits_per_char": val_loss / math.log(2), "train_seconds": round(seconds, 3)}
        save_checkpoint(self.out, KIND, self._meta(epoch, step, history, metrics),
                        arrays=weights)

    def save_last(self, weights, opt_state, epoch, step, history, state: dict) -> None:
        from seqgen.checkpoints import save_checkpoint

        arrays = dict(weights)
        for i, value in enumerate(opt_state):
            arrays[f"opt_{i}"] = value
        meta = self._meta(epoch, step, history, {k: state[k] for k in ("best_val_loss",)})
        meta["state"] = {**state, "optimizer_variables": len(opt_state)}
        save_checkpoint(self.out / LAST_DIR, KIND, meta, arrays=arrays)
        if history:
            write_bytes_atomic(self.out / CURVE_FILE, _curve_png(history))


def _load_resume(resume, cfg: ShakespeareConfig):
    """The saved config (with this run's epochs/budget/out/data) and the training state."""
    last = Path(resume) / LAST_DIR
    if not last.is_dir():
        load_model(resume)  # says what is wrong with it, if anything
        raise CheckpointError(f"checkpoint {resume} cannot be resumed (no {LAST_DIR}/ training "
                              "state in it)")
    meta, arrays, _ = load_model(last)
    saved = build_config(ShakespeareConfig, meta["config"], f"{last}/meta.json")
    cfg = dataclasses.replace(saved, epochs=cfg.epochs, time_budget=cfg.time_budget,
                              max_steps=cfg.max_steps, out=cfg.out, data=cfg.data,
                              strategy=cfg.strategy)
    state = meta.get("state") or {}
    n_opt = state.get("optimizer_variables")
    if not isinstance(n_opt, int) or any(f"opt_{i}" not in arrays for i in range(n_opt)):
        raise CheckpointError(f"checkpoint {resume} cannot be resumed (no optimizer state)")
    return cfg, meta, arrays, [arrays[f"opt_{i}"] for i in range(n_opt)]


def train_shakespeare(cfg: ShakespeareConfig, resume: str | None = None,
                      on_progress=no_progress, on_info=lambda message: None,
                      on_epoch=lambda record: None) -> dict:
    """Train (or continue ``resume``); see ``_train``.

    In a multi-worker run only the chief writes to ``cfg.out``; the other workers write
    to a temporary folder that is removed when they finish.
    """
    with output_dir(cfg.out, cfg.strategy == "multiworker") as out:
        if str(out) != str(cfg.out):
            cfg = dataclasses.replace(cfg, out=str(out))
        return _train(cfg, resume, on_progress, on_info, on_epoch)


def _train(cfg: ShakespeareConfig, resume: str | None, on_progress, on_info,
           on_epoch) -> dict:
    """Train (or continue ``resume``) and keep the checkpoint of the best held-out loss.

    Every epoch trains on windows of the training text (a fresh offset and order per
    epoch), then scores the held-out tail with the NumPy stack. Stops at ``cfg.epochs``,
    after the step in which ``cfg.time_budget`` seconds or ``cfg.max_steps`` steps run out,
    or on Ctrl-C (state saved, TrainingInterrupted raised).

    Returns:
        A summary dict (best val_loss, epochs, steps, seconds, out).
    """
    meta = arrays = opt_state = None
    if resume is not None:
        cfg, meta, arrays, opt_state = _load_resume(resume, cfg)
    corpus = load_corpus(cfg.data, cfg.val_fraction, min_train=cfg.seq_length + 1)
    if meta is not None and meta.get("data_sha256") != corpus.digest:
        raise DataError(f"{cfg.data} is not the text the checkpoint {resume} was trained on")
    prepare_run_dir(cfg.out, KIND)
    # TensorFlow is imported only now, once the input is known to be usable
    from seqgen.keras_models.distribute import get_strategy
    from seqgen.keras_models.shakespeare import ShakespeareTrainer

    strategy = get_strategy(cfg.strategy)

    replicas = strategy.num_replicas_in_sync
    global_batch = cfg.batch_size * replicas
    trainer = ShakespeareTrainer(strategy, len(corpus.vocab), cfg.embed, cfg.units,
                                 cfg.dropout, cfg.lr, global_batch, cfg.clipnorm, cfg.seed,
                                 cfg.weight_decay)
    on_info(f"replicas: {trainer.replicas} (global batch {global_batch}); corpus "
            f"{len(corpus.ids)} characters, {len(corpus.val_ids)} held out, vocabulary "
            f"{len(corpus.vocab)}")
    run = _Run(cfg, corpus)
    history: list[dict] = []
    epoch, step, seconds, lr, best = 0, 0, 0.0, cfg.lr, math.inf
    if meta is not None:
        try:
            trainer.set_state(arrays, opt_state)
        except (ValueError, KeyError):
            raise CheckpointError(f"checkpoint {resume} does not fit the model") from None
        try:
            s = meta["state"]
            epoch, step = int(meta["epoch"]), int(meta["step"])
            seconds, lr, best = float(s["seconds"]), float(s["lr"]), float(s["best_val_loss"])
            history = list(meta.get("history") or [])
        except (KeyError, TypeError, ValueError):
            raise CheckpointError(f"checkpoint {resume}: its training state is malformed"
                                  ) from None
        trainer.set_lr(lr)

    def state() -> dict:
        return {"seconds": round(seconds, 3), "lr": lr, "best_val_loss": best}

    def finish_epoch(train_loss: float, t_epoch: float, partial: bool) -> float:
        nonlocal best, lr, seconds
        weights = trainer.weights()
        val = heldout_nll(stack_from_arrays(weights, np.float32), corpus, cfg.warmup)
        seconds += time.perf_counter() - t_epoch
        record = {"epoch": epoch, "step": step, "train_loss": round(train_loss, 5),
                  "val_loss": round(val, 5), "seconds": round(seconds, 2), "lr": lr}
        if partial:
            record["partial"] = True
        history.append(record)
        improved = val < best
        if improved:
            best = val
            run.save_best(weights, epoch, step, history, val, train_loss, seconds)
        else:
            lr *= cfg.lr_decay
            trainer.set_lr(lr)
        run.save_last(weights, trainer.optimizer_state(), epoch, step, history, state())
        on_epoch({**record, "best": improved})
        return val

    start_epoch = epoch
    stop = None
    multiworker = cfg.strategy == "multiworker"
    with deferred_interrupt() as flag:
        while epoch < cfg.epochs and stop is None:
            if cfg.max_steps is not None and step >= cfg.max_steps:
                break
            epoch += 1
            rng = np.random.default_rng([cfg.seed, epoch])
            X, Y = training_windows(corpus.train_ids, cfg.seq_length,
                                    int(rng.integers(cfg.seq_length)))
            order = rng.permutation(len(X))
            if len(X) < global_batch:
                raise DataError(f"the training text gives {len(X)} windows, fewer than one "
                                f"batch of {global_batch}; lower --batch-size or seq_length")
            t0 = time.perf_counter()
            total, count = 0.0, 0
            for batch in trainer.batches(X[order], Y[order]):
                loss = trainer.train_step(batch)
                if not math.isfinite(loss):
                    raise NonFiniteLoss(f"loss became {loss} at step {step + 1}; the best "
                                        f"checkpoint so far is kept in {cfg.out}; try a lower "
                                        "--lr")
                total, count, step = total + loss, count + 1, step + 1
                on_progress(epoch, cfg.epochs, step=step, loss=total / count)
                if flag.stop:
                    stop = "interrupt"
                elif cfg.max_steps is not None and step >= cfg.max_steps:
                    stop = "max_steps"
                elif (cfg.time_budget is not None
                      and seconds + time.perf_counter() - t0 >= cfg.time_budget):
                    stop = "time_budget"
                if multiworker and trainer.any_worker(stop is not None) and stop is None:
                    stop = "another_worker"  # its budget ran out or it was interrupted
                if stop:
                    break
            finish_epoch(total / max(count, 1), t0, partial=stop is not None)
            if stop == "interrupt" or flag.stop:
                raise TrainingInterrupted(f"interrupted: state of step {step} saved to "
                                          f"{Path(cfg.out) / LAST_DIR} (best val_loss "
                                          f"{best:.4f} in {cfg.out})")
    return {"out": str(cfg.out), "trained": epoch > start_epoch, "epochs": epoch,
            "steps": step, "seconds": seconds, "val_loss": best, "stopped_by": stop,
            "replicas": trainer.replicas}
