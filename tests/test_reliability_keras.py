"""kill -9 at random moments during the Keras trainings never leaves an unloadable run."""

import os
import random
import signal
import subprocess

import pytest

from tests.conftest import (
    copy_run,
    dataset,
    run_cli,
    start_process,
    tiny_shakespeare,
    wait_for_step,
)

pytestmark = pytest.mark.slow


def kill_at_random(args, meta, rng):
    """Kill -9 right after one of the first saves, chosen at random (the next save may be
    half written then): an event of the run, never a moment on the clock."""
    proc = start_process(*args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = wait_for_step(meta, proc, 1)
    wait_for_step(meta, proc, first * (1 + rng.randrange(4)))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_9_during_train_shakespeare(tmp_path):
    cfg = tiny_shakespeare(tmp_path, 3000, epochs=1000, units=8, dropout=0.0, lr=None)
    rng = random.Random(7)
    for attempt in range(2):
        run = tmp_path / f"run{attempt}"
        kill_at_random(["train-shakespeare", "--config", cfg, "--run", run],
                       run / "last" / "meta.json", rng)
        poem = run_cli("generate-poem", "the", "--run", run, "--seed", "1",
                       "--length", "20")
        assert poem.exit_code == 0, (attempt, poem.stderr)
        resumed = run_cli("train-shakespeare", "--config", cfg, "--resume", run,
                          "--max-steps", "100000", "--epochs", "1")
        assert resumed.exit_code == 0, (attempt, resumed.stderr)


def test_kill_9_during_train_jazz(tmp_path, jazz_two_epochs):
    midi = dataset("original_metheny.mid")
    rng = random.Random(11)
    for attempt in range(2):
        # a short run's checkpoint (train-jazz --epochs 2 --seed 1), killed while continuing it
        run = copy_run(jazz_two_epochs, tmp_path / f"jazz{attempt}")
        kill_at_random(["train-jazz", "--midi", midi, "--epochs", "100000", "--save-every",
                        "1", "--run", run, "--out", tmp_path / "b.midi", "--resume",
                        run], run / "meta.json", rng)
        gen = run_cli("generate-jazz", "--run", run, "--out", tmp_path / "c.midi",
                      "--seed", "2", "--measures", "2")
        assert gen.exit_code == 0, (attempt, gen.stderr)
