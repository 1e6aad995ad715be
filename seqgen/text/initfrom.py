"""``train-text --init-from``: a text model that starts from another text model's weights.

The shape (architecture, layers, width, embedding, context, heads) is the source's; the
case follows the source unless the config says; the vocabulary is the source's followed
by the new text's new characters, which get fresh rows (:mod:`seqgen.finetune`). The
learning rate, left open, is the sizing rule's, as for a fresh run (lower rates measured
worse).
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
from seqgen.text.config import TextConfig
from seqgen.text.corpus import Corpus
from seqgen.text.model import load_model, lowercased, shape_of
from seqgen.vocab import Vocab, describe_chars

# The learning rate is the sizing rule's, as for a fresh run: on the validation part of a
# text no result is reported on, fine-tuning the sonnets model at 0.005 (the rule's rate for
# a recurrent model) beat 0.002 and 0.001 after 30, 60 and 120 s (docs/text.md).
SHAPE_FIELDS = ("arch", "layers", "units", "embed", "context", "heads")


@dataclasses.dataclass(frozen=True)
class Start:
    """The source of a fine-tuning run, read once."""

    source: Source
    arrays: dict[str, np.ndarray]
    vocab: list[str]


def configure(cfg: TextConfig, command: str) -> tuple[TextConfig, Start]:
    """``cfg`` with the source's shape, case and the fine-tuning learning rate filled in.

    Raises:
        UsageError: an unusable source, or a shape setting that contradicts it.
    """
    source = find_source(cfg.init_from, "text", command)
    meta, arrays, vocab = load_model(source.path)
    shape = shape_of(meta["config"])
    own = {"arch": shape.arch, "layers": shape.layers, "units": shape.units,
           "embed": shape.embed, "context": shape.context,
           "heads": shape.heads if shape.arch == "gpt" else None}
    given = {k: getattr(cfg, k) for k in SHAPE_FIELDS}
    if shape.arch != "gpt":
        given["heads"] = None  # validate() refuses heads for a recurrent arch already
    check_shape_given(given, own, cfg.init_from)
    lowercase = lowercased(meta) if cfg.lowercase is None else cfg.lowercase
    cfg = dataclasses.replace(cfg, **own, lowercase=lowercase)
    return cfg, Start(source, arrays, list(vocab.chars))


def adapt(corpus: Corpus, start: Start, lr: float, on_info
          ) -> tuple[Corpus, dict[str, np.ndarray]]:
    """The corpus in the merged vocabulary and the source's arrays grown to fit it."""
    chars = merged_symbols(start.vocab, corpus.vocab.chars)
    new = len(chars) - len(start.vocab)
    corpus = corpus.with_vocab(Vocab(chars))
    arrays = dict(start.arrays)
    embedding = "tok_embedding" if "tok_embedding" in arrays else "embedding"
    arrays[embedding] = grow_read_rows(arrays[embedding], new)
    arrays["dense_kernel"], arrays["dense_bias"] = grow_output(
        arrays["dense_kernel"], arrays["dense_bias"], new)
    fresh = f"; new characters with fresh rows: {describe_chars(chars[-new:])}" if new else ""
    on_info(f"starting from {start.source.describe()}, learning rate {lr:g}{fresh}")
    return corpus, arrays
