"""One trainer per run folder; a killed trainer's lock is taken over; readers never see a
half-written checkpoint while a trainer saves into the folder they read."""

import hashlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from seqgen import checkpoints
from seqgen.checkpoints import (
    LOCK_NAME,
    PREV_DIR,
    load_checkpoint,
    load_checkpoint_files,
    save_checkpoint,
)
from seqgen.errors import CheckpointError, OutputError
from tests.conftest import run_cli, start_process, wait_for_file


@pytest.mark.slow
def test_two_trainers_on_one_folder_exactly_one_is_refused(dinos, tmp_path):
    run = tmp_path / "x"
    args = ["train-dino", "--iters", "1500", "--save-every", "50", "--run", run]
    procs = [start_process(*args), start_process(*args)]
    results = [(p, *p.communicate(timeout=600)) for p in procs]
    refused = [(p, err) for p, _, err in results if p.returncode != 0]
    [winner] = [p for p, _, _ in results if p.returncode == 0]
    assert len(refused) == 1, [(p.returncode, err[-1500:]) for p, _, err in results]
    loser, err = refused[0]
    assert loser.returncode == 1 and "Traceback" not in err, err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert line == (f"seqgen: error: {run} is in use by another seqgen process (pid "
                    f"{winner.pid}); wait for it to finish or choose another --run"), line
    assert load_checkpoint(run, "dino-rnn")[0]["step"] == 1500
    assert run_cli("sample-dino", "--run", run, "-n", "2", "--seed", "0").exit_code == 0


@pytest.mark.slow
def test_the_lock_of_a_killed_trainer_is_taken_over(dinos, tmp_path):
    run = tmp_path / "x"
    proc = start_process("train-dino", "--iters", "10000000", "--save-every", "20", "--run", run,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_file(run / "meta.json", proc, timeout=120)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (run / LOCK_NAME).read_text().strip() == str(proc.pid)  # left behind, stale
    step = load_checkpoint(run, "dino-rnn")[0]["step"]
    r = run_cli("train-dino", "--resume", run, "--iters", step + 20, "--report-every", "1000")
    assert r.exit_code == 0, r.stderr
    assert load_checkpoint(run, "dino-rnn")[0]["step"] == step + 20
    assert (run / LOCK_NAME).read_text().strip() == str(os.getpid())  # this process took it


@pytest.mark.slow
def test_readers_always_load_one_complete_set_while_a_trainer_saves(dinos, tmp_path):
    run = tmp_path / "x"
    proc = start_process("train-dino", "--iters", "10000000", "--save-every", "1", "--run", run,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_file(run / "meta.json", proc, timeout=120)
        # read until the reads have met several saves (each read races the next save)
        steps, reads, deadline = set(), 0, time.monotonic() + 240
        while (len(steps) < 4 or reads < 20) and time.monotonic() < deadline:
            reads += 1
            meta, arrays, files = load_checkpoint_files(run, "dino-rnn", ("names.txt",))
            assert hashlib.sha256(files["names.txt"]).hexdigest() == meta["files"]["names.txt"]
            assert set(arrays) >= {"Wax", "Waa", "Wya", "b", "by"}
            steps.add(meta["step"])
            r = run_cli("sample-dino", "--run", run, "-n", "3", "--seed", "1", "--novel")
            assert r.exit_code == 0, r.stderr
        assert proc.poll() is None
        assert len(steps) > 1  # the trainer really saved while we read
    finally:
        proc.kill()
        proc.wait()


def _set(folder, step, names=b"a\nb\n"):
    save_checkpoint(folder, "k", {"step": step, "seed": 0, "config": {}, "vocab": None,
                                  "metrics": {}},
                    arrays={"w": np.full(3, float(step))}, extra_files={"names.txt": names})


def test_a_set_replaced_mid_read_loads_the_previous_complete_one(tmp_path, monkeypatch):
    run = tmp_path / "r"
    _set(run, 1)
    _set(run, 2)
    # a save stopped half way: step 3's data files are in place, its meta.json is not
    real = checkpoints.write_bytes_atomic

    def no_meta(path, data):
        if Path(path).name == "meta.json":
            raise OutputError(f"cannot write {path}: no space left on the device")
        real(path, data)

    monkeypatch.setattr(checkpoints, "write_bytes_atomic", no_meta)
    with pytest.raises(OutputError):
        _set(run, 3, names=b"c\n")
    assert (run / "names.txt").read_bytes() == b"c\n"
    meta, arrays, files = load_checkpoint_files(run, "k", ("names.txt",))
    assert meta["step"] == 2 and arrays["w"][0] == 2.0 and files == {"names.txt": b"a\nb\n"}
    assert meta["loaded_from"] == str(run / PREV_DIR)


def test_a_broken_set_without_backup_is_one_error_after_the_retries(tmp_path):
    run = tmp_path / "r"
    _set(run, 1)
    (run / "names.txt").write_bytes(b"changed")
    t0 = time.monotonic()
    with pytest.raises(CheckpointError, match=re.escape(f"checkpoint {run} is inconsistent: "
                                                        "names.txt does not match")):
        load_checkpoint_files(run, "k")
    assert time.monotonic() - t0 < 5  # a few short pauses, not a hang
    with pytest.raises(CheckpointError, match="lacks other.txt"):
        _set(run, 2)
        load_checkpoint_files(run, "k", ("other.txt",))
    meta = json.loads((run / "meta.json").read_text())
    assert meta["step"] == 2
