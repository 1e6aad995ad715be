"""Pure NumPy recurrent building blocks (the course's public RNN/LSTM API). Imports nothing but
NumPy.

The course's public functions are importable from here; the shared math (activations, softmax,
LSTM gates and their layouts, the sampler, loss smoothing) lives in ``ops``.
"""

from seqgen.engine.charmodel import clip, model, optimize, sample
from seqgen.engine.lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward
from seqgen.engine.rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward

__all__ = [
    "clip",
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
]
