"""SIGTERM (what Kubernetes, Slurm and systemd send) stops every trainer like Ctrl-C: the
current step finishes, the state is saved, exit 143 with one line; --resume completes the run.
(train-jazz: tests/test_signal_phases.py, which stops every trainer in every phase.)"""

import signal
import threading

import numpy as np
import pytest

from seqgen.checkpoints import load_checkpoint
from tests.conftest import run_cli, start_process, stop_at, tiny_shakespeare, wait_for_file

pytestmark = pytest.mark.slow


def terminate_when(proc, ready):
    """Send SIGTERM once ``ready()``; return (exit status, stderr)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    ready(lines)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    reader.join(timeout=10)
    return proc.returncode, "".join(lines)


def the_line(err: str) -> str:
    assert "Traceback" not in err, err[-3000:]
    [line] = [line for line in err.splitlines() if line.startswith("seqgen: error:")]
    return line


def after_first_save(path):
    return lambda proc: lambda lines: wait_for_file(path, proc, timeout=300)


@pytest.mark.parametrize("extra", [[], ["--batch-size", "8"]], ids=["sgd", "batched"])
def test_sigterm_train_dino_resumes_to_the_uninterrupted_result(dinos, tmp_path, extra):
    n = 600
    whole = tmp_path / "whole"
    assert run_cli("train-dino", "--iters", n, "--seed", "3", "--run", whole, *extra
                   ).exit_code == 0
    run = tmp_path / "run"
    _, [line], _ = stop_at("step@260", signal.SIGTERM, "train-dino", "--iters", n, "--seed",
                           "3", "--save-every", "20", "--run", run, *extra)
    step = load_checkpoint(run, ("dino-rnn", "dino-batched"))[0]["step"]
    assert step == 260
    assert line == (f"seqgen: error: terminated (SIGTERM): checkpoint of iteration "
                    f"{step} saved to {run}; continue with --resume {run}")
    r = run_cli("train-dino", "--resume", run, "--iters", n)
    assert r.exit_code == 0, r.stderr
    a = load_checkpoint(whole, ("dino-rnn", "dino-batched"))[1]
    b = load_checkpoint(run, ("dino-rnn", "dino-batched"))[1]
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_sigterm_train_shakespeare_then_resume(tmp_path):
    cfg = tiny_shakespeare(tmp_path, 20_000, epochs=1000, units=16, embed=8, eval_every=10)
    run = tmp_path / "run"
    proc = start_process("train-shakespeare", "--config", cfg, "--run", run)
    code, err = terminate_when(proc, after_first_save(run / "last" / "meta.json")(proc))
    assert code == 143, err[-3000:]
    step = load_checkpoint(run / "last", "text-model")[0]["step"]
    assert the_line(err) == (f"seqgen: error: terminated (SIGTERM): checkpoint of step {step} "
                             f"saved to {run / 'last'}; continue with --resume {run}")
    r = run_cli("train-shakespeare", "--config", cfg, "--resume", run, "--max-steps", step + 5)
    assert r.exit_code == 0, r.stderr
    assert load_checkpoint(run / "last", "text-model")[0]["step"] == step + 5
