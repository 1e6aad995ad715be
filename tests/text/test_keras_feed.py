"""Feeding the Keras trainer one sampled batch at a time gives today's losses.

Today's path materialises an epoch of windows, shuffles them and batches them with
tf.data; the new path asks a ``WindowSampler`` for each step's batch and hands it to
``TextTrainer.batch``. Same seed, same batches, same model: the same losses. Each
path runs in a fresh process so both start from the same Keras random state.
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

path, way, strategy_name, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
corpus = load_corpus(path, lowercase=True)
T, B, seed = 16, 8, 3
strategy = get_strategy(strategy_name)
shape = Shape("lstm", 2, 16, 8, T)
trainer = TextTrainer(strategy, shape, len(corpus.vocab), 0.4, 0.01, B, 5.0, seed)
losses = []
if way == "old":  # today's loop, epoch by epoch
    epoch = 0
    while len(losses) < steps:
        epoch += 1
        rng = np.random.default_rng([seed, epoch])
        X, Y = training_windows(corpus.train_ids, T, int(rng.integers(T)))
        order = rng.permutation(len(X))
        ds = tf.data.Dataset.from_tensor_slices((X[order], Y[order])).batch(B, drop_remainder=True)
        for batch in trainer.trainer.distribute(ds):
            losses.append(trainer.train_step(batch))
            if len(losses) == steps:
                break
else:
    sampler = WindowSampler(corpus.train_ids, T, B, seed, *trainer.input_shard())
    for step in range(steps):
        losses.append(trainer.train_step(trainer.batch(*sampler.batch(step))))
print(json.dumps({"losses": losses, "replicas": trainer.replicas}))
"""


@pytest.fixture(scope="module")
def small_text(tmp_path_factory):
    # two epochs of 4 steps each: the run crosses an epoch boundary
    text = (ROOT / "seqgen" / "assets" / "data" / "shakespeare.txt").read_text("utf-8")
    p = tmp_path_factory.mktemp("feed") / "small.txt"
    p.write_text(text[:800], encoding="utf-8")
    return p


def run(path, way, strategy, steps, env=None):
    proc = python_process(["-c", SCRIPT, path, way, strategy, steps],
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_sampled_batches_give_todays_losses_with_the_default_strategy(small_text):
    old = run(small_text, "old", "default", 6)
    new = run(small_text, "new", "default", 6)
    assert len(new["losses"]) == 6
    np.testing.assert_allclose(new["losses"], old["losses"], rtol=0, atol=1e-6)


@pytest.mark.slow
def test_sampled_batches_give_todays_losses_on_two_mirrored_replicas(small_text):
    env = {"SEQGEN_LOGICAL_CPUS": "2"}
    old = run(small_text, "old", "mirrored", 5, env)
    new = run(small_text, "new", "mirrored", 5, env)
    assert new["replicas"] == 2
    np.testing.assert_allclose(new["losses"], old["losses"], rtol=0, atol=1e-6)
