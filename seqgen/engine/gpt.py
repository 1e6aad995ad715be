"""NumPy inference for the character GPT trained with Keras: a full pass and a key/value cache.

The network (pre-LayerNorm transformer decoder with learned positions)::

    x = tok[ids] + pos[0..T-1]
    for each block:
        x = x + proj(attention(LN1(x)))        # causal, ``heads`` heads of width d/heads
        x = x + out(gelu(fc(LN2(x))))          # 4d hidden units, tanh-approximated GELU
    logits = LN_f(x) @ dense_w + dense_b

Generation keeps each block's keys and values (:class:`GPTState`), so a new character
costs one row through the network and one attention over the cached rows, not a pass over
the whole context. Positions are learned and absolute, so once the cache holds ``context``
characters it is rebuilt from its last ``context // 2`` (one short pass, every
``context // 2`` characters); each character is then predicted from between
``context // 2`` and ``context - 1`` characters before it, as in training, where windows
start anywhere in the text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqgen.engine.ops import logsumexp

LN_EPSILON = 1e-5  # LayerNormalization's epsilon, the same in Keras


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred * (gamma / np.sqrt(var + LN_EPSILON)) + beta


def gelu(x: np.ndarray) -> np.ndarray:
    """The tanh approximation of GELU (Keras' ``gelu(approximate=True)``)."""
    inner = x * (1.0 + 0.044715 * (x * x))  # x + 0.044715 x³ (a power would be slow)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * inner))


@dataclass
class GPTBlock:
    """One block's arrays (Keras layout: ``kernel (n_in, n_out)``, row-vector inputs).

    ``qkv_w (d, 3d)`` packs queries, keys and values in that order, each ``(d,)`` block
    split into heads of ``d / heads`` consecutive columns.
    """

    ln1_g: np.ndarray
    ln1_b: np.ndarray
    qkv_w: np.ndarray
    qkv_b: np.ndarray
    proj_w: np.ndarray
    proj_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray
    fc_w: np.ndarray
    fc_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray

    def mlp(self, x: np.ndarray) -> np.ndarray:
        return gelu(layer_norm(x, self.ln2_g, self.ln2_b) @ self.fc_w + self.fc_b) @ self.out_w \
            + self.out_b


@dataclass
class GPTState:
    """The key/value cache of ``m`` streams: ``t`` positions filled of ``context``."""

    tokens: np.ndarray  # (m, context) the characters at the cached positions
    keys: list[np.ndarray]  # per block (m, heads, context, d / heads)
    values: list[np.ndarray]
    t: int


@dataclass
class CharGPT:
    """The whole network: embeddings, blocks, final LayerNorm and the output layer."""

    tok: np.ndarray  # (V, d)
    pos: np.ndarray  # (context, d)
    blocks: list[GPTBlock]
    lnf_g: np.ndarray
    lnf_b: np.ndarray
    dense_w: np.ndarray  # (d, V)
    dense_b: np.ndarray
    heads: int

    @property
    def context(self) -> int:
        return self.pos.shape[0]

    @property
    def width(self) -> int:
        return self.tok.shape[1]

    def astype(self, dtype) -> CharGPT:
        def cast(a):
            return np.asarray(a, dtype=dtype)

        blocks = [GPTBlock(*(cast(getattr(b, f)) for f in GPTBlock.__dataclass_fields__))
                  for b in self.blocks]
        return CharGPT(cast(self.tok), cast(self.pos), blocks, cast(self.lnf_g),
                       cast(self.lnf_b), cast(self.dense_w), cast(self.dense_b), self.heads)

    def _split(self, a: np.ndarray) -> np.ndarray:
        """``(m, T, d)`` -> ``(m, heads, T, d / heads)``."""
        m, T, d = a.shape
        return a.reshape(m, T, self.heads, d // self.heads).transpose(0, 2, 1, 3)

    def forward(self, ids: np.ndarray, keep_cache: bool = False):
        """Logits ``(m, T, V)`` of every position of ``ids (m, T)``, ``T <= context``.

        With ``keep_cache``, also each block's keys and values ``(m, heads, T, d/heads)``.
        """
        ids = np.asarray(ids)
        m, T = ids.shape
        if T > self.context:
            raise ValueError(f"{T} positions, more than the context of {self.context}")
        d, dh = self.width, self.width // self.heads
        x = self.tok[ids] + self.pos[:T]  # (m, T, d)
        future = np.triu(np.ones((T, T), dtype=bool), k=1)  # (T, T) keys after the query
        cache = []
        for b in self.blocks:
            qkv = layer_norm(x, b.ln1_g, b.ln1_b) @ b.qkv_w + b.qkv_b  # (m, T, 3d)
            q, k, v = (self._split(qkv[..., i * d:(i + 1) * d]) for i in range(3))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh)  # (m, H, T, T)
            scores = np.where(future, -np.inf, scores)
            att = np.exp(scores - scores.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            y = (att @ v).transpose(0, 2, 1, 3).reshape(m, T, d)  # (m, T, d)
            x = x + y @ b.proj_w + b.proj_b
            x = x + b.mlp(x)
            if keep_cache:
                cache.append((k, v))
        logits = layer_norm(x, self.lnf_g, self.lnf_b) @ self.dense_w + self.dense_b
        return (logits, cache) if keep_cache else logits

    # ------------------------------------------------------------ generation with a cache

    def start(self, ids: np.ndarray) -> tuple[np.ndarray, GPTState]:
        """Read ``ids (m, T)`` (at least one column; the last ``context`` are kept).

        Returns the next character's logits ``(m, V)`` and the cache.
        """
        ids = np.asarray(ids)[:, -self.context:]
        m, T = ids.shape
        logits, cache = self.forward(ids, keep_cache=True)
        dtype = self.tok.dtype
        shape = (m, self.heads, self.context, self.width // self.heads)
        keys, values = [np.zeros(shape, dtype) for _ in cache], [np.zeros(shape, dtype)
                                                                  for _ in cache]
        for (k, v), K, V in zip(cache, keys, values):
            K[:, :, :T], V[:, :, :T] = k, v
        tokens = np.zeros((m, self.context), dtype=np.intp)
        tokens[:, :T] = ids
        return logits[:, -1], GPTState(tokens, keys, values, T)

    def step(self, tokens: np.ndarray, state: GPTState) -> tuple[np.ndarray, GPTState]:
        """Feed ``tokens (m,)``; the next-character logits ``(m, V)`` and the updated cache.

        The cache arrays are updated in place (``state`` is returned for symmetry with the
        recurrent stacks). A full cache is first rebuilt from its last ``context // 2``.
        """
        tokens = np.asarray(tokens)
        if state.t == self.context:
            keep = state.tokens[:, self.context - self.context // 2:]
            _, state = self.start(keep)
        t, d, dh = state.t, self.width, self.width // self.heads
        m = len(tokens)
        state.tokens[:, t] = tokens
        x = self.tok[tokens] + self.pos[t]  # (m, d)
        for b, K, V in zip(self.blocks, state.keys, state.values):
            qkv = layer_norm(x, b.ln1_g, b.ln1_b) @ b.qkv_w + b.qkv_b  # (m, 3d)
            q = qkv[:, :d].reshape(m, self.heads, 1, dh)
            K[:, :, t] = qkv[:, d:2 * d].reshape(m, self.heads, dh)
            V[:, :, t] = qkv[:, 2 * d:].reshape(m, self.heads, dh)
            scores = q @ K[:, :, :t + 1].transpose(0, 1, 3, 2) / math.sqrt(dh)  # (m, H, 1, t+1)
            att = np.exp(scores - scores.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            y = (att @ V[:, :, :t + 1]).reshape(m, d)  # (m, d)
            x = x + y @ b.proj_w + b.proj_b
            x = x + b.mlp(x)
        state.t = t + 1
        return layer_norm(x, self.lnf_g, self.lnf_b) @ self.dense_w + self.dense_b, state

    def repeat(self, state: GPTState, m: int) -> GPTState:
        """``m`` copies of a one-stream cache."""
        return GPTState(np.repeat(state.tokens, m, axis=0),
                        [np.repeat(k, m, axis=0) for k in state.keys],
                        [np.repeat(v, m, axis=0) for v in state.values], state.t)


def score_windows(net: CharGPT, ids: np.ndarray, first: int, last: int,
                  batch: int = 32) -> tuple[float, int]:
    """(sum of NLL in nats, characters) of ``ids[first:last]`` under ``net``.

    The range is cut into chunks of ``h = context // 2`` characters; each chunk is scored by
    one pass over the ``context`` characters before its end (fewer at the text's start), so
    every character is predicted from ``context - h + 1`` to ``context`` characters before
    it. Windows of the same length go through the network together, ``batch`` at a time.
    """
    C = net.context
    h = max(1, C // 2)
    chunks = [(c0, min(c0 + h, last)) for c0 in range(first, last, h)]
    by_length: dict[int, list[tuple[int, int, int]]] = {}
    for c0, c1 in chunks:
        s = max(0, c1 - 1 - C)  # the window's inputs are s..c1-2: at most C of them
        by_length.setdefault(c1 - 1 - s, []).append((s, c0, c1))
    total, count = 0.0, 0
    for length, group in by_length.items():
        for i in range(0, len(group), batch):
            part = group[i:i + batch]
            starts = np.array([s for s, _, _ in part])[:, None]
            x = ids[starts + np.arange(length)].astype(np.intp)  # (b, length)
            y = ids[starts + 1 + np.arange(length)].astype(np.intp)
            logits = net.forward(x)  # (b, length, V)
            lse = logsumexp(logits)
            nll = lse - np.take_along_axis(logits, y[..., None], axis=-1)[..., 0]  # (b, len)
            target = starts + 1 + np.arange(length)  # (b, length) positions predicted
            c0 = np.array([c for _, c, _ in part])[:, None]
            scored = target >= c0
            total += float(nll[scored].sum(dtype=np.float64))
            count += int(scored.sum())
    return total, count
