"""Names drawn one at a time: the reference the batched sampler is checked against.

``sample-dino`` used to draw each name on its own (the course's ``sample`` for a dino-rnn,
``sample_sequence``/``step_one`` otherwise). It now advances many names at once; these
one-at-a-time draws are what its output must be distributed like.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.batched import step_one
from seqgen.engine.ops import sample_index
from seqgen.names.model import NameModel, prime


def one_name(model: NameModel, prefix: str, temperature: float, room: int, seed: int
             ) -> list[int]:
    """The indices after ``prefix`` of one name (without its newline), at most ``room``."""
    rng = np.random.default_rng(seed)
    newline = model.vocab.index["\n"]
    h, c, logits = prime(model, prefix)
    out: list[int] = []
    while len(out) < room:
        token = sample_index(logits, temperature, rng)
        if token == newline:
            break
        out.append(token)
        h, c, logits = step_one(model.cell, model.params, token, h, c)
    return out
