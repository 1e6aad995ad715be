"""The jazz model's weights: their names and shapes, the one schema both sides use.

Keras trains the model (``keras_model.py``) and exports these arrays; NumPy loads and
checks them (``model.py``) to improvise.
"""

from __future__ import annotations

import numpy as np

BEST = "best_"  # prefix of the best validation epoch's arrays in a checkpoint

# the exported arrays, in the order of the Keras model's ``weights``
WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent", "lstm_bias", "dense_kernel", "dense_bias")


def weight_shapes(vocab_size: int, hidden: int) -> dict[str, tuple]:
    """Each array's shape (the LSTM in Keras' packed layout, gates i, f, c, o)."""
    return {"lstm_kernel": (vocab_size, 4 * hidden), "lstm_recurrent": (hidden, 4 * hidden),
            "lstm_bias": (4 * hidden,), "dense_kernel": (hidden, vocab_size),
            "dense_bias": (vocab_size,)}


# the note model's arrays (``keras_model.py``), in the order of the Keras model's ``weights``
NOTE_WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent", "lstm_bias", "pitch_kernel",
                     "pitch_bias", "interval_weights", "rhythm_kernel", "contour_weights",
                     "length_weights", "duration_kernel", "duration_bias")
# the previous event's direct paths to the heads: runs of older versions lack them, which is
# the same as zeros (no direct path)
SKIP_NAMES = ("interval_weights", "rhythm_kernel", "contour_weights", "length_weights")


def note_weight_shapes(hidden: int) -> dict[str, tuple]:
    """Each array of the note model (``seqgen.jazz.events`` fixes its input and outputs)."""
    from seqgen.jazz.events import CONTOUR_WIDTH, LSTM_WIDTH, MAX_STEPS, PITCH_OUT, PITCHES

    return {"lstm_kernel": (LSTM_WIDTH, 4 * hidden), "lstm_recurrent": (hidden, 4 * hidden),
            "lstm_bias": (4 * hidden,), "pitch_kernel": (hidden, PITCH_OUT),
            "pitch_bias": (PITCH_OUT,), "duration_kernel": (hidden, MAX_STEPS),
            "duration_bias": (MAX_STEPS,), "interval_weights": (2 * PITCHES - 1,),
            "rhythm_kernel": (MAX_STEPS + 1, MAX_STEPS),
            "contour_weights": (CONTOUR_WIDTH, 2 * PITCHES - 1),
            "length_weights": (MAX_STEPS, 2 * PITCHES - 1)}


def with_skip_paths(arrays: dict, hidden: int) -> dict:
    """A note model's arrays (and their ``best_*`` copies) with what a run of an older
    version lacks added as zeros: the direct paths, and the LSTM kernel's rows for input
    features added since (they come last): the same function as that run's."""
    shapes = note_weight_shapes(hidden)
    width = shapes["lstm_kernel"][0]
    out = dict(arrays)
    for prefix in ("", BEST):
        if prefix and not any(k.startswith(BEST) for k in arrays):
            continue
        for name in SKIP_NAMES:
            out.setdefault(prefix + name, np.zeros(shapes[name], dtype=np.float32))
        kernel = out.get(prefix + "lstm_kernel")
        if kernel is not None and kernel.ndim == 2 and kernel.shape[0] < width:
            out[prefix + "lstm_kernel"] = np.concatenate(
                [kernel, np.zeros((width - kernel.shape[0], kernel.shape[1]), kernel.dtype)])
    return out


def best_weights(arrays: dict, names: tuple[str, ...]) -> dict:
    """The weights that score and improvise: the best validation epoch's (``best_*``) when
    the run kept them, else the last epoch's."""
    best = {k[len(BEST):]: v for k, v in arrays.items() if k.startswith(BEST)}
    return best or {k: arrays[k] for k in names}
