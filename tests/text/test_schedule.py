"""train-text's learning-rate schedules, step by step, with the optimiser stood in for.

The job is the real one; only the Keras trainer (which records the rates it is given) and
the window sampler are replaced, so these run without TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqgen.text.config import TextConfig
from seqgen.text.train import TextJob


class Recorder:
    """Stands in for the Keras trainer: keeps every rate the optimiser is given."""

    def __init__(self):
        self.rates: list[float] = []

    def set_lr(self, lr: float) -> None:
        self.rates.append(lr)

    def batch(self, X, Y):
        return X

    def train_step(self, batch) -> float:
        return 1.0


class Windows:
    def batch(self, j):
        return np.zeros((1, 2), np.int32), np.zeros((1, 2), np.int32)


def job(total_steps: int, seconds: float = 0.0, **settings) -> TextJob:
    cfg = TextConfig(lr=0.01, **settings)
    state = {"history": [], "lr": cfg.lr, "best": math.inf, "stale": 0, "seconds": seconds}
    return TextJob(cfg, None, Recorder(), Windows(), None, 1000, state, None, "text", {},
                   total_steps, "")


def applied(j: TextJob, steps) -> list[float]:
    out = []
    for s in steps:
        j.step(s)
        out.append(j.applied)
    return out


def test_anneal_holds_the_rate_then_brings_it_linearly_to_zero():
    j = job(10, lr_schedule="plateau", anneal=0.5)
    assert applied(j, range(10)) == pytest.approx([0.01] * 6 + [0.008, 0.006, 0.004, 0.002])
    assert len(j.trainer.rates) == 5  # the optimiser hears of a rate once, when it changes
    assert j.lr == 0.01  # the plateau's own rate, which a resumed run continues from


def test_anneal_scales_the_rate_the_plateau_has_reached():
    j = job(10, lr_schedule="plateau", anneal=0.5)
    applied(j, range(6))
    j.lr *= 0.5  # an evaluation without a better score
    assert applied(j, [6, 8]) == pytest.approx([0.004, 0.002])


def test_anneal_follows_the_time_budget_when_it_ends_the_run_first():
    # 90 of 100 seconds spent after a few of 1,000 steps: half of the last fifth is left
    j = job(1000, seconds=90.0, lr_schedule="plateau", anneal=0.2, time_budget=100.0)
    j.step(3)
    assert j.applied == pytest.approx(0.005, rel=0.01)


@pytest.mark.parametrize("anneal", [None, 0.0])
def test_without_anneal_the_plateau_keeps_its_rate(anneal):
    j = job(10, lr_schedule="plateau", anneal=anneal)
    assert applied(j, range(10)) == [0.01] * 10 and j.trainer.rates == [0.01]


def test_the_cosine_schedule_ignores_anneal():
    plain, annealed = (job(200, lr_schedule="cosine", anneal=a) for a in (None, 0.5))
    steps = [0, 50, 99, 150, 199]
    assert applied(plain, steps) == applied(annealed, steps)
    assert applied(job(200, lr_schedule="cosine"), [0, 99]) == pytest.approx([1e-4, 0.01])
