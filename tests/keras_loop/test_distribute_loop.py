"""The strategy-agnostic training loop: default vs mirrored vs two local workers."""

import json
from subprocess import PIPE

import numpy as np
import pytest

from tests.conftest import ROOT, free_loopback_ports, python_process

SCRIPT = ROOT / "tests" / "helpers" / "tiny_distributed.py"


def run_tiny(strategy, env=None, timeout=240):
    proc = python_process([SCRIPT, strategy], env={"TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
                          stdout=PIPE, stderr=PIPE)
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])



@pytest.mark.slow
def test_mirrored_two_replicas_matches_default():
    """Same global batch, same initial weights, no dropout: the per-step mean losses agree.

    The replicas each average half the batch and the all-reduce sums the halves, so the
    gradient is the same mean as on one device up to float32 summation order; 1e-4
    relative covers that drift over 8 Adam steps.
    """
    single = run_tiny("default")
    mirrored = run_tiny("mirrored", env={"SEQGEN_LOGICAL_CPUS": "2"})
    assert single["replicas"] == 1 and mirrored["replicas"] == 2
    np.testing.assert_allclose(mirrored["losses"], single["losses"], rtol=1e-4)
    assert single["losses"][-1] < single["losses"][0]


@pytest.mark.slow
def test_two_local_workers_train_together():
    ports = free_loopback_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        env = {"TF_CONFIG": tf_config, "TF_CPP_MIN_LOG_LEVEL": "3"}
        procs.append(python_process([SCRIPT, "multiworker"], env=env, stdout=PIPE,
                                    stderr=PIPE))
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err[-2000:]
            outs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert outs[0]["replicas"] == outs[1]["replicas"] == 2
    np.testing.assert_allclose(outs[0]["losses"], outs[1]["losses"], rtol=1e-6)
    single = run_tiny("default")
    np.testing.assert_allclose(outs[0]["losses"], single["losses"], rtol=1e-4)


def test_output_dir_chief_and_worker(tmp_path, monkeypatch):
    """The chief writes to the real path; a worker gets a temporary folder, removed after."""
    from seqgen.cluster import output_dir

    target = tmp_path / "run"
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with output_dir(target, multiworker=True) as out:
        assert out == target
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster,
                                                "task": {"type": "worker", "index": 0}}))
    with output_dir(target, multiworker=True) as out:
        assert out == target
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster,
                                                "task": {"type": "worker", "index": 1}}))
    with output_dir(target, multiworker=True) as out:
        assert out != target and out.name == "run"
        out.mkdir()
        (out / "meta.json").write_text("{}")
    assert not out.parent.exists() and not target.exists()


THREADS = """
import json, sys
from seqgen.keras_loop.distribute import get_strategy
import tensorflow as tf
get_strategy("default", op_threads=None if sys.argv[1] == "none" else int(sys.argv[1]))
print(json.dumps(tf.config.threading.get_intra_op_parallelism_threads()))
"""


@pytest.mark.parametrize("asked, env, expected", [
    ("1", {}, 1),  # the recurrent rows: one thread per operation
    ("none", {}, 0),  # the GPT: TensorFlow's choice
    ("1", {"TF_NUM_INTRAOP_THREADS": "2"}, 0),  # the user's own setting is left alone
])
def test_the_strategy_sets_threads_per_operation(asked, env, expected):
    from seqgen.text.sizing import op_threads

    assert op_threads("gru") == op_threads("lstm") == 1 and op_threads("gpt") is None
    proc = python_process(["-c", THREADS, asked], env={"TF_CPP_MIN_LOG_LEVEL": "3", **env},
                          stdout=PIPE, stderr=PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert json.loads(out.strip().splitlines()[-1]) == expected
