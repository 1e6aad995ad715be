"""A faithful reference-style dinosaur-name trainer, written from the course's description.

This is deliberately the slow formulation the course teaches: per-step Python
dicts, a fresh one-hot vector per step, the global NumPy random state and a deep
copy of the gradients for every clip. It is the yardstick for bench_dino.py and
for the trajectory tests; seqgen itself never uses it.
"""

from __future__ import annotations

import copy
import sys

import numpy as np


def _softmax(x):
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=0)


def _init(n_a, n_x, n_y):
    np.random.seed(1)
    return {
        "Wax": np.random.randn(n_a, n_x) * 0.01,
        "Waa": np.random.randn(n_a, n_a) * 0.01,
        "Wya": np.random.randn(n_y, n_a) * 0.01,
        "b": np.zeros((n_a, 1)),
        "by": np.zeros((n_y, 1)),
    }


def _clip(gradients, max_value):
    gradients = copy.deepcopy(gradients)
    for key in ("dWaa", "dWax", "dWya", "db", "dby"):
        np.clip(gradients[key], -max_value, max_value, out=gradients[key])
    return gradients


def _sample(parameters, char_to_ix, seed):
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((Waa.shape[1], 1))
    indices, idx, counter = [], -1, 0
    newline = char_to_ix["\n"]
    while idx != newline and counter != 50:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = _softmax(np.dot(Wya, a) + by)
        np.random.seed(counter + seed)
        idx = np.random.choice(list(range(vocab_size)), p=y.ravel())
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(newline)
    return indices


def _forward(X, Y, a0, parameters, vocab_size):
    x, a, y_hat = {}, {}, {}
    a[-1] = np.copy(a0)
    loss = 0.0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[t][X[t]] = 1
        a[t] = np.tanh(np.dot(parameters["Wax"], x[t]) + np.dot(parameters["Waa"], a[t - 1])
                       + parameters["b"])
        y_hat[t] = _softmax(np.dot(parameters["Wya"], a[t]) + parameters["by"])
        loss -= np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, x)


def _backward(X, Y, parameters, cache):
    y_hat, a, x = cache
    g = {"dWax": np.zeros_like(parameters["Wax"]), "dWaa": np.zeros_like(parameters["Waa"]),
         "dWya": np.zeros_like(parameters["Wya"]), "db": np.zeros_like(parameters["b"]),
         "dby": np.zeros_like(parameters["by"]), "da_next": np.zeros_like(a[0])}
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        g["dWya"] += np.dot(dy, a[t].T)
        g["dby"] += dy
        da = np.dot(parameters["Wya"].T, dy) + g["da_next"]
        daraw = (1 - a[t] * a[t]) * da
        g["db"] += daraw
        g["dWax"] += np.dot(daraw, x[t].T)
        g["dWaa"] += np.dot(daraw, a[t - 1].T)
        g["da_next"] = np.dot(parameters["Waa"].T, daraw)
    return g, a


def _optimize(X, Y, a_prev, parameters, learning_rate, vocab_size):
    loss, cache = _forward(X, Y, a_prev, parameters, vocab_size)
    gradients, a = _backward(X, Y, parameters, cache)
    gradients = _clip(gradients, 5)
    for p, g in (("Wax", "dWax"), ("Waa", "dWaa"), ("Wya", "dWya"), ("b", "db"), ("by", "dby")):
        parameters[p] += -learning_rate * gradients[g]
    return loss, gradients, a[len(X) - 1]


def train(path, num_iterations=22001, n_a=50, dino_names=7, report_every=1000, out=sys.stdout):
    """Train like the course notebook; yields nothing, prints reports to ``out``.

    Returns ``(parameters, reports)`` where ``reports`` maps iteration -> (loss, names).
    """
    data = open(path, encoding="utf-8").read().lower()
    chars = sorted(set(data))
    vocab_size = len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    ix_to_char = {i: ch for i, ch in enumerate(chars)}
    with open(path, encoding="utf-8") as f:
        examples = [line.lower().strip() for line in f.readlines()]
    np.random.seed(0)
    np.random.shuffle(examples)
    parameters = _init(n_a, vocab_size, vocab_size)
    loss = -np.log(1.0 / vocab_size) * dino_names
    a_prev = np.zeros((n_a, 1))
    reports = {}
    for j in range(num_iterations):
        ix = [char_to_ix[c] for c in examples[j % len(examples)]]
        X = [None] + ix
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, _, a_prev = _optimize(X, Y, a_prev, parameters, 0.01, vocab_size)
        loss = loss * 0.999 + curr_loss * 0.001
        if j % report_every == 0:
            names = []
            for seed in range(dino_names):
                idx = _sample(parameters, char_to_ix, seed)
                names.append("".join(ix_to_char[i] for i in idx).strip().capitalize())
            reports[j] = (loss, names)
            if out is not None:
                print(f"Iteration: {j}, Loss: {loss:f}", file=out)
                print("\n".join(names), file=out)
    return parameters, reports


if __name__ == "__main__":
    from seqgen.datasets import builtin_path

    train(sys.argv[1] if len(sys.argv) > 1 else str(builtin_path("dinos.txt")),
          int(sys.argv[2]) if len(sys.argv) > 2 else 22001)
