"""The jazz model's weights: their names and shapes, the one schema both sides use.

Keras trains the model (``keras_model.py``) and exports these arrays; NumPy loads and
checks them (``model.py``) to improvise.
"""

from __future__ import annotations

# the exported arrays, in the order of the Keras model's ``weights``
WEIGHT_NAMES = ("lstm_kernel", "lstm_recurrent", "lstm_bias", "dense_kernel", "dense_bias")


def weight_shapes(vocab_size: int, hidden: int) -> dict[str, tuple]:
    """Each array's shape (the LSTM in Keras' packed layout, gates i, f, c, o)."""
    return {"lstm_kernel": (vocab_size, 4 * hidden), "lstm_recurrent": (hidden, 4 * hidden),
            "lstm_bias": (4 * hidden,), "dense_kernel": (hidden, vocab_size),
            "dense_bias": (vocab_size,)}
