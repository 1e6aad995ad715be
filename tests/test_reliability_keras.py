"""kill -9 at random moments during the Keras trainings never leaves an unloadable run."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, dataset, run_cli

pytestmark = pytest.mark.slow

TINY = """\
epochs: 1000
batch_size: 8
seq_length: 16
embed: 4
units: 8
dropout: 0.0
warmup: 20
"""


def kill_at_random(args, run, rng, cwd):
    proc = subprocess.Popen([sys.executable, "-m", "seqgen", *map(str, args)], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (run / "meta.json").exists():  # wait for the first complete save
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)
    time.sleep(rng.uniform(0.0, 1.5))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_9_during_train_shakespeare(tmp_path):
    text = dataset("shakespeare.txt").read_text(encoding="utf-8")[:3000]
    (tmp_path / "tiny.txt").write_text(text, encoding="utf-8")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY + f"data: {tmp_path / 'tiny.txt'}\n")
    rng = random.Random(7)
    for attempt in range(3):
        run = tmp_path / f"run{attempt}"
        kill_at_random(["train-shakespeare", "--config", cfg, "--out", run], run, rng, ROOT)
        poem = run_cli("generate-poem", "the", "--checkpoint", run, "--seed", "1",
                       "--length", "20")
        assert poem.returncode == 0, (attempt, poem.stderr)
        resumed = run_cli("train-shakespeare", "--config", cfg, "--resume", run,
                          "--max-steps", "100000", "--epochs", "1")
        assert resumed.returncode == 0, (attempt, resumed.stderr)


def test_kill_9_during_train_jazz(tmp_path):
    midi = dataset("original_metheny.mid")
    rng = random.Random(11)
    for attempt in range(2):
        run = tmp_path / f"jazz{attempt}"
        # a first short run leaves a checkpoint; the second is killed while continuing it
        first = run_cli("train-jazz", "--midi", midi, "--epochs", "2", "--checkpoint", run,
                        "--out", tmp_path / "a.midi", "--seed", "1")
        assert first.returncode == 0, first.stderr
        kill_at_random(["train-jazz", "--midi", midi, "--epochs", "100000", "--checkpoint",
                        run, "--out", tmp_path / "b.midi", "--resume", run], run, rng, ROOT)
        gen = run_cli("generate-jazz", "--checkpoint", run, "--out", tmp_path / "c.midi",
                      "--seed", "2", "--measures", "2")
        assert gen.returncode == 0, (attempt, gen.stderr)
