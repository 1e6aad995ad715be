"""Starting a new run from a model you already have (``--init-from RUN|NAME``).

The source is a run directory or one of the models shipped inside the package
(:data:`SHIPPED`). A trainer takes the source's shape and weights, then trains on its own
data. The vocabulary of the new run is the source's, in the source's order, followed by
the new data's characters (or tokens) that the source never saw, sorted. Those new symbols
get fresh rows by one rule, the same in every model:

- where a symbol is read (an embedding row, or the input weights of a one-hot input), its
  row starts as the mean of the source's rows: an average symbol, not noise;
- where a symbol is predicted (a column of the output layer), its weights start at zero
  and its bias at the source's lowest bias, so at the first step each new symbol is as
  likely as the source's rarest one and training raises it from there.

Every row the source had keeps its weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import WEIGHTS_NAME, read_meta, resolve, sha256_file
from seqgen.errors import CheckpointError, UsageError

ASSETS = Path(__file__).resolve().parent / "assets"

# shipped name -> (folder, family, what it was trained on)
SHIPPED: dict[str, tuple[Path, str, str]] = {
    "sonnets": (ASSETS / "shakespeare", "text",
                "Shakespeare's sonnets (94 KB, lower-cased): the course's 2 x 256 LSTM"),
    "dinos": (ASSETS / "dino", "names",
              "1,535 dinosaur names: the course's RNN of 50 units, 22,001 SGD iterations"),
    "metheny": (ASSETS / "jazz", "jazz",
                "Pat Metheny's 'And Then I Knew' solo: the course's grammar-token LSTM"),
    "jazz-notes": (ASSETS / "jazz-notes", "jazz",
                   "136 melodies over their chords (128 Bach chorale sopranos, 8 folk and "
                   "popular tunes from music21's corpus): the note model"),
}

FAMILIES = {  # checkpoint kind -> the trainer family that can start from it
    "text-model": "text", "shakespeare-lstm": "text",
    "dino-rnn": "names", "dino-batched": "names",
    "jazz-lstm": "jazz", "jazz-notes": "jazz",
}
TRAINERS = {"text": "train-text or train-shakespeare", "names": "train-dino",
            "jazz": "train-jazz"}


@dataclass(frozen=True)
class Source:
    """The model a run starts from."""

    given: str  # as the user wrote it: a shipped name or a path
    path: Path  # the run directory (its newest complete set)
    kind: str
    digest: str  # SHA-256 of its weights file

    def record(self) -> dict:
        """What ``meta.json`` keeps about the source."""
        return {"source": self.given, "path": str(self.path), "kind": self.kind,
                "weights_sha256": self.digest}

    def describe(self) -> str:
        return f"{self.given} ({self.kind}, weights sha256 {self.digest[:12]})"


def shipped_names(family: str | None = None) -> list[str]:
    return [n for n, (_, f, _) in SHIPPED.items() if family in (None, f)]


def find_source(given: str, family: str, command: str) -> Source:
    """The run directory or shipped model named by ``--init-from``, checked for the trainer.

    Raises:
        UsageError: no such run or shipped name, a damaged run, or one of another kind;
            the message names the choices.
    """
    choices = ", ".join(shipped_names(family))
    if given in SHIPPED:
        path = SHIPPED[given][0]
    else:
        path = Path(given).expanduser()
        if not path.exists():
            raise UsageError(f"--init-from {given}: no such run directory or shipped model "
                             f"(shipped for {command}: {choices}; all: "
                             f"{', '.join(SHIPPED)})")
    path = resolve(path)
    try:
        meta = read_meta(path)
    except CheckpointError as exc:
        raise UsageError(f"--init-from {given}: {exc}") from None
    kind = meta["kind"]
    if FAMILIES.get(kind) != family:
        raise UsageError(f"--init-from {given} is a '{kind}' model, which {command} cannot "
                         f"start from: give a {TRAINERS[family]} run or one of: {choices}")
    weights = path / WEIGHTS_NAME
    try:
        digest = sha256_file(weights)
    except OSError:
        raise UsageError(f"--init-from {given}: the run has no readable {WEIGHTS_NAME}") \
            from None
    return Source(given, path, kind, digest)


def refuse_with_resume(init_from, resume) -> None:
    if init_from and resume:
        raise UsageError("--init-from starts a new run from another model's weights and "
                         "--resume continues a run: give one of them")


def merged_symbols(source: list, data: list) -> list:
    """The source's symbols in its order, then the data's new ones, sorted."""
    known = set(source)
    return list(source) + sorted({s for s in data if s not in known})


def grow_read_rows(array: np.ndarray, new: int, axis: int = 0) -> np.ndarray:
    """``array`` with ``new`` rows (along ``axis``) appended, each the mean of the others."""
    if not new:
        return array
    mean = array.mean(axis=axis, keepdims=True)
    return np.concatenate([array, np.repeat(mean, new, axis=axis)], axis=axis) \
        .astype(array.dtype)


def grow_output(kernel: np.ndarray, bias: np.ndarray, new: int, axis: int = -1
                ) -> tuple[np.ndarray, np.ndarray]:
    """An output layer with ``new`` symbols appended: zero weights, the lowest bias.

    ``axis`` is the symbol axis of ``kernel``; ``bias`` has the symbols on its first axis.
    """
    if not new:
        return kernel, bias
    shape = list(kernel.shape)
    shape[axis] = new
    kernel = np.concatenate([kernel, np.zeros(shape, kernel.dtype)], axis=axis)
    low = np.full((new, *bias.shape[1:]), bias.min(), dtype=bias.dtype)
    return kernel, np.concatenate([bias, low], axis=0)


def check_shape_given(given: dict, source: dict, source_name: str) -> None:
    """Refuse a shape setting that contradicts the source's (None: not given).

    Raises:
        UsageError: naming the setting, both values and the source.
    """
    for key, value in given.items():
        if value is not None and key in source and value != source[key]:
            raise UsageError(f"--{key.replace('_', '-')} {value} contradicts the model of "
                             f"--init-from {source_name} ({key} {source[key]}): the shape comes "
                             "from the source, leave it out")
