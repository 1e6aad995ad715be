"""Ctrl-C, kill -9 and NaN guard on real training processes (the NumPy trainer)."""

import json
import os
import random
import signal

import pytest

from seqgen.checkpoints import load_checkpoint
from tests.conftest import run_cli, start_process, wait_for_file, wait_for_step


def start_training(*args):
    return start_process("train-dino", *args)


@pytest.mark.slow
def test_ctrl_c_saves_and_exits_130(dinos, tmp_path):
    run = tmp_path / "run"
    proc = start_training("--iters", "10000000", "--save-every", "500", "--run", run)
    wait_for_file(run / "meta.json", proc, timeout=60)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if "error" in line or "interrupted" in line]
    assert len(lines) == 1 and str(run) in lines[0] and "Traceback" not in err
    meta = json.loads((run / "meta.json").read_text())
    assert f"iteration {meta['step']} " in lines[0]
    resumed = run_cli("sample-dino", "--run", run, "-n", "2", "--seed", "0")
    assert resumed.exit_code == 0, resumed.stderr


@pytest.mark.slow
def test_kill_9_never_leaves_an_unloadable_checkpoint(dinos, tmp_path):
    rng = random.Random(1234)
    for attempt in range(6):
        run = tmp_path / f"run{attempt}"
        proc = start_training("--iters", "10000000", "--save-every", "7", "--run", run)
        # right after one of the first saves, at random: the next may be half written
        wait_for_step(run / "meta.json", proc, 7 * (1 + rng.randrange(40)), timeout=60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        r = run_cli("sample-dino", "--run", run, "-n", "2", "--seed", "0")
        assert r.exit_code == 0, (attempt, r.stderr)
        step = load_checkpoint(run, "dino-rnn")[0]["step"]
        resumed = run_cli("train-dino", "--resume", run, "--iters", step + 100,
                          "--report-every", "100000")
        assert resumed.exit_code == 0, resumed.stderr
        assert load_checkpoint(run, "dino-rnn")[0]["step"] == step + 100


def test_nan_loss_stops_and_keeps_last_good_checkpoint(dinos, tmp_path):
    run = tmp_path / "run"
    assert run_cli("train-dino", "--iters", "50", "--run", run).exit_code == 0
    before = (run / "weights.npz").read_bytes()
    r = run_cli("train-dino", "--iters", "500", "--lr", "1e300", "--clip", "1e300",
                "--run", run)
    assert r.exit_code == 1
    assert "loss became" in r.stderr and "Traceback" not in r.stderr
    assert (run / "weights.npz").read_bytes() == before
    assert json.loads((run / "meta.json").read_text())["step"] == 50
