"""Mini-batch character models (RNN or LSTM cell) on padded, masked batches, with Adam.

Layout is batch-first: a batch of ``m`` sequences padded to ``T`` steps has index
arrays ``x, y, mask`` of shape ``(m, T)``. ``x[:, 0]`` is the zero input (``-1``),
``x[:, t] = y[:, t-1]`` after that; padded steps have ``mask == 0`` and sit after
the end of their sequence, so they contribute neither loss nor gradient.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import (
    lstm_activate,
    lstm_gate_grads,
    lstm_gates,
    lstm_update,
    sample_index,
    softmax,
    split_gates,
)

ZERO_INPUT = -1


def param_shapes(cell: str, n_a: int, n_v: int) -> dict[str, tuple[int, ...]]:
    """Parameter shapes; input weights are stored transposed as ``Wx (n_v, k*n_a)``.

    For the LSTM, ``Wx, Wh, b`` are the packed layout of ``ops`` (gates i, f, c, o).
    """
    k = 4 if cell == "lstm" else 1
    return {"Wx": (n_v, k * n_a), "Wh": (n_a, k * n_a), "b": (k * n_a,),
            "Wy": (n_a, n_v), "by": (n_v,)}


def init_params(cell: str, n_a: int, n_v: int, rng: np.random.RandomState) -> dict:
    """Small random weights; the LSTM forget-gate bias starts at 1."""
    shapes = param_shapes(cell, n_a, n_v)
    params = {}
    for name, shape in shapes.items():
        if name.startswith("W"):
            params[name] = rng.randn(*shape) / np.sqrt(shape[0])
        else:
            params[name] = np.zeros(shape)
    if cell == "lstm":
        params["b"][n_a:2 * n_a] = 1.0  # the forget block of the packed layout
    return params


def make_batch(sequences: list[list[int]], newline: int):
    """Pad index sequences into ``x, y, mask (m, T)``; targets end with ``newline``."""
    T = max(len(s) for s in sequences) + 1
    m = len(sequences)
    x = np.full((m, T), ZERO_INPUT, dtype=np.intp)
    y = np.zeros((m, T), dtype=np.intp)
    mask = np.zeros((m, T))
    for i, s in enumerate(sequences):
        n = len(s)
        x[i, 1:n + 1] = s
        y[i, :n] = s
        y[i, n] = newline
        mask[i, :n + 1] = 1.0
    return x, y, mask


def _inputs(params, x):
    U = params["Wx"][np.where(x == ZERO_INPUT, 0, x)]  # (m, T, k*n_a)
    U[x == ZERO_INPUT] = 0.0
    return U


def forward_backward(cell: str, params: dict, x, y, mask, need_grads: bool = True):
    """Summed masked cross-entropy (nats) and, optionally, its gradients."""
    m, T = x.shape
    n_a = params["Wh"].shape[0]
    U = _inputs(params, x) + params["b"]  # (m, T, k n_a)
    H = np.zeros((m, T + 1, n_a))  # H[:, 0] is the zero initial state
    if cell == "lstm":
        C = np.zeros((m, T + 1, n_a))
        gates = np.zeros((m, T, 4 * n_a))
        for t in range(T):
            g = lstm_activate(U[:, t] + H[:, t] @ params["Wh"], out=gates[:, t])  # (m, 4 n_a)
            H[:, t + 1], C[:, t + 1] = lstm_update(*split_gates(g), C[:, t])
    else:
        for t in range(T):
            H[:, t + 1] = np.tanh(U[:, t] + H[:, t] @ params["Wh"])
    Hs = H[:, 1:]  # (m, T, n_a)
    logits = Hs @ params["Wy"] + params["by"]  # (m, T, n_v)
    P = softmax(logits, axis=2, out=logits)
    mi, ti = np.meshgrid(np.arange(m), np.arange(T), indexing="ij")
    picked = P[mi, ti, y]
    loss = -float(np.sum(np.log(np.where(mask > 0, picked, 1.0)) * mask))
    if not need_grads:
        return loss, None
    dlogits = P
    dlogits[mi, ti, y] -= 1.0
    dlogits *= mask[:, :, None]
    grads = {"Wy": np.einsum("mta,mtv->av", Hs, dlogits), "by": dlogits.sum(axis=(0, 1))}
    dH = dlogits @ params["Wy"].T  # (m, T, n_a)
    dZ = np.zeros_like(U)  # gradient wrt pre-activations, per step
    WhT = params["Wh"].T
    dh_next = np.zeros((m, n_a))
    if cell == "lstm":
        dc_next = np.zeros((m, n_a))
        for t in range(T - 1, -1, -1):
            dz = dZ[:, t]  # (m, 4 n_a), packed like the gates
            *dz_gates, dc_next = lstm_gate_grads(dH[:, t] + dh_next, dc_next,
                                                 *split_gates(gates[:, t]), C[:, t], C[:, t + 1])
            for block, value in zip(split_gates(dz), dz_gates):
                block[...] = value
            dh_next = dz @ WhT
    else:
        for t in range(T - 1, -1, -1):
            dz = dZ[:, t]
            np.multiply(dH[:, t] + dh_next, 1.0 - H[:, t + 1] ** 2, out=dz)
            dh_next = dz @ WhT
    flat_dZ = dZ.reshape(m * T, -1)
    grads["Wh"] = H[:, :T].reshape(m * T, n_a).T @ flat_dZ
    grads["b"] = flat_dZ.sum(axis=0)
    dWx = np.zeros_like(params["Wx"])
    real = x.ravel() != ZERO_INPUT
    np.add.at(dWx, x.ravel()[real], flat_dZ[real])
    grads["Wx"] = dWx
    return loss, grads


class Adam:
    """Adam with bias correction over a dict of arrays; the state is saved with checkpoints."""

    def __init__(self, params: dict, lr: float, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def update(self, params: dict, grads: dict) -> None:
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for k, g in grads.items():
            self.m[k] *= self.beta1
            self.m[k] += (1.0 - self.beta1) * g
            self.v[k] *= self.beta2
            self.v[k] += (1.0 - self.beta2) * g * g
            params[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)

    def state(self) -> dict[str, np.ndarray]:
        out = {f"adam_m_{k}": v for k, v in self.m.items()}
        out.update({f"adam_v_{k}": v for k, v in self.v.items()})
        return out

    def load_state(self, arrays: dict, t: int) -> None:
        for k in self.m:
            self.m[k] = np.array(arrays[f"adam_m_{k}"], dtype=np.float64)
            self.v[k] = np.array(arrays[f"adam_v_{k}"], dtype=np.float64)
        self.t = t


def clip_grads(grads: dict, value: float) -> None:
    for g in grads.values():
        np.clip(g, -value, value, out=g)


def step_one(cell: str, params: dict, token: int, h, c):
    """One generation step for a single sequence; ``token`` -1 is the zero input."""
    z = params["b"] + h @ params["Wh"]
    if token != ZERO_INPUT:
        z = z + params["Wx"][token]
    if cell == "lstm":
        h, c = lstm_gates(z, c)
    else:
        h = np.tanh(z)
    return h, c, h @ params["Wy"] + params["by"]


def sample_sequence(cell: str, params: dict, newline: int, rng: np.random.Generator,
                    temperature: float = 1.0, max_length: int = 50) -> list[int]:
    """Sample indices until ``newline`` or ``max_length`` (newline appended then)."""
    n_a = params["Wh"].shape[0]
    h, c = np.zeros(n_a), np.zeros(n_a)
    token, out = ZERO_INPUT, []
    while len(out) < max_length:
        h, c, logits = step_one(cell, params, token, h, c)
        token = sample_index(logits, temperature, rng)
        out.append(token)
        if token == newline:
            return out
    return out + [newline]
