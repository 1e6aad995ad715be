"""The text models in NumPy: one interface over the LSTM, GRU and GPT inference code.

``generate-text``, ``generate-poem``, ``evaluate`` and the held-out scoring during training
all go through :func:`net_from_arrays`, never through TensorFlow. A net can

* ``prime(ids)``: read a prompt (one stream) -> the next character's logits ``(V,)`` and
  the state after it;
* ``repeat(state, n)``: ``n`` copies of a one-stream state;
* ``step(tokens (n,), state)`` -> logits ``(n, V)`` and the new state;
* ``nll(ids, first, last, start)``: the summed log-loss of pieces of a text (see
  :func:`seqgen.text.heldout.heldout_nll`), the arithmetic each architecture does best.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.gpt import CharGPT, GPTBlock, GPTState, layer_norm, score_windows
from seqgen.engine.gru import CharGRUStack, GRULayer
from seqgen.engine.ops import logsumexp
from seqgen.engine.scoring import score_pieces
from seqgen.engine.stacked import CharLSTMStack, LSTMLayer
from seqgen.text.schema import Shape


def recurrent_layers(layer_class, arrays: dict[str, np.ndarray], name: str, count: int) -> list:
    """Layers ``name1 … name<count>`` of exported weights (kernel, recurrent, bias each)."""
    return [layer_class(arrays[f"{name}{k}_kernel"], arrays[f"{name}{k}_recurrent"],
                        arrays[f"{name}{k}_bias"]) for k in range(1, count + 1)]


class LSTMNet:
    """The LSTM stack (the course preset's model and every ``--arch lstm``)."""

    def __init__(self, shape: Shape, arrays: dict[str, np.ndarray], dtype):
        layers = recurrent_layers(LSTMLayer, arrays, "lstm", shape.layers)
        self.stack = CharLSTMStack.from_embedding(arrays["embedding"], layers,
                                                  arrays["dense_kernel"], arrays["dense_bias"],
                                                  dtype=dtype)

    def prime(self, ids):
        if len(ids) == 0:  # only the biases speak
            return self.stack.dense_b + self.stack.zero_state()[-1][0] @ self.stack.dense_w, \
                self.stack.zero_state()
        logits, state = self.stack.logits_sequence(np.asarray(ids), self.stack.zero_state())
        return logits[-1], state

    def repeat(self, state, n: int):
        return [(np.repeat(h[None, :], n, axis=0), np.repeat(c[None, :], n, axis=0))
                for h, c in state]

    def step(self, tokens, state):
        return self.stack.step(tokens, state)

    def nll(self, ids, first, last, start):
        return score_pieces(self.stack, ids, first, last, start)


class GRUNet:
    """The GRU stack (``--arch gru``)."""

    def __init__(self, shape: Shape, arrays: dict[str, np.ndarray], dtype):
        layers = recurrent_layers(GRULayer, arrays, "gru", shape.layers)
        self.stack = CharGRUStack.from_embedding(arrays["embedding"], layers,
                                                 arrays["dense_kernel"], arrays["dense_bias"],
                                                 dtype=dtype)

    def prime(self, ids):
        state = self.stack.zero_state(1)
        logits = self.stack.dense_b[None, :]
        for k in ids:
            logits, state = self.stack.step(np.array([k]), state)
        return logits[0], state

    def repeat(self, state, n: int):
        return [np.repeat(h, n, axis=0) for h in state]

    def step(self, tokens, state):
        return self.stack.step(tokens, state)

    def nll(self, ids, first, last, start):
        """All pieces step together, one row each, from ``start`` to their last character."""
        S = len(first)
        state = self.stack.zero_state(S)
        total, count = 0.0, 0
        for t in range(int((last - 1 - start).max())):
            pos = np.minimum(start + t, len(ids) - 2)  # (S,) finished pieces idle
            logits, state = self.stack.step(ids[pos].astype(np.intp), state)
            scored = (pos + 1 >= first) & (pos + 1 < last) & (start + t == pos)
            if scored.any():
                z = logits[scored]
                lse = logsumexp(z, axis=1)
                target = ids[pos[scored] + 1].astype(np.intp)
                total += float(np.sum(lse - z[np.arange(len(z)), target], dtype=np.float64))
                count += int(scored.sum())
        return total, count


class GPTNet:
    """The transformer (``--arch gpt``), with its key/value cache for generation."""

    def __init__(self, shape: Shape, arrays: dict[str, np.ndarray], dtype):
        def a(name):
            return np.asarray(arrays[name], dtype=dtype)

        blocks = [GPTBlock(*(a(f"block{k}_{n}") for n in (
            "ln1_gamma", "ln1_beta", "qkv_kernel", "qkv_bias", "proj_kernel", "proj_bias",
            "ln2_gamma", "ln2_beta", "fc_kernel", "fc_bias", "out_kernel", "out_bias")))
            for k in range(1, shape.layers + 1)]
        self.net = CharGPT(a("tok_embedding"), a("pos_embedding"), blocks, a("ln_f_gamma"),
                           a("ln_f_beta"), a("dense_kernel"), a("dense_bias"), shape.heads)

    def prime(self, ids):
        if len(ids) == 0:  # no context at all: the output layer of a zero vector
            net = self.net
            logits = layer_norm(np.zeros(net.width, net.tok.dtype), net.lnf_g, net.lnf_b) \
                @ net.dense_w + net.dense_b
            _, state = net.start(np.zeros((1, 1), dtype=np.intp))
            return logits, GPTState(state.tokens, state.keys, state.values, 0)
        logits, state = self.net.start(np.asarray(ids)[None, :])
        return logits[0], state

    def repeat(self, state, n: int):
        return self.net.repeat(state, n)

    def step(self, tokens, state):
        return self.net.step(tokens, state)

    def nll(self, ids, first, last, start):
        total, count = 0.0, 0
        for a, b in zip(first, last):
            t, c = score_windows(self.net, ids, int(a), int(b))
            total, count = total + t, count + c
        return total, count


NETS = {"lstm": LSTMNet, "gru": GRUNet, "gpt": GPTNet}


def net_from_arrays(shape: Shape, arrays: dict[str, np.ndarray], dtype=np.float64):
    """The NumPy net of exported Keras weights (shapes already checked)."""
    return NETS[shape.arch](shape, arrays, dtype)
