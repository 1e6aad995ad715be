"""The character-level name model of SPEC §1.4: clip, sample, optimize, model.

The reference formulation works on one-hot column vectors and per-step dicts.
``CharRNNTrainer`` computes exactly the same arithmetic, restructured for speed:
input columns are gathered instead of multiplied by one-hot vectors, the output
projection and softmax run for all steps at once, parameter gradients are
accumulated with one matrix product after the time loop, and every buffer is
allocated once.
"""

from __future__ import annotations

import math

import numpy as np

from seqgen.engine.rnn import softmax

GRAD_KEYS = ("dWax", "dWaa", "dWya", "db", "dby")
PARAM_KEYS = ("Wax", "Waa", "Wya", "b", "by")


def initialize_parameters(n_a: int, n_x: int, n_y: int, seed: int = 1) -> dict:
    """Reference initialisation: ``Wax, Waa, Wya`` as ``randn * 0.01`` from ``seed``, zero biases."""
    rng = np.random.RandomState(seed)
    Wax = rng.randn(n_a, n_x) * 0.01
    Waa = rng.randn(n_a, n_a) * 0.01
    Wya = rng.randn(n_y, n_a) * 0.01
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}


def initial_loss(vocab_size: int, seq_length: int) -> float:
    """Smoothed-loss starting point: the loss of a uniform guess over ``seq_length`` characters."""
    return -np.log(1.0 / vocab_size) * seq_length


def smooth(loss: float, current: float) -> float:
    return loss * 0.999 + current * 0.001


def clip(gradients: dict, maxValue: float) -> dict:
    """Clip ``dWaa, dWax, dWya, db, dby`` element-wise to ``[-maxValue, maxValue]``.

    Returns a new dict; ``gradients`` is left untouched.
    """
    clipped = dict(gradients)
    for key in GRAD_KEYS:
        clipped[key] = np.clip(gradients[key], -maxValue, maxValue)
    return clipped


def sample(parameters, char_to_ix, seed, temperature: float = 1.0, max_length: int = 50):
    """Sample a sequence of indices, ending with the newline index.

    Reproducibility protocol: the draw at step k uses ``RandomState(seed + 2k)``.
    ``temperature`` divides the logits (1.0 is the reference behaviour).
    """
    Wax, Waa, Wya, b, by = (parameters[k] for k in PARAM_KEYS)
    vocab_size = by.shape[0]
    newline = char_to_ix["\n"]
    x_col = None  # index of the previous character; None is the zero input
    a = np.zeros((Waa.shape[1], 1))
    choices = range(vocab_size)
    indices: list[int] = []
    idx = -1
    while idx != newline and len(indices) != max_length:
        z = Waa @ a + b if x_col is None else Wax[:, [x_col]] + Waa @ a + b
        a = np.tanh(z)
        logits = Wya @ a + by
        if temperature != 1.0:
            logits = logits / temperature
        p = softmax(logits).ravel()
        rng = np.random.RandomState(seed + 2 * len(indices))
        idx = int(rng.choice(choices, p=p))
        indices.append(idx)
        x_col = idx
    if len(indices) == max_length and idx != newline:
        indices.append(newline)
    return indices


class CharRNNTrainer:
    """SGD with clipping on one name at a time, with preallocated buffers.

    Holds the parameters in its own layout (``WaxT`` is ``Wax`` transposed so that
    gathering an input column is a contiguous row read); ``parameters`` exposes them
    in the reference layout as views.
    """

    def __init__(self, parameters: dict, learning_rate: float = 0.01, clip_value: float = 5.0,
                 max_len: int = 64):
        self.WaxT = np.ascontiguousarray(parameters["Wax"].T, dtype=np.float64)  # (n_x, n_a)
        self.Waa = np.array(parameters["Waa"], dtype=np.float64)  # (n_a, n_a)
        self.Wya = np.array(parameters["Wya"], dtype=np.float64)  # (n_y, n_a)
        self.b = np.array(parameters["b"], dtype=np.float64).ravel()  # (n_a,)
        self.by = np.array(parameters["by"], dtype=np.float64).ravel()  # (n_y,)
        self.learning_rate = learning_rate
        self.clip_value = clip_value
        self.n_a = self.Waa.shape[0]
        self.n_y = self.Wya.shape[0]
        self._alloc(max_len)
        self.grads = {k: np.zeros_like(v) for k, v in
                      (("dWaxT", self.WaxT), ("dWaa", self.Waa), ("dWya", self.Wya),
                       ("db", self.b), ("dby", self.by))}
        self.scratch = {k: np.zeros_like(v) for k, v in self.grads.items()}

    def _alloc(self, max_len: int) -> None:
        self.max_len = max_len
        self.A = np.zeros((max_len + 1, self.n_a))  # A[0] = a_prev, A[t+1] = a_t
        self.D = np.zeros((max_len, self.n_a))  # gradient wrt pre-activation per step
        self.z = np.zeros(self.n_a)
        self.da_next = np.zeros(self.n_a)

    @property
    def parameters(self) -> dict:
        return {"Wax": self.WaxT.T, "Waa": self.Waa, "Wya": self.Wya,
                "b": self.b[:, None], "by": self.by[:, None]}

    def gradients(self) -> dict:
        """The last step's (clipped) gradients in the reference layout."""
        g = self.grads
        return {"dWax": g["dWaxT"].T.copy(), "dWaa": g["dWaa"].copy(), "dWya": g["dWya"].copy(),
                "db": g["db"][:, None].copy(), "dby": g["dby"][:, None].copy()}

    def step(self, X: list, Y: list, a_prev: np.ndarray) -> tuple[float, np.ndarray]:
        """One forward/backward/clip/update on a single sequence.

        ``X[0]`` is ``None`` (zero input); ``X[t]``/``Y[t]`` are indices. Returns the
        summed cross-entropy (before the update) and the last hidden state ``(n_a,)``.
        """
        T = len(X)
        if T > self.max_len:
            self._alloc(2 * T)
        A, D, z = self.A, self.D, self.z
        WaxT, Waa, b = self.WaxT, self.Waa, self.b
        A[0] = a_prev.ravel()
        dot, tanh = np.dot, np.tanh
        # forward: a_t = tanh(Wax x_t + Waa a_{t-1} + b), same operation order as the reference
        for t in range(T):
            dot(Waa, A[t], out=z)
            xt = X[t]
            if xt is not None:
                z += WaxT[xt]
            z += b
            tanh(z, out=A[t + 1])
        H = A[1:T + 1]  # (T, n_a)
        # output layer for all steps at once
        logits = H @ self.Wya.T
        logits += self.by
        logits -= logits.max(axis=1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(axis=1, keepdims=True)  # (T, n_y)
        rows = np.arange(T)
        Y = np.asarray(Y)
        loss = -float(np.log(P[rows, Y]).sum())
        # backward
        P[rows, Y] -= 1.0  # dlogits
        g = self.grads
        np.dot(P.T, H, out=g["dWya"])
        P.sum(axis=0, out=g["dby"])
        dH = P @ self.Wya  # (T, n_a)
        G = 1.0 - H * H
        WaaT = Waa.T
        da_next = self.da_next
        da_next[:] = 0.0
        add, mul = np.add, np.multiply
        for t in range(T - 1, -1, -1):
            d = D[t]
            add(dH[t], da_next, out=d)
            mul(d, G[t], out=d)
            dot(WaaT, d, out=da_next)
        Dt = D[:T]
        np.dot(Dt.T, A[:T], out=g["dWaa"])
        Dt.sum(axis=0, out=g["db"])
        dWaxT = g["dWaxT"]
        dWaxT[:] = 0.0
        if X[0] is None:
            np.add.at(dWaxT, X[1:], Dt[1:])
        else:
            np.add.at(dWaxT, X, Dt)
        # clip in place, then SGD
        lr, cv = self.learning_rate, self.clip_value
        for key, param in (("dWaxT", WaxT), ("dWaa", Waa), ("dWya", self.Wya),
                           ("db", b), ("dby", self.by)):
            grad = g[key]
            np.clip(grad, -cv, cv, out=grad)
            step = self.scratch[key]
            np.multiply(grad, lr, out=step)
            param -= step
        return loss, A[T].copy()


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    """One SGD step on one example; updates ``parameters`` in place.

    Returns ``(loss, gradients, a_last)`` with the clipped gradients
    ``dWax, dWaa, dWya, db, dby`` and the last hidden state ``(n_a, 1)``.
    """
    trainer = CharRNNTrainer(parameters, learning_rate, 5.0, max_len=len(X))
    loss, a_last = trainer.step(X, Y, np.asarray(a_prev))
    for key, value in trainer.parameters.items():
        parameters[key][...] = value.reshape(parameters[key].shape)
    return loss, trainer.gradients(), a_last[:, None]


def names_to_examples(names: list[str], char_to_ix: dict) -> list[tuple[list, list]]:
    """Each name becomes ``X = [None] + indices`` and ``Y = indices + [newline]``."""
    newline = char_to_ix["\n"]
    out = []
    for name in names:
        ix = [char_to_ix[c] for c in name]
        out.append(([None] + ix, ix + [newline]))
    return out


def shuffled_names(lines: list[str], seed: int = 0) -> list[str]:
    """Lower-case, strip and shuffle once with ``RandomState(seed)`` (reference order)."""
    names = [line.lower().strip() for line in lines]
    np.random.RandomState(seed).shuffle(names)
    return names


def indices_to_text(indices, ix_to_char) -> str:
    return "".join(ix_to_char[i] for i in indices)


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7,
          vocab_size=27, verbose=False):
    """Train the reference character model on the lines ``data_x``.

    Every 1000 iterations prints ``Iteration: N, Loss: X`` and ``dino_names`` names
    sampled with seeds 0, 1, …. Returns ``(parameters, last_dino_name)``.
    """
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    trainer = CharRNNTrainer(parameters, 0.01, 5.0)
    examples = names_to_examples(shuffled_names(list(data_x)), char_to_ix)
    loss = initial_loss(vocab_size, dino_names)
    a_prev = np.zeros(n_a)
    last_dino_name = ""
    for j in range(num_iterations):
        X, Y = examples[j % len(examples)]
        current, a_prev = trainer.step(X, Y, a_prev)
        loss = smooth(loss, current)
        if j % 1000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}")
            for seed in range(dino_names):
                name = indices_to_text(sample(trainer.parameters, char_to_ix, seed), ix_to_char)
                last_dino_name = name.strip().capitalize()
                print(last_dino_name)
            print()
            if verbose:
                print(f"  (smoothed loss {loss:.6f}, last name {last_dino_name!r})")
    return {k: np.array(v) for k, v in trainer.parameters.items()}, last_dino_name


def perplexity(nats_per_char: float) -> float:
    return math.exp(nats_per_char)
