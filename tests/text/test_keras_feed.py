"""Feeding the Keras trainer one sampled batch at a time gives today's losses.

Today's path materialises an epoch of windows, shuffles them and batches them with
tf.data; the new path asks a ``WindowSampler`` for each step's batch and hands it to
``TextTrainer.batch``. Same seed, same batches, same model: the same losses. Both paths
run in one fresh process, each with a trainer of its own (the trainer seeds Keras' random
state when it is built, so both start from the same weights).
"""

import json
import subprocess

import numpy as np
import pytest

from tests.conftest import ROOT, python_process

SCRIPT = r"""
import json, sys
import numpy as np
from seqgen.keras_loop.distribute import get_strategy
from seqgen.text.keras_model import TextTrainer
from seqgen.text.schema import Shape
import tensorflow as tf
from seqgen.text.corpus import WindowSampler, load_corpus
from tests.helpers.reference_text import training_windows

path, strategy_name, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
corpus = load_corpus(path, lowercase=True)
T, B, seed = 16, 8, 3
strategy = get_strategy(strategy_name)
shape = Shape("lstm", 2, 16, 8, T)
result = {}
for way in ("old", "new"):
    trainer = TextTrainer(strategy, shape, len(corpus.vocab), 0.4, 0.01, B, 5.0, seed)
    losses = []
    if way == "old":  # today's loop, epoch by epoch
        epoch = 0
        while len(losses) < steps:
            epoch += 1
            rng = np.random.default_rng([seed, epoch])
            X, Y = training_windows(corpus.train_ids, T, int(rng.integers(T)))
            order = rng.permutation(len(X))
            ds = tf.data.Dataset.from_tensor_slices((X[order], Y[order]))
            ds = ds.batch(B, drop_remainder=True)
            for batch in trainer.trainer.distribute(ds):
                losses.append(trainer.train_step(batch))
                if len(losses) == steps:
                    break
    else:
        sampler = WindowSampler(corpus.train_ids, T, B, seed, *trainer.input_shard())
        for step in range(steps):
            losses.append(trainer.train_step(trainer.batch(*sampler.batch(step))))
    result[way] = losses
print(json.dumps({**result, "replicas": trainer.replicas}))
"""


@pytest.fixture(scope="module")
def small_text(tmp_path_factory):
    # two epochs of 4 steps each: the run crosses an epoch boundary
    text = (ROOT / "seqgen" / "assets" / "data" / "shakespeare.txt").read_text("utf-8")
    p = tmp_path_factory.mktemp("feed") / "small.txt"
    p.write_text(text[:800], encoding="utf-8")
    return p


def run(path, strategy, steps, env=None):
    proc = python_process(["-c", SCRIPT, path, strategy, steps],
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_sampled_batches_give_todays_losses_with_the_default_strategy(small_text):
    losses = run(small_text, "default", 6)
    assert len(losses["new"]) == 6
    np.testing.assert_allclose(losses["new"], losses["old"], rtol=0, atol=1e-6)


@pytest.mark.slow
def test_sampled_batches_give_todays_losses_on_two_mirrored_replicas(small_text):
    losses = run(small_text, "mirrored", 5, {"SEQGEN_LOGICAL_CPUS": "2"})
    assert losses["replicas"] == 2 and len(losses["new"]) == 5
    np.testing.assert_allclose(losses["new"], losses["old"], rtol=0, atol=1e-6)
