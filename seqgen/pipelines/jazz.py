"""Train the jazz token model on a MIDI solo and improvise new solos (SPEC §4)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import (
    check_shapes,
    load_checkpoint,
    prepare_run_dir,
    resolve,
    save_checkpoint,
)
from seqgen.cluster import is_chief, output_dir
from seqgen.config import JazzConfig, build_config, config_to_dict
from seqgen.engine.stacked import LSTMLayer, sample_index
from seqgen.errors import (
    CheckpointError,
    DataError,
    NonFiniteLoss,
    TrainingInterrupted,
    UsageError,
)
from seqgen.music.grammar import Chord, Note, encode_measure, parse_token
from seqgen.music.improvise import MEASURE, realise_measure, solo_report
from seqgen.pipelines.common import deferred_interrupt, no_progress
from seqgen.textio import check_output_path

KIND = "jazz-lstm"
CORPUS_FILE = "corpus.json"
CHORDS_FILE = "chords.json"


@dataclass
class Corpus:
    """Grammar tokens per measure, the vocabulary and the chords of each measure.

    ``progression[m]`` holds the chords of the measure of ``measures[m]``, offsets relative
    to its bar line and cut at the next one.
    """

    measures: list[list[str]]
    progression: list[list[Chord]]
    source_sha256: str

    @property
    def tokens(self) -> list[str]:
        return [t for m in self.measures for t in m]

    @property
    def vocab(self) -> list[str]:
        return sorted(set(self.tokens))


def prepare_corpus(cfg: JazzConfig) -> Corpus:
    """Parse ``cfg.midi`` and encode every measure but the first (SPEC §4 steps 1-4).

    Raises:
        DataError / MusicError: unusable MIDI file or configuration.
    """
    from seqgen.music.midi import load_solo

    solo = load_solo(cfg.midi, cfg.melody_part, cfg.chord_part, cfg.accompaniment_parts,
                     cfg.offset_start, cfg.offset_end)
    if len(solo.melody) < 2:
        raise DataError(f"{cfg.midi}: the offset window holds {len(solo.melody)} measure(s); "
                        "at least 2 are needed (the first one is skipped)")
    everything = sorted((c for cs in solo.chords for c in cs), key=lambda c: c.offset)
    measures, progression = [], []
    for notes, chords, bar in zip(solo.melody[1:], solo.chords[1:], solo.bars[1:]):
        start = bar * MEASURE
        sounding = [c for c in everything if c.offset < start + MEASURE]
        measures.append(encode_measure(notes, sounding))
        progression.append([dataclasses.replace(c, offset=c.offset - start,
                                                duration=min(c.duration,
                                                             start + MEASURE - c.offset))
                            for c in chords])
    digest = hashlib.sha256(Path(cfg.midi).read_bytes()).hexdigest()
    return Corpus(measures, progression, digest)


def make_windows(ids: np.ndarray, vocab_size: int, windows: int, length: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Training windows (SPEC §4 step 5): ``X, Y`` of shape ``(windows, length, vocab)``.

    Window i starts at a random corpus position; its input at step 0 is zero and at step
    t > 0 the one-hot of token t-1; its target at step t is token t.
    """
    if len(ids) <= length:
        raise DataError(f"the corpus has {len(ids)} tokens; window_length ({length}) must be "
                        "smaller (widen the offset window or shorten window_length)")
    rng = np.random.RandomState(seed)
    starts = [rng.choice(len(ids) - length) for _ in range(windows)]
    tokens = np.stack([ids[s:s + length] for s in starts])  # (m, T)
    eye = np.eye(vocab_size, dtype=np.float32)
    Y = eye[tokens]  # (m, T, V)
    X = np.zeros_like(Y)
    X[:, 1:] = Y[:, :-1]
    return X, Y


def _save(cfg, corpus: Corpus, trainer, epoch: int, losses: list[float], seconds: float):
    arrays = dict(trainer.weights())
    for i, value in enumerate(trainer.optimizer_state()):
        arrays[f"opt_{i}"] = value
    files = {
        CORPUS_FILE: json.dumps({"measures": corpus.measures}).encode("utf-8"),
        CHORDS_FILE: json.dumps({"progression": [[c.to_json() for c in cs]
                                                 for cs in corpus.progression]}).encode("utf-8"),
    }
    save_checkpoint(cfg.checkpoint, KIND, {
        "step": epoch, "seed": cfg.seed, "config": config_to_dict(cfg), "vocab": corpus.vocab,
        "metrics": {"loss_per_token": losses[-1] if losses else None,
                    "train_seconds": round(seconds, 3), "loss_history": losses},
        "source_sha256": corpus.source_sha256,
        "state": {"optimizer_variables": len(trainer.optimizer_state())},
    }, arrays=arrays, extra_files=files)


def _load_corpus(run_dir: Path, meta: dict) -> Corpus:
    try:
        measures = json.loads((run_dir / CORPUS_FILE).read_text(encoding="utf-8"))["measures"]
        chords = json.loads((run_dir / CHORDS_FILE).read_text(encoding="utf-8"))["progression"]
        progression = [[Chord.from_json(c) for c in cs] for cs in chords]
        for m in measures:
            for t in m:
                parse_token(t)
    except (OSError, ValueError, KeyError, TypeError):
        raise CheckpointError(f"checkpoint {run_dir}: corpus or chords are malformed") from None
    corpus = Corpus(measures, progression, str(meta.get("source_sha256", "")))
    if corpus.vocab != meta["vocab"] or not progression or not all(
            c.pitches for cs in progression for c in cs):
        raise CheckpointError(f"checkpoint {run_dir}: vocabulary and corpus disagree")
    return corpus


def load_jazz(run_dir) -> tuple[dict, dict[str, np.ndarray], Corpus]:
    """Load a jazz checkpoint: (meta, arrays, corpus), shapes validated.

    Raises:
        CheckpointError: missing, corrupt, wrong kind or malformed.
    """
    meta, arrays = load_checkpoint(run_dir, KIND)
    corpus = _load_corpus(resolve(run_dir), meta)
    hidden, v = meta["config"].get("hidden"), len(meta["vocab"])
    if not isinstance(hidden, int) or hidden <= 0 or v == 0:
        raise CheckpointError(f"checkpoint {run_dir}: config.hidden or vocab is malformed")
    check_shapes(arrays, {"lstm_kernel": (v, 4 * hidden), "lstm_recurrent": (hidden, 4 * hidden),
                          "lstm_bias": (4 * hidden,), "dense_kernel": (hidden, v),
                          "dense_bias": (v,)}, str(run_dir))
    return meta, arrays, corpus


def train_jazz(cfg: JazzConfig, resume: str | None = None, on_progress=no_progress,
               on_info=lambda message: None) -> dict:
    """Train on ``cfg.midi`` (or continue ``resume``), save the checkpoint, write a solo.

    Returns a summary dict (loss per token, seconds, the solo's report). Ctrl-C saves the
    last finished epoch and raises TrainingInterrupted. In a multi-worker run only the
    chief writes the checkpoint and the solo; the other workers write their checkpoint to
    a temporary folder that is removed when they finish.
    """
    with output_dir(cfg.checkpoint, cfg.strategy == "multiworker") as ckpt:
        if str(ckpt) != str(cfg.checkpoint):
            cfg = dataclasses.replace(cfg, checkpoint=str(ckpt))
        return _train(cfg, resume, on_progress, on_info)


def _train(cfg: JazzConfig, resume: str | None, on_progress, on_info) -> dict:
    check_output_path(cfg.out, "output MIDI file")
    start, losses, seconds, opt_state, weights = 0, [], 0.0, None, None
    if resume is not None:
        meta, arrays, corpus = load_jazz(resume)
        saved = build_config(JazzConfig, meta["config"], f"{resume}/meta.json")
        cfg = dataclasses.replace(saved, epochs=cfg.epochs, checkpoint=cfg.checkpoint,
                                  out=cfg.out, temperature=cfg.temperature,
                                  strategy=cfg.strategy)
        start, seconds = meta["step"], float(meta["metrics"].get("train_seconds") or 0.0)
        losses = list(meta["metrics"].get("loss_history") or [])
        n_opt = meta.get("state", {}).get("optimizer_variables")
        if not isinstance(n_opt, int) or any(f"opt_{i}" not in arrays for i in range(n_opt)):
            raise CheckpointError(f"checkpoint {resume} cannot be resumed (no optimizer state)")
        opt_state = [arrays[f"opt_{i}"] for i in range(n_opt)]
        weights = arrays
    else:
        corpus = prepare_corpus(cfg)
    prepare_run_dir(cfg.checkpoint, KIND)
    vocab = corpus.vocab
    index = {t: i for i, t in enumerate(vocab)}
    ids = np.array([index[t] for t in corpus.tokens], dtype=np.intp)
    X, Y = make_windows(ids, len(vocab), cfg.windows, cfg.window_length, cfg.data_seed)
    on_info(f"corpus: {len(ids)} tokens in {len(corpus.measures)} measures, "
            f"vocabulary {len(vocab)}")

    from seqgen.keras_models.distribute import get_strategy
    from seqgen.keras_models.jazz import JazzTrainer

    strategy = get_strategy(cfg.strategy)
    trainer = JazzTrainer(strategy, len(vocab), cfg.hidden, cfg.window_length, cfg.lr,
                          cfg.batch_size, cfg.seed)
    on_info(f"replicas: {trainer.replicas} (global batch {trainer.global_batch})")
    if weights is not None:
        try:
            trainer.set_state(weights, opt_state)
        except (ValueError, KeyError):
            raise CheckpointError(f"checkpoint {resume} does not fit the model") from None
    epoch = start
    with deferred_interrupt() as flag:
        for epoch in range(start + 1, cfg.epochs + 1):
            order = np.random.RandomState([cfg.seed, epoch]).permutation(cfg.windows)
            t0 = time.perf_counter()
            loss = trainer.train_epoch(X, Y, order)
            seconds += time.perf_counter() - t0
            if not np.isfinite(loss):
                raise NonFiniteLoss(f"loss became {loss} in epoch {epoch}; try a lower --lr")
            losses.append(round(loss, 6))
            on_progress(epoch, cfg.epochs, loss=loss)
            if flag.stop:
                _save(cfg, corpus, trainer, epoch, losses, seconds)
                raise TrainingInterrupted(f"interrupted: checkpoint of epoch {epoch} saved to "
                                          f"{cfg.checkpoint}")
    _save(cfg, corpus, trainer, epoch, losses, seconds)
    summary = {"epochs": epoch, "trained": epoch > start, "train_seconds": seconds,
               "loss_per_token": losses[-1] if losses else None,
               "checkpoint": str(cfg.checkpoint), "out": None, "vocab": len(vocab)}
    if is_chief():
        summary.update(generate_jazz(cfg.checkpoint, cfg.out, cfg.seed, cfg.temperature))
    return summary


def improvise(arrays: dict[str, np.ndarray], vocab: list[str], progression: list[list[Chord]],
              measures: int, temperature: float, rng: np.random.Generator
              ) -> tuple[list[Note], list[Chord]]:
    """A solo of ``measures`` measures over the progression (repeated as needed).

    Each measure starts the LSTM from a zero input and state (as in training) and draws
    tokens, fed back one-hot, until its 4 quarters are full. Returns absolute offsets.
    """
    lstm = LSTMLayer(arrays["lstm_kernel"], arrays["lstm_recurrent"], arrays["lstm_bias"])
    W, b = arrays["dense_kernel"], arrays["dense_bias"]  # (u, V), (V,)
    melody: list[Note] = []
    chords: list[Chord] = []
    prev, carry = None, None
    for m in range(measures):
        bar_chords = progression[m % len(progression)]
        state = {"h": np.zeros(lstm.units), "c": np.zeros(lstm.units), "x": None}

        def next_token(state=state) -> str:
            if state["x"] is None:  # zero input: only the recurrent part and the bias
                z = (np.zeros((1, lstm.kernel.shape[0])), state["h"][None], state["c"][None])
                h, c = lstm.step(*z)
                h, c = h[0], c[0]
            else:
                h, c = lstm.step_index(state["x"], state["h"], state["c"])
            state["h"], state["c"] = h, c
            state["x"] = sample_index(h @ W + b, temperature, rng)
            return vocab[state["x"]]

        notes, _, prev = realise_measure(next_token, bar_chords, carry, prev, rng)
        start = m * MEASURE
        melody += [dataclasses.replace(n, offset=start + n.offset) for n in notes]
        chords += [dataclasses.replace(c, offset=start + c.offset) for c in bar_chords]
        if bar_chords:
            carry = bar_chords[-1]
    return melody, chords


def generate_jazz(checkpoint, out, seed: int | None = None, temperature: float = 1.0,
                  measures: int | None = None) -> dict:
    """Write a new solo from a checkpoint to ``out`` (MIDI, atomically); a summary dict.

    By default one measure for each measure of the source's chord progression.

    Raises:
        CheckpointError, UsageError, DataError.
    """
    from seqgen.music.midi import write_solo

    if not temperature >= 0 or not np.isfinite(temperature):
        raise UsageError(f"--temperature must be 0 (argmax) or more, got {temperature}")
    if measures is not None and measures <= 0:
        raise UsageError(f"--measures must be positive, got {measures}")
    check_output_path(out, "output MIDI file")
    meta, arrays, corpus = load_jazz(checkpoint)
    n = measures or len(corpus.progression)
    rng = np.random.default_rng(seed)
    melody, chords = improvise(arrays, meta["vocab"], corpus.progression, n, temperature, rng)
    bpm = float(meta["config"].get("bpm", 130.0))
    write_solo(out, melody, chords, bpm)
    report = solo_report(melody, chords, bpm, n * MEASURE)
    return {"out": str(out), "measures": n, "seed": seed, "report": report.as_dict()}
