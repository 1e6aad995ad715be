"""A multi-worker pair loses a worker (SIGKILL): the survivor says so in one line and exits 75;
both restarted with --resume continue from the last checkpoint's step. Loopback only."""

import json
import os
import signal
import subprocess

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


def test_lost_worker_is_one_line_and_resume_continues(tmp_path):
    """Two pairs at once, one losing worker 1, the other its chief (worker 0): the chief
    notices a lost worker only when its heartbeats stop (seconds of waiting), which the
    other pair's run fills."""
    cfg = tiny_shakespeare(tmp_path, 20_000, epochs=1000, units=16, embed=8, eval_every=10)
    runs = {victim: tmp_path / f"run{victim}" for victim in (1, 0)}
    args = {victim: ["train-shakespeare", "--config", cfg, "--strategy", "multiworker",
                     "--run", out] for victim, out in runs.items()}
    pairs = {victim: start_pair(args[victim], tmp_path, f"a{victim}-") for victim in runs}
    errors = {}
    try:
        for victim, procs in pairs.items():
            # mid-training, past the first save (one every 10 steps)
            wait_for_step(runs[victim] / "last" / "meta.json", procs, 10, timeout=240)
            os.kill(procs[victim].pid, signal.SIGKILL)
        for victim, procs in pairs.items():
            survivor = procs[1 - victim]
            try:
                _, errors[victim] = survivor.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the survivor still runs 60 s after worker {victim} was killed")
    finally:
        for procs in pairs.values():
            finish(procs, 5)
    for victim, err in errors.items():
        out = runs[victim]
        assert pairs[victim][1 - victim].returncode == WorkerLost.exit_code == 75, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
        assert len(warnings) == 1 and "never on a public interface" in warnings[0]
        [line] = [line for line in err.splitlines() if line.startswith("seqgen: error:")]
        step = load_checkpoint(out / "last", KIND)[0]["step"]
        assert f"worker {victim} " in line and "stopped responding" in line, line
        assert f"step {step};" in line and line.endswith(f"--resume {out}"), (line, step)

    # both restarted with the same command plus --resume continue from that step (the
    # restart is the same whoever was lost: checked once, after worker 1)
    out = runs[1]
    step = load_checkpoint(out / "last", KIND)[0]["step"]
    results = finish(start_pair([*args[1], "--resume", out, "--max-steps", step + 10],
                                tmp_path, "b"), 300)
    for code, err in results:
        assert code == 0, err[-3000:]
    meta = load_checkpoint(out / "last", KIND)[0]
    assert meta["step"] == step + 10
    assert meta["history"][-1]["step"] == step + 10
