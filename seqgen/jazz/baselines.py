"""Counting baselines for the note model, scored in its units (nats per melody event).

Both read each event as one symbol of pitch (or rest) and duration
(:attr:`seqgen.jazz.events.Event.symbol`), fitted on the training tunes only:

- :class:`Unigram`: a frequency table of events, add-``alpha`` smoothed over every
  possible event, so an event never seen in training still has a probability;
- :class:`Markov`: an interpolated Markov chain of order 3 over events. The probability
  of an event after a context is its count there, blended with the next shorter
  context's probability by a prior weight ``beta`` (``(c(h, e) + beta * P(e | h')) /
  (c(h) + beta)``), down to the unigram. A context never seen falls through to the
  shorter one.

``alpha`` and ``beta`` are chosen on the validation tunes (:func:`fit_baselines`), never
on the test tunes they report.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from seqgen.jazz.events import EVENTS

ORDER = 3
ALPHAS = (0.001, 0.01, 0.1, 1.0)
BETAS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
START = -1  # the context symbol before a tune's first event


@dataclass
class Unigram:
    """A frequency table of events, add-``alpha`` smoothed over the ``EVENTS`` alphabet."""

    counts: Counter
    total: int
    alpha: float = 0.01

    @classmethod
    def fit(cls, tunes: list[np.ndarray], alpha: float = 0.01) -> Unigram:
        counts = Counter(int(s) for t in tunes for s in t)
        return cls(counts, sum(counts.values()), alpha)

    def prob(self, symbol: int) -> float:
        return (self.counts.get(symbol, 0) + self.alpha) / (self.total + self.alpha * EVENTS)

    def nll(self, tunes: list[np.ndarray]) -> tuple[float, int]:
        """(summed negative log-likelihood in nats, events) of ``tunes``."""
        total = sum(-math.log(self.prob(int(s))) for t in tunes for s in t)
        return total, sum(len(t) for t in tunes)


@dataclass
class Markov:
    """An interpolated order-``ORDER`` Markov chain of events over a :class:`Unigram`."""

    unigram: Unigram
    tables: list[dict]  # tables[k][context of k symbols] = (Counter of next, total)
    beta: float = 1.0

    @classmethod
    def fit(cls, tunes: list[np.ndarray], unigram: Unigram, beta: float = 1.0) -> Markov:
        tables: list[dict] = [dict() for _ in range(ORDER + 1)]
        raw: list[defaultdict] = [defaultdict(Counter) for _ in range(ORDER + 1)]
        for t in tunes:
            history = [START] * ORDER + [int(s) for s in t]
            for i in range(ORDER, len(history)):
                for k in range(1, ORDER + 1):
                    raw[k][tuple(history[i - k:i])][history[i]] += 1
        for k in range(1, ORDER + 1):
            tables[k] = {ctx: (c, sum(c.values())) for ctx, c in raw[k].items()}
        return cls(unigram, tables, beta)

    def prob(self, context: tuple[int, ...], symbol: int) -> float:
        """P(symbol | the last ``ORDER`` symbols ``context``)."""
        p = self.unigram.prob(symbol)
        for k in range(1, ORDER + 1):
            found = self.tables[k].get(context[len(context) - k:])
            if found is None:
                break  # longer contexts were not seen either
            counts, total = found
            p = (counts.get(symbol, 0) + self.beta * p) / (total + self.beta)
        return p

    def distribution(self, context: tuple[int, ...]) -> np.ndarray:
        """P(every event | ``context``) as an array ``(EVENTS,)`` (for sampling)."""
        u = self.unigram
        p = np.full(EVENTS, u.alpha / (u.total + u.alpha * EVENTS))
        for s, c in u.counts.items():
            p[s] = (c + u.alpha) / (u.total + u.alpha * EVENTS)
        for k in range(1, ORDER + 1):
            found = self.tables[k].get(context[len(context) - k:])
            if found is None:
                break
            counts, total = found
            p = self.beta * p
            for s, c in counts.items():
                p[s] += c
            p /= total + self.beta
        return p

    def nll(self, tunes: list[np.ndarray]) -> tuple[float, int]:
        """(summed negative log-likelihood in nats, events) of ``tunes``."""
        total, count = 0.0, 0
        for t in tunes:
            history = [START] * ORDER + [int(s) for s in t]
            for i in range(ORDER, len(history)):
                total -= math.log(self.prob(tuple(history[i - ORDER:i]), history[i]))
                count += 1
        return total, count


def fit_baselines(train: list[np.ndarray], validation: list[np.ndarray]
                  ) -> tuple[Unigram, Markov]:
    """Both baselines fitted on ``train``, their smoothing chosen on ``validation`` (the
    defaults when there is none)."""
    unigram = Unigram.fit(train)
    markov = Markov.fit(train, unigram)
    if not validation or not sum(len(t) for t in validation):
        return unigram, markov
    unigram.alpha = min(ALPHAS, key=lambda a: _per_event(
        Unigram(unigram.counts, unigram.total, a).nll(validation)))
    markov.beta = min(BETAS, key=lambda b: _per_event(
        Markov(unigram, markov.tables, b).nll(validation)))
    return unigram, markov


def _per_event(result: tuple[float, int]) -> float:
    return result[0] / max(result[1], 1)
