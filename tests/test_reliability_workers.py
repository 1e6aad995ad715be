"""A multi-worker pair loses a worker (SIGKILL): the survivor says so in one line and exits 75;
both restarted with --resume continue from the last checkpoint's step. Loopback only."""

import json
import os
import signal
import subprocess
import time

import pytest

from seqgen.checkpoints import load_checkpoint
from seqgen.errors import WorkerLost
from tests.conftest import loopback_cluster, start_process, tiny_shakespeare, wait_for_step

pytestmark = pytest.mark.slow
KIND = "text-model"


def start_pair(args, tmp_path, tag):
    cluster = loopback_cluster(2)
    procs = []
    for index in range(2):
        env = {"TF_CONFIG": json.dumps({"cluster": cluster,
                                        "task": {"type": "worker", "index": index}})}
        cwd = tmp_path / f"{tag}{index}"
        cwd.mkdir()
        procs.append(start_process(*args, cwd=cwd, env=env))
    return procs


def finish(procs, timeout):
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results.append((p.returncode, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return results


@pytest.mark.parametrize("victim", [1, 0], ids=["worker 1 killed", "chief killed"])
def test_lost_worker_is_one_line_and_resume_continues(tmp_path, victim):
    cfg = tiny_shakespeare(tmp_path, 20_000, epochs=1000, units=16, embed=8, eval_every=10)
    out = tmp_path / "run"
    args = ["train-shakespeare", "--config", cfg, "--strategy", "multiworker", "--run", out]
    procs = start_pair(args, tmp_path, "a")
    try:
        # mid-training, past the first save (one every 10 steps)
        wait_for_step(out / "last" / "meta.json", procs, 10, timeout=240)
        os.kill(procs[victim].pid, signal.SIGKILL)
        killed = time.monotonic()
        survivor = procs[1 - victim]
        try:
            _, err = survivor.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the survivor still runs 60 s after its peer was killed")
        took = time.monotonic() - killed
    finally:
        finish(procs, 5)
    assert survivor.returncode == WorkerLost.exit_code == 75, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "never on a public interface" in warnings[0]
    [line] = [line for line in err.splitlines() if line.startswith("seqgen: error:")]
    step = load_checkpoint(out / "last", KIND)[0]["step"]
    assert f"worker {victim} " in line and "stopped responding" in line, line
    assert f"step {step};" in line and line.endswith(f"--resume {out}"), (line, step)
    print(f"survivor exited {took:.1f} s after the kill: {line}")

    if victim == 0:
        return  # the restart is the same whoever was lost: checked once, after worker 1
    # both restarted with the same command plus --resume continue from that step
    results = finish(start_pair([*args, "--resume", out, "--max-steps", step + 10], tmp_path,
                                "b"), 300)
    for code, err in results:
        assert code == 0, err[-3000:]
    meta = load_checkpoint(out / "last", KIND)[0]
    assert meta["step"] == step + 10
    assert meta["history"][-1]["step"] == step + 10
