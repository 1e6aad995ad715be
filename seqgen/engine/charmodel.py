"""The character-level name model of the course: clip, sample, optimize, model.

The reference formulation works on one-hot column vectors and per-step dicts.
``CharRNNTrainer`` computes exactly the same arithmetic, restructured for speed:
input columns are gathered instead of multiplied by one-hot vectors, the output
projection and softmax run for all steps at once, parameter gradients are
accumulated with one matrix product after the time loop, and every buffer is
allocated once.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import log_softmax, smooth, softmax

__all__ = ["CharRNNTrainer", "clip", "initial_loss", "initialize_parameters", "model",
           "names_to_examples", "optimize", "rnn_nll", "sample", "smooth"]

GRAD_KEYS = ("dWax", "dWaa", "dWya", "db", "dby")
PARAM_KEYS = ("Wax", "Waa", "Wya", "b", "by")


def initialize_parameters(n_a: int, n_x: int, n_y: int, seed: int = 1) -> dict:
    """Reference initialisation: ``Wax, Waa, Wya`` = ``randn * 0.01`` from ``seed``; zero biases."""
    rng = np.random.RandomState(seed)
    Wax = rng.randn(n_a, n_x) * 0.01
    Waa = rng.randn(n_a, n_a) * 0.01
    Wya = rng.randn(n_y, n_a) * 0.01
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}


def initial_loss(vocab_size: int, seq_length: int) -> float:
    """Smoothed-loss starting point: the loss of a uniform guess over ``seq_length`` characters."""
    return -np.log(1.0 / vocab_size) * seq_length


def clip(gradients: dict, maxValue: float) -> dict:
    """Clip ``dWaa, dWax, dWya, db, dby`` element-wise to ``[-maxValue, maxValue]``.

    Returns a new dict; ``gradients`` is left untouched.
    """
    clipped = dict(gradients)
    for key in GRAD_KEYS:
        clipped[key] = np.clip(gradients[key], -maxValue, maxValue)
    return clipped


def _choice(rng: np.random.RandomState, choices: range, p: np.ndarray) -> int:
    """``rng.choice(choices, p=p)``, the same index from the same state, at a fraction of the
    cost: the inverse-CDF search that ``choice`` makes, without its argument checks. Weights
    that are not finite go to ``choice`` itself, which raises its usual error."""
    cdf = p.cumsum()
    if not np.isfinite(cdf[-1]) or (p < 0).any():
        return int(rng.choice(choices, p=p))
    cdf /= cdf[-1]
    return int(cdf.searchsorted(rng.random_sample(), side="right"))


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
    rng = np.random.RandomState()  # re-seeded for every draw: the state RandomState(s) has
    indices: list[int] = []
    idx = -1
    while idx != newline and len(indices) != max_length:
        z = Waa @ a + b if x_col is None else Wax[:, [x_col]] + Waa @ a + b
        a = np.tanh(z)
        logits = Wya @ a + by
        if temperature != 1.0:
            logits = logits / temperature
        p = softmax(logits).ravel()
        rng.seed(seed + 2 * len(indices))
        idx = _choice(rng, choices, p)
        indices.append(idx)
        x_col = idx
    if len(indices) == max_length and idx != newline:
        indices.append(newline)
    return indices


class CharRNNTrainer:
    """SGD with clipping on one name at a time, with preallocated buffers.

    All parameters live in one flat buffer (and all gradients in another) so that
    clipping and the update are one array operation each. ``WaxT`` is ``Wax``
    transposed, so gathering an input column is a contiguous row read;
    ``parameters`` exposes the reference layout as views.
    """

    def __init__(self, parameters: dict, learning_rate: float = 0.01, clip_value: float = 5.0,
                 max_len: int = 64):
        n_a, n_x = parameters["Wax"].shape
        n_y = parameters["Wya"].shape[0]
        self.n_a, self.n_x, self.n_y = n_a, n_x, n_y
        shapes = {"WaxT": (n_x, n_a), "Waa": (n_a, n_a), "Wya": (n_y, n_a), "b": (n_a,),
                  "by": (n_y,)}
        size = sum(int(np.prod(s)) for s in shapes.values())
        self.theta = np.zeros(size)  # every parameter, flat
        self.grad = np.zeros(size)  # every gradient, flat, same layout
        self.scratch = np.zeros(size)
        self._views: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        offset = 0
        for name, shape in shapes.items():
            n = int(np.prod(shape))
            self._views[name] = (self.theta[offset:offset + n].reshape(shape),
                                 self.grad[offset:offset + n].reshape(shape))
            offset += n
        self.WaxT, self.dWaxT = self._views["WaxT"]
        self.Waa, self.dWaa = self._views["Waa"]
        self.Wya, self.dWya = self._views["Wya"]
        self.b, self.db = self._views["b"]
        self.by, self.dby = self._views["by"]
        self.WaxT[...] = np.asarray(parameters["Wax"], dtype=np.float64).T
        self.Waa[...] = parameters["Waa"]
        self.Wya[...] = parameters["Wya"]
        self.b[...] = np.ravel(parameters["b"])
        self.by[...] = np.ravel(parameters["by"])
        self.learning_rate = learning_rate
        self.clip_value = clip_value
        self.eye = np.eye(n_x)
        self._alloc(max_len)

    def _alloc(self, max_len: int) -> None:
        self.max_len = max_len
        self.A = np.zeros((max_len + 1, self.n_a))  # A[0] = a_prev, A[t+1] = a_t
        self.D = np.zeros((max_len, self.n_a))  # gradient wrt pre-activation per step
        self.U = np.zeros((max_len, self.n_a))  # input column + bias per step
        self.z = np.zeros(self.n_a)
        self.da_next = np.zeros(self.n_a)

    @property
    def parameters(self) -> dict:
        return {"Wax": self.WaxT.T, "Waa": self.Waa, "Wya": self.Wya,
                "b": self.b[:, None], "by": self.by[:, None]}

    def gradients(self) -> dict:
        """The last step's (clipped) gradients in the reference layout."""
        return {"dWax": self.dWaxT.T.copy(), "dWaa": self.dWaa.copy(),
                "dWya": self.dWya.copy(), "db": self.db[:, None].copy(),
                "dby": self.dby[:, None].copy()}

    def step(self, X: list, Y: list, a_prev: np.ndarray) -> tuple[float, np.ndarray]:
        """One forward/backward/clip/update on a single sequence.

        ``X[t]`` is the input index of step t; ``X[0]`` may be ``None`` (the zero input).
        ``Y[t]`` is the target of step t, ``len(Y) == len(X)``. ``a_prev`` is ``(n_a,)``
        or ``(n_a, 1)``. Returns the summed cross-entropy (before the update) and the
        last hidden state ``(n_a,)``.
        """
        if len(X) != len(Y) or len(Y) == 0:
            raise ValueError(f"X and Y must be non-empty and of one length, got {len(X)} "
                             f"and {len(Y)}")
        first_is_zero = X[0] is None
        x = X[1:] if first_is_zero else X
        if any(i is None for i in x):
            raise ValueError("only X[0] may be None (the zero input)")
        return self.step_arrays(np.asarray(x, dtype=np.intp), np.asarray(Y, dtype=np.intp),
                                a_prev, first_is_zero=first_is_zero)

    def step_arrays(self, x: np.ndarray, y: np.ndarray, a_prev: np.ndarray,
                    first_is_zero: bool = True) -> tuple[float, np.ndarray]:
        """``step`` on index arrays ``x, y``.

        With ``first_is_zero`` step 0 has the zero input and ``x`` holds the inputs of
        steps 1 … T-1 (``len(x) == len(y) - 1``); otherwise ``x`` holds all T inputs.
        """
        T = len(y)
        if T > self.max_len:
            self._alloc(2 * T)
        A, D, U, z = self.A, self.D, self.U[:T], self.z
        Waa, b = self.Waa, self.b
        A[0] = np.ravel(a_prev)  # (n_a,) or (n_a, 1)
        # input columns for all steps at once: U[t] = Wax[:, x_t] + b (zero input at t=0)
        if first_is_zero:
            U[0] = b
            np.add(self.WaxT[x], b, out=U[1:])
        else:
            np.add(self.WaxT[x], b, out=U)
        dot, tanh, add, mul = np.dot, np.tanh, np.add, np.multiply
        for t in range(T):  # a_t = tanh(Waa a_{t-1} + Wax x_t + b)
            dot(Waa, A[t], out=z)
            z += U[t]
            tanh(z, out=A[t + 1])
        H = A[1:T + 1]  # (T, n_a)
        # output layer and softmax for all steps at once
        P = H @ self.Wya.T  # (T, n_y)
        P += self.by
        softmax(P, axis=1, out=P)
        rows = np.arange(T)
        loss = -float(np.log(P[rows, y]).sum())
        P[rows, y] -= 1.0  # dlogits
        np.dot(P.T, H, out=self.dWya)
        P.sum(axis=0, out=self.dby)
        dH = P @ self.Wya  # (T, n_a): gradient from the outputs into each a_t
        G = 1.0 - H * H
        WaaT = Waa.T
        da_next = self.da_next
        da_next[:] = 0.0
        for t in range(T - 1, -1, -1):  # back through time
            d = D[t]
            add(dH[t], da_next, out=d)
            mul(d, G[t], out=d)
            dot(WaaT, d, out=da_next)
        Dt = D[:T]
        # parameter gradients with one product each, after the time loop
        np.dot(Dt.T, A[:T], out=self.dWaa)
        Dt.sum(axis=0, out=self.db)
        if first_is_zero:
            np.dot(self.eye[x].T, Dt[1:], out=self.dWaxT)
        else:
            np.dot(self.eye[x].T, Dt, out=self.dWaxT)
        # clip, then SGD, on the flat buffers
        np.clip(self.grad, -self.clip_value, self.clip_value, out=self.grad)
        np.multiply(self.grad, self.learning_rate, out=self.scratch)
        self.theta -= self.scratch
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


def rnn_nll(params: dict, examples) -> float:
    """Mean negative log-likelihood in nats per character (newline included).

    ``params`` are ``Wax, Waa, Wya, b, by``; ``examples`` are ``(X, Y)`` pairs as made by
    :func:`names_to_examples`. Each example starts from a zero hidden state.
    """
    Wax, Waa, Wya, b, by = (params[k] for k in PARAM_KEYS)
    total, count = 0.0, 0
    for X, Y in examples:
        a = np.zeros(Waa.shape[0])
        H = np.empty((len(Y), len(a)))  # hidden state after each step
        for t, x in enumerate(X):
            z = Waa @ a + b[:, 0]
            if x is not None:
                z += Wax[:, x]
            a = H[t] = np.tanh(z)
        logp = log_softmax(H @ Wya.T + by[:, 0], axis=-1)  # (T, n_y)
        total -= float(logp[np.arange(len(Y)), Y].sum())
        count += len(Y)
    return total / max(count, 1)


def _shuffled_names(lines: list[str], seed: int = 0) -> list[str]:
    """Lower-case, strip and shuffle once with ``RandomState(seed)`` (reference order)."""
    names = [line.lower().strip() for line in lines]
    np.random.RandomState(seed).shuffle(names)
    return names


def _indices_to_text(indices, ix_to_char) -> str:
    return "".join(ix_to_char[i] for i in indices)


def model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7,
          vocab_size=27, verbose=False):
    """Train the reference character model on the lines ``data_x``.

    Every 1000 iterations prints ``Iteration: N, Loss: X`` and ``dino_names`` names
    sampled with seeds 0, 1, …. Returns ``(parameters, last_dino_name)``.
    """
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    trainer = CharRNNTrainer(parameters, 0.01, 5.0)
    examples = names_to_examples(_shuffled_names(list(data_x)), char_to_ix)
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
                name = _indices_to_text(sample(trainer.parameters, char_to_ix, seed), ix_to_char)
                last_dino_name = name.strip().capitalize()
                print(last_dino_name)
            print()
            if verbose:
                print(f"  (smoothed loss {loss:.6f}, last name {last_dino_name!r})")
    return {k: np.array(v) for k, v in trainer.parameters.items()}, last_dino_name
