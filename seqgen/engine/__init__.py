"""Pure NumPy recurrent building blocks (SPEC §1). Imports nothing but NumPy."""

from seqgen.engine.charmodel import (
    CharRNNTrainer,
    clip,
    initialize_parameters,
    model,
    optimize,
    sample,
)
from seqgen.engine.lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward
from seqgen.engine.rnn import (
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
    sigmoid,
    softmax,
)

__all__ = [
    "CharRNNTrainer",
    "clip",
    "initialize_parameters",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "model",
    "optimize",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    "sample",
    "sigmoid",
    "softmax",
]
