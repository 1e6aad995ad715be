"""generate-poem, evaluate and train-shakespeare through the CLI entry point.

Each test stands alone: the module-scoped fixtures build what several tests read, and a test
that changes a run works on its own copy. Fresh processes only where the process is the
subject: TensorFlow left unimported, Ctrl-C, logical CPUs, two workers.
"""

from __future__ import annotations

import json
import math
import shutil
import signal
import time

import numpy as np
import pytest

from seqgen.checkpoints import save_checkpoint
from tests.conftest import (
    ROOT,
    cli_once,
    dataset,
    loopback_cluster,
    one_error_line,
    run_cli,
    run_reporting_imports,
    start_process,
    tiny_shakespeare,
)

PROMPT = "Forsooth this maketh no sense"
KIND = "text-model"  # the kind train-shakespeare (like train-text) writes into meta.json
SHIPPED_KIND = "shakespeare-lstm"  # the shipped model's, written before the two were one
SHIPPED = ROOT / "seqgen" / "assets" / "shakespeare"  # the model generate-poem uses by default


def run_no_tf(*args, cwd=None):
    """A fresh process: the command's result and whether it imported TensorFlow or Keras."""
    r, [heavy] = run_reporting_imports(list(args), cwd=cwd)
    assert "EXIT" not in r.stderr, r.stderr[-2000:]
    return r, {"tensorflow", "keras"} & set(heavy)


def random_checkpoint(path, kind=KIND, units=12, embed=5, seed=0):
    """A valid checkpoint of random weights: enough to test sampling without training."""
    text = dataset("shakespeare.txt").read_text(encoding="utf-8").lower()
    vocab = sorted(set(text))
    rng = np.random.default_rng(seed)
    v, u4 = len(vocab), 4 * units
    shapes = {"embedding": (v, embed), "lstm1_kernel": (embed, u4),
              "lstm1_recurrent": (units, u4), "lstm1_bias": (u4,), "lstm2_kernel": (units, u4),
              "lstm2_recurrent": (units, u4), "lstm2_bias": (u4,), "dense_kernel": (units, v),
              "dense_bias": (v,)}
    arrays = {k: rng.normal(0, 0.5, s).astype(np.float32) for k, s in shapes.items()}
    save_checkpoint(path, kind, {"step": 1, "epoch": 1, "seed": seed, "vocab": vocab,
                                 "config": {"embed": embed, "units": units, "warmup": 100,
                                            "val_fraction": 0.1,
                                            "data": str(dataset("shakespeare.txt"))},
                                 "metrics": {"val_loss": 3.0}}, arrays=arrays)
    return path


# ---------------------------------------------------------------- the shipped model

def test_shipped_model_is_small_and_good_enough():
    meta = json.loads((SHIPPED / "meta.json").read_text())
    assert meta["kind"] == SHIPPED_KIND
    assert meta["metrics"]["val_loss"] <= 1.60
    assert (SHIPPED / "weights.npz").stat().st_size < 5_000_000


def test_generate_poem_default_model_is_reproducible_without_tensorflow():
    a, tf = run_no_tf("generate-poem", PROMPT, "--seed", "7")
    assert a.exit_code == 0, a.stderr
    assert not tf, tf
    assert a.stdout.startswith(PROMPT)
    assert len(a.stdout) == len(PROMPT) + 400 + 1  # 400 characters and print's newline
    b = run_cli("generate-poem", PROMPT, "--seed", "7")
    c = run_cli("generate-poem", PROMPT, "--seed", "8")
    assert b.exit_code == 0 and b.stdout == a.stdout
    assert c.stdout != a.stdout
    unseeded = run_cli("generate-poem", PROMPT, "--length", "60")
    seed = unseeded.stderr.split()[1]
    assert unseeded.stderr.startswith("seed: ")
    assert run_cli("generate-poem", PROMPT, "--length", "60", "--seed", seed).stdout == \
        unseeded.stdout
    words = a.stdout[len(PROMPT):].split()
    assert sum(w.strip(",.;:!?'") in {"the", "and", "thy", "thou", "my", "to", "of", "i", "in",
                                      "that", "love", "with", "me", "is", "not"}
               for w in words) >= 5  # the shipped model writes English-like words


def test_evaluate_shipped_model_without_tensorflow():
    r, tf = run_no_tf("evaluate")
    assert r.exit_code == 0, r.stderr
    assert not tf, tf
    fields = dict(kv.split("=") for kv in r.stdout.split())
    assert set(fields) == {"test_loss", "bits_per_char", "perplexity", "part", "characters"}
    test = float(fields["test_loss"])
    assert test <= 1.60 and fields["part"] == "test"
    assert float(fields["bits_per_char"]) == pytest.approx(test / math.log(2), abs=1e-3)
    assert float(fields["perplexity"]) == pytest.approx(math.exp(test), rel=1e-3)
    meta = json.loads((SHIPPED / "meta.json").read_text())
    assert meta["command"] == "seqgen train-shakespeare --out runs/shakespeare-ship"
    split = meta["split"]
    assert int(fields["characters"]) == split["characters"] - split["validation_end"]
    v = run_cli("evaluate", "--part", "validation")  # what chose the checkpoint
    assert float(v.stdout.split()[0].split("=")[1]) == pytest.approx(
        meta["metrics"]["val_loss"], abs=1e-3)
    assert test != pytest.approx(meta["metrics"]["val_loss"], abs=1e-3)


# ---------------------------------------------------------------- generate-poem

def test_lines_stops_after_n_lines_and_empty_prompt_is_allowed(tmp_path):
    ckpt = random_checkpoint(tmp_path / "m")
    r = run_cli("generate-poem", "", "--run", ckpt, "--seed", "1", "--lines", "2",
                "--length", "5000", "--temperature", "0.6")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("\n") <= 2 and r.stdout.endswith("\n")
    r2 = run_cli("generate-poem", "", "--run", ckpt, "--seed", "1", "--length", "50")
    assert r2.exit_code == 0 and len(r2.stdout) == 51


def test_unknown_prompt_characters_are_named_and_skipped(tmp_path):
    ckpt = random_checkpoint(tmp_path / "m")
    prompt = "Café at 42 ☃ o'clock"
    r = run_cli("generate-poem", prompt, "--run", ckpt, "--seed", "3", "--length", "20")
    assert r.exit_code == 0, r.stderr
    assert "Traceback" not in r.stderr and "KeyError" not in r.stderr
    assert "'2', '4', 'é', '☃'" in r.stderr
    assert r.stdout.startswith(prompt) and len(r.stdout) == len(prompt) + 21
    # skipping: the model read the prompt without them, so the poem is that prompt's poem
    known = "".join(c for c in prompt if c not in "é42☃")
    clean = run_cli("generate-poem", known, "--run", ckpt, "--seed", "3", "--length", "20")
    assert clean.stdout[len(known):] == r.stdout[len(prompt):]
    assert clean.stderr.strip() == ""


@pytest.mark.parametrize("args,match", [
    (["--length", "0"], "--length"), (["--length", "-5"], "--length"),
    (["--temperature", "0"], "--temperature"), (["--temperature", "-1"], "--temperature"),
    (["--temperature", "nan"], "--temperature"), (["--lines", "0"], "--lines"),
])
def test_generate_poem_out_of_range_options(tmp_path, args, match):
    ckpt = random_checkpoint(tmp_path / "m")
    r = run_cli("generate-poem", "hi", "--run", ckpt, *args)
    assert match in one_error_line(r)
    assert r.stdout == ""


@pytest.mark.slow
def test_wrong_kind_corrupt_and_missing_checkpoints(tmp_path):
    wrong = random_checkpoint(tmp_path / "w", kind="dino-rnn")
    assert "dino-rnn" in one_error_line(run_cli("generate-poem", "x", "--run", wrong))
    corrupt = random_checkpoint(tmp_path / "c")
    (corrupt / "weights.npz").write_bytes(b"PK\x03\x04 not really")
    for cmd in (["generate-poem", "x"], ["evaluate"]):
        r = run_cli(*cmd, "--run", corrupt)
        assert "corrupt" in one_error_line(r) or "inconsistent" in one_error_line(r)
        assert r.stdout == ""
    assert "not found" in one_error_line(run_cli("evaluate", "--run", tmp_path / "no"))
    bad_meta = random_checkpoint(tmp_path / "b")
    meta = json.loads((bad_meta / "meta.json").read_text())
    meta["config"]["units"] = 13  # does not fit the arrays
    (bad_meta / "meta.json").write_text(json.dumps(meta))
    assert "shape" in one_error_line(run_cli("generate-poem", "x", "--run", bad_meta))


def test_evaluate_recomputes_and_checks_the_data(tmp_path):
    ckpt = random_checkpoint(tmp_path / "m")
    r = run_cli("evaluate", "--run", ckpt)
    assert r.exit_code == 0, r.stderr
    assert 3.0 < float(r.stdout.split()[0].split("=")[1]) < 10.0  # random weights: bad
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "u.txt").write_text("unknown digits 0123456789 " * 20)
    for name, match in (("e.txt", "empty"), ("b.txt", "binary"), ("u.txt", "'0'"),
                        ("missing.txt", "not found")):
        r = run_cli("evaluate", "--run", ckpt, "--data", tmp_path / name)
        assert match in one_error_line(r) and r.stdout == ""


# ---------------------------------------------------------------- train-shakespeare

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny config (tiny.yaml) and the first 4,000 characters of the sonnets (tiny.txt)."""
    work = tmp_path_factory.mktemp("shakespeare")
    tiny_shakespeare(work, 4000)
    return work


def train(tiny, *args, env=None):
    return run_cli("train-shakespeare", "--config", tiny / "tiny.yaml", *args, env=env)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-epoch run with seed 3 on ``tiny``'s text: (run folder, result), trained once for
    all workers. Tests read it and never change it."""
    def make(folder):
        tiny_shakespeare(folder, 4000)
        return train(folder, "--run", folder / "run", "--seed", "3")

    folder, r = cli_once(tmp_path_factory, "sonnets-tiny-seed-3", make)
    return folder / "run", r


@pytest.mark.slow
def test_tiny_training_run_end_to_end(trained):
    out, r = trained
    assert "replicas: 1 (global batch 8)" in r.stderr
    assert "epoch 1: train_loss" in r.stderr and "epoch 2: train_loss" in r.stderr
    assert r.stdout == ""
    meta = json.loads((out / "meta.json").read_text())
    assert meta["kind"] == KIND and meta["config"]["units"] == 16
    val = meta["metrics"]["val_loss"]
    assert 0 < val < math.log(len(meta["vocab"]))  # better than uniform guessing
    assert [h["epoch"] for h in meta["history"]] == [1, 2]
    assert min(h["val_loss"] for h in meta["history"]) == pytest.approx(val, abs=1e-4)
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    last = json.loads((out / "last" / "meta.json").read_text())
    assert last["state"]["optimizer_variables"] > 0 and last["epoch"] == 2
    # evaluate recomputes the stored figure (float64 here, float32 during training)
    e = run_cli("evaluate", "--run", out, "--part", "validation")
    assert e.exit_code == 0, e.stderr
    assert e.stdout.startswith("val_loss=") and "part=validation" in e.stdout
    assert float(e.stdout.split()[0].split("=")[1]) == pytest.approx(val, abs=2e-4)
    t = run_cli("evaluate", "--run", out)  # by default the test part, never chosen on
    assert t.exit_code == 0 and t.stdout.startswith("test_loss=") and "part=test" in t.stdout
    assert "scored the test part" in t.stderr
    g, tf = run_no_tf("generate-poem", "shall i", "--run", out, "--seed", "1",
                      "--length", "30")
    assert g.exit_code == 0 and not tf, (g.stderr, tf)
    assert g.stdout.startswith("shall i") and len(g.stdout) == len("shall i") + 31


@pytest.mark.slow
def test_same_seed_same_model(trained, tiny):
    out, _ = trained
    weights = (out / "weights.npz").read_bytes()
    again = train(tiny, "--run", tiny / "again", "--seed", "3")
    other = train(tiny, "--run", tiny / "other", "--seed", "4")
    assert again.exit_code == 0 and other.exit_code == 0
    assert (tiny / "again" / "weights.npz").read_bytes() == weights
    assert (tiny / "other" / "weights.npz").read_bytes() != weights


@pytest.mark.slow
def test_resume_continues_to_the_total_epochs(trained, tiny, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained[0], out)  # the shared run stays as trained
    before = json.loads((out / "last" / "meta.json").read_text())
    r = train(tiny, "--resume", out, "--epochs", "3")
    assert r.exit_code == 0, r.stderr
    assert "epoch 3: train_loss" in r.stderr and "epoch 1:" not in r.stderr
    after = json.loads((out / "last" / "meta.json").read_text())
    assert after["epoch"] == 3 and after["step"] > before["step"]
    assert after["history"][:2] == before["history"]
    again = train(tiny, "--resume", out, "--epochs", "3")
    assert again.exit_code == 0 and "nothing to train" in again.stderr


@pytest.mark.slow
def test_max_steps_and_time_budget_stop_early(tiny):
    r = train(tiny, "--run", tiny / "steps", "--max-steps", "3", "--epochs", "50")
    assert r.exit_code == 0, r.stderr
    assert "stopped by max-steps" in r.stderr
    meta = json.loads((tiny / "steps" / "meta.json").read_text())
    assert meta["step"] == 3 and "val_loss" in meta["metrics"]
    r = train(tiny, "--run", tiny / "budget", "--time-budget", "0.001", "--epochs", "50")
    assert r.exit_code == 0, r.stderr
    assert "stopped by time-budget" in r.stderr
    assert json.loads((tiny / "budget" / "meta.json").read_text())["step"] == 1


# The mirrored strategy (two logical CPUs, global batch = replicas x batch) is checked in
# keras_loop/test_distribute_cli.py::test_mirrored_shakespeare_acceptance.


@pytest.mark.slow
def test_ctrl_c_saves_the_state_and_exits_130(tiny):
    out = tiny / "interrupted"
    proc = start_process("train-shakespeare", "--config", tiny / "tiny.yaml", "--run", out,
                         "--epochs", "1000", stdout=None)
    seen = ""
    deadline = time.monotonic() + 240
    while "epoch 1:" not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130, seen + rest
    assert "interrupted" in rest and "Traceback" not in rest
    last = json.loads((out / "last" / "meta.json").read_text())
    assert 1 <= last["epoch"] < 1000
    # the state of the interrupted step: an evaluation part way into an epoch
    resumed = train(tiny, "--resume", out, "--epochs", str(int(last["epoch"]) + 1))
    assert resumed.exit_code == 0, resumed.stderr


@pytest.mark.parametrize("case", ["missing", "empty", "binary", "directory", "out-is-file",
                                  "wrong-kind-resume", "bad-option"])
def test_train_bad_input_is_one_line(tmp_path, tiny, case):
    args = ["--run", tmp_path / "run"]
    if case == "missing":
        args += ["--data", tmp_path / "nope.txt"]
    elif case == "empty":
        (tmp_path / "e.txt").write_bytes(b"")
        args += ["--data", tmp_path / "e.txt"]
    elif case == "binary":
        (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02" * 100)
        args += ["--data", tmp_path / "b.txt"]
    elif case == "directory":
        args += ["--data", tmp_path]
    elif case == "out-is-file":
        (tmp_path / "f").write_text("x")
        args = ["--run", tmp_path / "f"]
    elif case == "wrong-kind-resume":
        args = ["--resume", random_checkpoint(tmp_path / "w", kind="dino-rnn")]
    else:
        args += ["--batch-size", "0"]
    r = train(tiny, *args)
    one_error_line(r)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_two_workers_stop_together_when_one_budget_runs_out(tiny):
    """Only worker 0 has a time budget; worker 1 must leave at the same step, not hang."""
    cluster = loopback_cluster(2)
    out = tiny / "workers"
    procs = []
    for index, extra in ((0, ["--time-budget", "0.001"]), (1, [])):
        env = {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {
            "type": "worker", "index": index}})}
        procs.append(start_process(
            "train-shakespeare", "--config", tiny / "tiny.yaml", "--run", out, "--strategy",
            "multiworker", "--epochs", "5", *extra, env=env))
    try:
        errs = [p.communicate(timeout=240)[1] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], errs
    assert "replicas: 2 (global batch 16)" in errs[0]
    assert "stopped by time-budget" in errs[0] and "stopped by another worker" in errs[1]
    assert json.loads((out / "meta.json").read_text())["step"] == 1
