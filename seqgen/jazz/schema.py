"""The jazz model's weights: their names and shapes, the one schema both sides use.

Keras trains the model (``keras_model.py``) and exports these arrays; NumPy loads and
checks them (``model.py``) to improvise.
"""

from __future__ import annotations

BEST = "best_"  # prefix of the best validation epoch's arrays in a checkpoint

# the exported arrays, in the order of the Keras model's ``weights``
WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent", "lstm_bias", "dense_kernel", "dense_bias")


def weight_shapes(vocab_size: int, hidden: int) -> dict[str, tuple]:
    """Each array's shape (the LSTM in Keras' packed layout, gates i, f, c, o)."""
    return {"lstm_kernel": (vocab_size, 4 * hidden), "lstm_recurrent": (hidden, 4 * hidden),
            "lstm_bias": (4 * hidden,), "dense_kernel": (hidden, vocab_size),
            "dense_bias": (vocab_size,)}


# the note model's arrays (``keras_notes.py``), in the order of the Keras model's ``weights``
NOTE_WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent", "lstm_bias", "pitch_kernel",
                     "pitch_bias", "duration_kernel", "duration_bias")


def note_weight_shapes(hidden: int) -> dict[str, tuple]:
    """Each array of the note model (``seqgen.jazz.events`` fixes its input and outputs)."""
    from seqgen.jazz.events import INPUT_WIDTH, MAX_STEPS, PITCH_OUT

    return {"lstm_kernel": (INPUT_WIDTH, 4 * hidden), "lstm_recurrent": (hidden, 4 * hidden),
            "lstm_bias": (4 * hidden,), "pitch_kernel": (hidden, PITCH_OUT),
            "pitch_bias": (PITCH_OUT,), "duration_kernel": (hidden, MAX_STEPS),
            "duration_bias": (MAX_STEPS,)}


def best_weights(arrays: dict, names: tuple[str, ...]) -> dict:
    """The weights that score and improvise: the best validation epoch's (``best_*``) when
    the run kept them, else the last epoch's."""
    best = {k[len(BEST):]: v for k, v in arrays.items() if k.startswith(BEST)}
    return best or {k: arrays[k] for k in names}
