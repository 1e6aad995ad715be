"""The name models (dinosaurs, or any list of names): the names file, checkpoints of both kinds,
sampling.

Two kinds of checkpoint hold a name model: ``dino-rnn`` (the reference's SGD RNN, one
name per iteration) and ``dino-batched`` (an RNN or LSTM trained on padded mini-batches
with Adam). Training lives in :mod:`seqgen.names.train`.

Both kinds sample through one stepping function (``engine.batched.step_one``; a ``dino-rnn``
checkpoint's column-vector weights are read in its row layout) and the engine's one sampler.
The only exception keeps old seeds valid: an unprimed ``dino-rnn`` name is the reference's
draw (``engine.charmodel.sample``), seed for seed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import (
    check_shapes,
    load_checkpoint,
    load_checkpoint_files,
    read_meta,
    resolve,
)
from seqgen.engine.batched import ZERO_INPUT, param_shapes, step_one
from seqgen.engine.generate import row_step, sample_names
from seqgen.errors import CheckpointError, DataError, UsageError
from seqgen.names.config import NameSampling
from seqgen.names.store import NameSet, load_name_set
from seqgen.textio import DATA_HINT
from seqgen.textstream import iter_text
from seqgen.vocab import Vocab, describe_chars

KIND_RNN = "dino-rnn"
KIND_BATCHED = "dino-batched"
KINDS = (KIND_RNN, KIND_BATCHED)
NAMES_FILE = "names.txt"  # the training file's names, for --novel
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "dino"
# How names are displayed (the training file's own style); meta's "name_case" records it.
# Checkpoints written before the key existed show capitalised names, as they always did.
CASES = ("capitalize", "lower", "upper", "title")
DEFAULT_CASE = "capitalize"


def name_case(names: list[str]) -> str:
    """The display style (one of CASES) that writes most of ``names`` exactly; ties: first."""
    def hits(case: str) -> int:
        return sum(getattr(n.lower(), case)() == n for n in names)
    return max(CASES, key=hits)


def display(name: str, case: str) -> str:
    """A sampled (lower-case) name written in the style ``case``."""
    return getattr(name, case)()


@dataclass(frozen=True)
class NameData:
    """A names file held compactly (one flat id array), its split and its display style."""

    names: NameSet  # the store and the training order / held-out indices
    case: str = DEFAULT_CASE  # how the file writes its names (see CASES)

    @property
    def vocab(self) -> Vocab:
        return self.names.vocab

    @property
    def digest(self) -> str:
        return self.names.digest

    @property
    def n_train(self) -> int:
        return len(self.names.train)

    def train_ids(self, j: int) -> np.ndarray:
        """The ids of training name ``j`` (in training order), a view of the store."""
        return self.names.store.encode(int(self.names.train[j]))

    def val_names(self) -> list[str]:
        return self.names.names(self.names.val)

    def names_file(self) -> bytes:
        """The training file's names as names.txt holds them (for --novel)."""
        buf = io.BytesIO()
        self.names.write_names(buf)
        return buf.getvalue()


def load_names(path: str | Path, shuffle_seed: int, val_split: float) -> NameData:
    """Read one name per line, lower-case, shuffle once, hold out the last ``val_split``.

    The names are held as one flat array of ids (see :class:`~seqgen.names.store.NameStore`),
    so a file of millions of names costs a few bytes per character.

    Raises:
        DataError: unreadable file, or no names in it.
    """
    names = load_name_set(path, shuffle_seed, val_split)
    head = next(iter_text(path, "names file", DATA_HINT), "")  # the style, from the start
    written = [n for n in (line.strip() for line in head.splitlines()[:10_000]) if n]
    return NameData(names, name_case(written))


def rnn_shapes(n_a: int, n_v: int) -> dict:
    return {"Wax": (n_a, n_v), "Waa": (n_a, n_a), "Wya": (n_v, n_a), "b": (n_a, 1),
            "by": (n_v, 1)}


def _hidden(meta: dict, run_dir) -> int:
    n_a = meta["config"].get("hidden")
    if not isinstance(n_a, int) or isinstance(n_a, bool) or n_a <= 0:
        raise CheckpointError(f"checkpoint {run_dir}: config.hidden is malformed")
    return n_a


def _rnn_params(meta: dict, arrays: dict, vocab: Vocab, run_dir) -> dict:
    check_shapes(arrays, rnn_shapes(_hidden(meta, run_dir), len(vocab)), str(run_dir))
    return arrays


def _batched_params(meta: dict, arrays: dict, vocab: Vocab, run_dir) -> dict:
    cell = meta["config"].get("cell")
    if cell not in ("rnn", "lstm"):
        raise CheckpointError(f"checkpoint {run_dir}: config is malformed")
    shapes = param_shapes(cell, _hidden(meta, run_dir), len(vocab))
    check_shapes(arrays, shapes, str(run_dir))
    return {k: np.array(arrays[k], dtype=np.float64) for k in shapes}


def load_rnn(run_dir) -> tuple[dict, dict, Vocab]:
    """Load a ``dino-rnn`` checkpoint: (meta, parameters, vocab), shapes validated."""
    meta, arrays = load_checkpoint(run_dir, (KIND_RNN,))
    vocab = Vocab.from_list(meta["vocab"], where=str(run_dir))
    return meta, _rnn_params(meta, arrays, vocab, run_dir), vocab


def load_batched(run_dir) -> tuple[dict, dict, dict, Vocab]:
    """Load a ``dino-batched`` checkpoint: (meta, params, all arrays, vocab), shapes validated."""
    meta, arrays = load_checkpoint(run_dir, (KIND_BATCHED,))
    vocab = Vocab.from_list(meta["vocab"], where=str(run_dir))
    return meta, _batched_params(meta, arrays, vocab, run_dir), arrays, vocab


@dataclass(frozen=True)
class NameModel:
    """A name checkpoint read once: its cell, row-layout parameters, vocabulary and case."""

    cell: str
    params: dict  # Wx (V, k·n_a), Wh, b, Wy (n_a, V), by: what the steppers read
    vocab: Vocab
    case: str
    names: bytes | None  # the training names (with ``with_names``), for --novel


def load_name_model(run_dir, with_names: bool = False) -> NameModel:
    """Read a ``dino-rnn`` or ``dino-batched`` checkpoint once, through the verified loader.

    Raises:
        CheckpointError: unusable checkpoint, or a vocabulary without the newline.
    """
    meta, arrays, files = load_checkpoint_files(run_dir, KINDS,
                                                (NAMES_FILE,) if with_names else ())
    vocab = Vocab.from_list(meta["vocab"], where=f"checkpoint {run_dir}")
    case = meta.get("name_case", DEFAULT_CASE)
    if case not in CASES:
        raise CheckpointError(f"checkpoint {run_dir}: name_case is malformed")
    if "\n" not in vocab.index:
        raise CheckpointError(f"checkpoint {run_dir}: vocabulary lacks the newline")
    if meta["kind"] == KIND_RNN:
        cell, params = "rnn", _row_layout(_rnn_params(meta, arrays, vocab, run_dir))
    else:
        cell, params = meta["config"]["cell"], _batched_params(meta, arrays, vocab, run_dir)
    return NameModel(cell, params, vocab, case, files.get(NAMES_FILE))


def checkpoint_kind(run_dir) -> str:
    """``dino-rnn`` or ``dino-batched``. Raises CheckpointError for anything else."""
    return read_meta(resolve(run_dir), KINDS)["kind"]


def default_checkpoint() -> Path:
    """The name model shipped inside the package."""
    return SHIPPED


def _row_layout(p: dict) -> dict:
    """A ``dino-rnn``'s column-vector weights in the row layout ``step_one`` reads."""
    return {"Wx": p["Wax"].T, "Wh": p["Waa"].T, "b": p["b"][:, 0], "Wy": p["Wya"].T,
            "by": p["by"][:, 0]}


def match_prefix(prefix: str, vocab: Vocab) -> tuple[str, tuple[str, ...]]:
    """``prefix`` in the vocabulary's case, and the characters the model does not know.

    Each character is kept as written, else lower-cased, else upper-cased, whichever the
    vocabulary holds; the newline (the end of a name) is never part of a prefix.
    """
    kept, skipped = [], set()
    for ch in prefix:
        known = [c for c in (ch, ch.lower(), ch.upper()) if c in vocab.index and c != "\n"]
        if known:
            kept.append(known[0])
        else:
            skipped.add(ch)
    return "".join(kept), tuple(sorted(skipped))


def prime(model: NameModel, prefix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(h, c, logits)`` after the zero input and ``prefix`` (characters of the vocabulary):
    the state every name starts from."""
    n_a = model.params["Wh"].shape[0]
    h, c = np.zeros(n_a), np.zeros(n_a)  # (n_a,) each; c unused by the plain RNN
    for token in [ZERO_INPUT, *(model.vocab.index[ch] for ch in prefix)]:
        h, c, logits = step_one(model.cell, model.params, token, h, c)  # logits (V,)
    return h, c, logits


@dataclass(frozen=True)
class NamesResult:
    """Names as they are printed, made while ``names`` is read; the prefix characters the
    model lacks.

    Reading ``names`` raises DataError when ``--novel`` finds too few new names.
    """

    names: Iterator[str]
    seed: int | None
    skipped: tuple[str, ...] = ()


def sample_dino(options: NameSampling = NameSampling(), seed: int | None = None,
                checkpoint=None) -> NamesResult:
    """Sample ``options.count`` names from a checkpoint (default: the shipped model).

    The names are drawn many at a time (:func:`~seqgen.engine.generate.sample_names`) and
    yielded one by one as they are made, so the first is printed at once and memory does
    not grow with the count. The same seed gives the same names, and the first ``n`` of a
    longer list. With ``options.prefix`` every name starts with it (in the vocabulary's
    case; characters the model does not know are left out and reported in ``skipped``).
    With ``options.novel``, names from the training file and repeats are skipped. Names
    are written the way the training file writes them (its ``name_case``).

    Raises:
        CheckpointError: unusable checkpoint; UsageError: a prefix the model knows none of.
    """
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    model = load_name_model(checkpoint, with_names=options.novel)
    prefix, skipped = match_prefix(options.prefix, model.vocab)
    if options.prefix and not prefix:
        raise UsageError(f"--prefix {options.prefix!r}: the model knows none of its "
                         f"characters ({describe_chars(skipped)})")
    return NamesResult(_names(model, options, prefix, seed), seed, skipped)


def _names(model: NameModel, options: NameSampling, prefix: str, seed) -> Iterator[str]:
    vocab, n = model.vocab, options.count
    known = set(model.names.decode("utf-8").split("\n")) if options.novel else set()
    chars = np.array(list(vocab.chars), dtype=object)
    max_attempts = 200 * n + 1000
    drawn = sample_names(row_step(model.cell, model.params), prime(model, prefix),
                         vocab.index["\n"], options.max_length - len(prefix),
                         options.temperature, np.random.default_rng(seed), max_attempts)
    made = 0
    for tokens in drawn:
        name = prefix + "".join(chars[tokens]) if prefix else "".join(chars[tokens]).lstrip()
        name = name.rstrip()
        if not name or (options.novel and name in known):
            continue
        if options.novel:
            known.add(name)  # novel names are also distinct from each other
        yield display(name, model.case)
        made += 1
        if made == n:
            return
    raise DataError(f"found only {made} novel names in {max_attempts} tries; "
                    "raise --temperature or drop --novel")
