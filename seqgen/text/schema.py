"""The text model's weights: their names and shapes, the one schema both sides use.

Keras trains the model (``keras_model.py``) and exports these arrays; NumPy loads and
checks them (``model.py``) to generate and score. Neither writes the shapes down itself.
"""

from __future__ import annotations

# the exported arrays, in the order of the Keras model's ``weights``
WEIGHT_NAMES = ("embedding", "lstm1_kernel", "lstm1_recurrent", "lstm1_bias",
                "lstm2_kernel", "lstm2_recurrent", "lstm2_bias", "dense_kernel", "dense_bias")


def weight_shapes(vocab_size: int, embed: int, units: int) -> dict[str, tuple]:
    """Each array's shape (LSTM layers in Keras' packed layout, gates i, f, c, o)."""
    u4 = 4 * units
    return {"embedding": (vocab_size, embed), "lstm1_kernel": (embed, u4),
            "lstm1_recurrent": (units, u4), "lstm1_bias": (u4,),
            "lstm2_kernel": (units, u4), "lstm2_recurrent": (units, u4), "lstm2_bias": (u4,),
            "dense_kernel": (units, vocab_size), "dense_bias": (vocab_size,)}
