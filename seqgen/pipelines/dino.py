"""The dinosaur-name models (SPEC §2): the names file, checkpoints of both kinds, sampling.

Two kinds of checkpoint hold a name model: ``dino-rnn`` (the reference's SGD RNN, one
name per iteration) and ``dino-batched`` (an RNN or LSTM trained on padded mini-batches
with Adam). Training lives in :mod:`seqgen.pipelines.train_dino`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import check_shapes, load_checkpoint, read_meta, resolve
from seqgen.engine.batched import param_shapes, sample_sequence
from seqgen.engine.charmodel import sample
from seqgen.errors import CheckpointError, DataError
from seqgen.text.vocab import Vocab
from seqgen.textio import DATA_HINT, read_text

KIND_RNN = "dino-rnn"
KIND_BATCHED = "dino-batched"
KINDS = (KIND_RNN, KIND_BATCHED)
MAX_NAME_LENGTH = 50
NAMES_FILE = "names.txt"  # the training file's names, for --novel


@dataclass(frozen=True)
class NameData:
    """Names in training order, the vocabulary and the held-out names."""

    train: list[str]
    val: list[str]
    vocab: Vocab
    digest: str

    def names_file(self) -> bytes:
        return ("\n".join(self.train + self.val) + "\n").encode("utf-8")


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


def rnn_shapes(n_a: int, n_v: int) -> dict:
    return {"Wax": (n_a, n_v), "Waa": (n_a, n_a), "Wya": (n_v, n_a), "b": (n_a, 1),
            "by": (n_v, 1)}


def _hidden(meta: dict, run_dir) -> int:
    n_a = meta["config"].get("hidden")
    if not isinstance(n_a, int) or isinstance(n_a, bool) or n_a <= 0:
        raise CheckpointError(f"checkpoint {run_dir}: config.hidden is malformed")
    return n_a


def load_rnn(run_dir) -> tuple[dict, dict, Vocab]:
    """Load a ``dino-rnn`` checkpoint: (meta, parameters, vocab), shapes validated."""
    meta, arrays = load_checkpoint(run_dir, (KIND_RNN,))
    vocab = Vocab.from_list(meta["vocab"], where=str(run_dir))
    check_shapes(arrays, rnn_shapes(_hidden(meta, run_dir), len(vocab)), str(run_dir))
    return meta, arrays, vocab


def load_batched(run_dir) -> tuple[dict, dict, dict, Vocab]:
    """Load a ``dino-batched`` checkpoint: (meta, params, all arrays, vocab), shapes validated."""
    meta, arrays = load_checkpoint(run_dir, (KIND_BATCHED,))
    vocab = Vocab.from_list(meta["vocab"], where=str(run_dir))
    cell = meta["config"].get("cell")
    if cell not in ("rnn", "lstm"):
        raise CheckpointError(f"checkpoint {run_dir}: config is malformed")
    shapes = param_shapes(cell, _hidden(meta, run_dir), len(vocab))
    check_shapes(arrays, shapes, str(run_dir))
    params = {k: np.array(arrays[k], dtype=np.float64) for k in shapes}
    return meta, params, arrays, vocab


def checkpoint_kind(run_dir) -> str:
    """``dino-rnn`` or ``dino-batched``. Raises CheckpointError for anything else."""
    return read_meta(resolve(run_dir), KINDS)["kind"]


def name_sampler(run_dir, temperature: float = 1.0
                 ) -> tuple[Vocab, Callable[[int], list[int]]]:
    """The vocabulary and a ``draw(seed) -> indices`` function of a name checkpoint.

    Raises:
        CheckpointError: unusable checkpoint, or a vocabulary without the newline.
    """
    if checkpoint_kind(run_dir) == KIND_RNN:
        _, params, vocab = load_rnn(run_dir)

        def draw(s: int) -> list[int]:
            return sample(params, vocab.index, s, temperature=temperature,
                          max_length=MAX_NAME_LENGTH)
    else:
        meta, params, _, vocab = load_batched(run_dir)
        cell = meta["config"]["cell"]

        def draw(s: int) -> list[int]:
            return sample_sequence(cell, params, vocab.index["\n"], np.random.default_rng(s),
                                   temperature, MAX_NAME_LENGTH)
    if "\n" not in vocab.index:
        raise CheckpointError(f"checkpoint {run_dir}: vocabulary lacks the newline")
    return vocab, draw


@dataclass(frozen=True)
class NamesResult:
    """Sampled names, as they are printed."""

    names: tuple[str, ...]
    seed: int | None


def sample_dino(checkpoint, n: int, temperature: float = 1.0, seed: int | None = None,
                novel: bool = False) -> NamesResult:
    """Sample ``n`` names from a checkpoint.

    Each name uses its own seed drawn from ``seed``, so the same seed gives the
    same list. With ``novel``, names from the training file are skipped.

    Raises:
        CheckpointError: unusable checkpoint; DataError: not enough novel names.
    """
    vocab, draw = name_sampler(checkpoint, temperature)
    known: set[str] = set()
    if novel:
        names_file = resolve(checkpoint) / NAMES_FILE
        if names_file.is_file():
            known = set(names_file.read_text(encoding="utf-8").split("\n"))
    seeds = np.random.default_rng(seed)
    out: list[str] = []
    max_attempts = 200 * n + 1000
    for _ in range(max_attempts):
        if len(out) == n:
            break
        s = int(seeds.integers(0, 2**31 - 2 * MAX_NAME_LENGTH - 2))
        name = vocab.decode(draw(s)).strip()
        if not name or (novel and name in known):
            continue
        if novel:
            known.add(name)  # novel names are also distinct from each other
        out.append(name.capitalize())
    if len(out) < n:
        raise DataError(f"found only {len(out)} novel names in {max_attempts} tries; "
                        "raise --temperature or drop --novel")
    return NamesResult(tuple(out), seed)
