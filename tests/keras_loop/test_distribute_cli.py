"""Scale-out acceptance through the real commands, on loopback only."""

import json

import pytest

from seqgen.checkpoints import load_checkpoint
from tests.conftest import DATA, loopback_cluster, run_cli, run_process, start_process

pytestmark = pytest.mark.slow


def worker_leftovers(tmpdir):
    """seqgen's temporary worker folders still present (music21 keeps its own scratch)."""
    return [p for p in tmpdir.iterdir() if p.name.startswith("seqgen-")]


def run_workers(args: list[str], workdirs: list, timeout: int = 300) -> list:
    cluster = loopback_cluster(len(workdirs))
    procs = []
    for index, cwd in enumerate(workdirs):
        tmp = cwd.parent / f"tmp{index}"  # each worker's TMPDIR, checked empty afterwards
        tmp.mkdir()
        env = {"TMPDIR": str(tmp), "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(start_process(*args, cwd=cwd, env=env))
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            results.append((p.returncode, out, err))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return results


# The preset's recipe on the whole sonnets, narrowed (the strategies do not depend on the
# width; a 2 x 256 network would spend seconds scoring the validation part)
NARROW = ["--set", "units=32", "--set", "embed=8"]


def test_mirrored_shakespeare_acceptance(tmp_path):
    out = tmp_path / "mirrored"
    # a fresh process: the logical-CPU split must precede TensorFlow's start-up
    r = run_process("train-shakespeare", "--strategy", "mirrored", "--epochs", "1",
                    "--max-steps", "6", "--batch-size", "8", "--run", out, *NARROW,
                    env={"SEQGEN_LOGICAL_CPUS": "2"})
    assert r.exit_code == 0, r.stderr[-2000:]
    assert "replicas: 2 (global batch 16)" in r.stderr  # --batch-size is per replica
    meta, _ = load_checkpoint(out, "text-model")
    assert meta["step"] == 6 and meta["config"]["strategy"] == "mirrored"
    assert meta["config"]["units"] == 32 and meta["config"]["layers"] == 2


@pytest.mark.parametrize("arch, shape", [("gru", ["--embed", "8"]), ("gpt", ["--heads", "2"])])
def test_mirrored_train_text_for_the_other_architectures(tmp_path, arch, shape):
    out = tmp_path / arch
    r = run_process("train-text", "--strategy", "mirrored", "--arch", arch, "--units", "16",
                    "--layers", "1", "--context", "16", *shape, "--max-steps", "6",
                    "--eval-every", "3", "--batch-size", "4", "--run", out,
                    "--data", DATA / "shakespeare.txt", env={"SEQGEN_LOGICAL_CPUS": "2"})
    assert r.exit_code == 0, r.stderr[-2000:]
    assert "replicas: 2 (global batch 8)" in r.stderr
    meta, _ = load_checkpoint(out, "text-model")
    assert meta["config"]["arch"] == arch and meta["config"]["strategy"] == "mirrored"
    g = run_cli("generate-text", "Shall", "--run", out, "--seed", "1", "--length", "9")
    assert g.exit_code == 0 and len(g.stdout) == len("Shall") + 9 + 1, g.stderr


def test_two_shakespeare_workers_train_together_and_the_chief_generates(tmp_path):
    dirs = [tmp_path / "chief", tmp_path / "worker"]
    for d in dirs:
        d.mkdir()
    out = tmp_path / "run"
    results = run_workers(["train-shakespeare", "--strategy", "multiworker", "--epochs", "1",
                           "--max-steps", "6", "--run", str(out), *NARROW,
                           "--data", str(DATA / "shakespeare.txt")], dirs)
    for code, _, err in results:
        assert code == 0, err[-2000:]
        assert "replicas: 2" in err
    meta, _ = load_checkpoint(out, "text-model")
    assert meta["step"] == 6
    # the worker wrote its copy to a temporary folder and removed it
    assert list(dirs[1].iterdir()) == [] and not worker_leftovers(tmp_path / "tmp1")
    poem = run_cli("generate-poem", "shall i compare thee", "--run", out, "--seed", "3",
                   "--length", "60")
    assert poem.exit_code == 0, poem.stderr
    assert poem.stdout.startswith("shall i compare thee") and len(poem.stdout) > 60


def test_two_jazz_workers_train_together(tmp_path):
    dirs = [tmp_path / "chief", tmp_path / "worker"]
    for d in dirs:
        d.mkdir()
    results = run_workers(["train-jazz", "--strategy", "multiworker", "--epochs", "3",
                           "--run", str(tmp_path / "jazz"), "--out", "solo.midi",
                           "--midi", str(DATA / "original_metheny.mid"),
                           "--seed", "1"], dirs)
    for code, _, err in results:
        assert code == 0, err[-2000:]
        assert "replicas: 2" in err
    meta, _ = load_checkpoint(tmp_path / "jazz", "jazz-lstm")
    assert meta["metrics"]["loss_per_token"] > 0
    assert (dirs[0] / "solo.midi").is_file() and not (dirs[1] / "solo.midi").exists()
    assert not worker_leftovers(tmp_path / "tmp1")
