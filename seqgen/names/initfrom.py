"""``train-dino --init-from``: a names model that starts from another names model's weights.

The cell and hidden size are the source's; the vocabulary is the source's followed by the
new names' new characters, which get fresh rows (:mod:`seqgen.finetune`). The trainer is
the one the config asks for (the reference SGD for an RNN with batch size 1, mini-batches
with Adam otherwise), whichever trained the source.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from seqgen.finetune import (
    Source,
    check_shape_given,
    find_source,
    grow_output,
    grow_read_rows,
    merged_symbols,
)
from seqgen.names.config import DinoConfig
from seqgen.names.model import NameData, load_name_model
from seqgen.vocab import Vocab, describe_chars


@dataclasses.dataclass(frozen=True)
class Start:
    """The source of a fine-tuning run: its parameters in the row layout, its vocabulary."""

    source: Source
    params: dict[str, np.ndarray]  # Wx (V, k n_a), Wh, b, Wy (n_a, V), by (V,)
    vocab: list[str]


def configure(cfg: DinoConfig, command: str) -> tuple[DinoConfig, Start]:
    """``cfg`` with the source's cell and hidden size.

    Raises:
        UsageError: an unusable source, or a cell or size that contradicts it.
    """
    source = find_source(cfg.init_from, "names", command)
    model = load_name_model(source.path)
    own = {"hidden": int(model.params["Wh"].shape[0]), "cell": model.cell}
    check_shape_given({"hidden": cfg.hidden, "cell": cfg.cell}, own, cfg.init_from)
    params = {k: np.array(v, dtype=np.float64) for k, v in model.params.items()}
    return dataclasses.replace(cfg, **own), Start(source, params, list(model.vocab.chars))


def adapt(data: NameData, start: Start, reference: bool, on_info
          ) -> tuple[NameData, dict[str, np.ndarray]]:
    """The names in the merged vocabulary and the source's parameters grown to fit, in the
    layout of the trainer (``reference``: the SGD trainer's column vectors)."""
    chars = merged_symbols(start.vocab, data.vocab.chars)
    new = len(chars) - len(start.vocab)
    names = data.names
    store = names.store.with_vocab(Vocab(chars))
    data = dataclasses.replace(data, names=dataclasses.replace(names, store=store))
    p = dict(start.params)
    p["Wx"] = grow_read_rows(p["Wx"], new)
    p["Wy"], p["by"] = grow_output(p["Wy"], p["by"], new)
    if reference:  # the course's layout: column vectors, weights by output row
        p = {"Wax": p["Wx"].T.copy(), "Waa": p["Wh"].T.copy(), "b": p["b"][:, None].copy(),
             "Wya": p["Wy"].T.copy(), "by": p["by"][:, None].copy()}
    fresh = f"; new characters with fresh rows: {describe_chars(chars[-new:])}" if new else ""
    on_info(f"starting from {start.source.describe()}{fresh}")
    return data, p
