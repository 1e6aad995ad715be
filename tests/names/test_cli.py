"""train-dino / sample-dino through the CLI entry point, and the reference trajectory."""

import json
import re
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, cli_once, dataset, run_cli

LOSS_LINE = re.compile(r"^Iteration: (\d+), Loss: (\d+\.\d{6})$", re.M)

# the course's reference trajectory (iteration, smoothed loss, first sampled name)
REFERENCE = [(0, "23.087336", "Nkzxwtdmfqoeyhsqwasjkjvu"),
             (1000, "28.712699", "Nivusahidoraveros"),
             (2000, "27.884160", "Liusskeomnolxeros")]


def reports(stdout: str) -> dict[int, tuple[str, list[str]]]:
    out = {}
    blocks = stdout.strip().split("\n\n")
    for block in blocks:
        lines = block.strip().splitlines()
        m = LOSS_LINE.match(lines[0])
        assert m, f"unexpected report block: {lines[:2]}"
        out[int(m.group(1))] = (m.group(2), lines[1:])
    return out


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    """train-dino with the reference settings for 2001 iterations: (run folder, result)."""
    dataset("dinos.txt")
    folder, result = cli_once(tmp_path_factory, "dino-reference-2001",
                              lambda work: run_cli("train-dino", "--iters", "2001", "--run",
                                                   work / "run"))
    return folder / "run", result


def test_train_dino_reproduces_reference_trajectory(reference_run):
    run, result = reference_run
    got = reports(result.stdout)
    assert sorted(got) == [0, 1000, 2000]
    for step, loss, first_name in REFERENCE:
        assert got[step][0] == loss
        assert got[step][1][0] == first_name
        assert len(got[step][1]) == 7
    meta = json.loads((run / "meta.json").read_text())
    assert meta["kind"] == "dino-rnn" and meta["step"] == 2001
    assert meta["vocab"][0] == "\n" and len(meta["vocab"]) == 27
    assert "saved checkpoint" in result.stderr


@pytest.mark.slow
def test_trajectory_matches_reference_loop_through_10000(dinos, tmp_path):
    """seqgen's printed losses and names equal a reference-style loop's to 6 decimals."""
    sys.path.insert(0, str(ROOT / "bench"))
    import dino_reference

    _, ref = dino_reference.train(str(dinos), 10001, out=None)
    result = run_cli("train-dino", "--iters", "10001", "--run", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    got = reports(result.stdout)
    assert sorted(got) == sorted(ref)
    for step, (loss, names) in ref.items():
        assert got[step][0] == f"{loss:f}", step
        assert got[step][1] == names, step


def test_sample_dino_reproducible_and_novel(dinos, reference_run):
    run, _ = reference_run
    a = run_cli("sample-dino", "--run", run, "-n", "8", "--seed", "5")
    b = run_cli("sample-dino", "--run", run, "-n", "8", "--seed", "5")
    c = run_cli("sample-dino", "--run", run, "-n", "8", "--seed", "6")
    assert a.exit_code == 0, a.stderr
    names = a.stdout.split()
    assert len(names) == 8 and a.stdout == b.stdout and a.stdout != c.stdout
    novel = run_cli("sample-dino", "--run", run, "-n", "20", "--seed", "1", "--novel")
    training = {line.strip() for line in dinos.read_text().lower().splitlines()}
    novel_names = novel.stdout.split()
    assert len(novel_names) == 20 and len(set(novel_names)) == 20
    assert not {n.lower() for n in novel_names} & training
    cold = run_cli("sample-dino", "--run", run, "-n", "30", "--seed", "1",
                   "--temperature", "0.3")
    hot = run_cli("sample-dino", "--run", run, "-n", "30", "--seed", "1",
                  "--temperature", "3")
    # low temperature concentrates on frequent endings; high temperature scatters
    assert len(set(cold.stdout.split())) < len(set(hot.stdout.split()))


def test_any_alphabet(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Ørjan\nÅse\nJosé\nZoë\nBjörk\n" * 5, encoding="utf-8")
    run = tmp_path / "run"
    r = run_cli("train-dino", "--data", names, "--iters", "50", "--report-every", "25",
                "--run", run)
    assert r.exit_code == 0, r.stderr
    vocab = json.loads((run / "meta.json").read_text())["vocab"]
    assert "ø" in vocab and "é" in vocab
    s = run_cli("sample-dino", "--run", run, "-n", "3", "--seed", "0")
    assert s.exit_code == 0 and len(s.stdout.split()) == 3


def test_resume_equals_straight_run(dinos, tmp_path):
    """300 + 200 iterations with --resume equal 500 straight, to 1e-12."""
    straight, part = tmp_path / "straight", tmp_path / "part"
    assert run_cli("train-dino", "--iters", "500", "--run", straight).exit_code == 0
    assert run_cli("train-dino", "--iters", "300", "--run", part).exit_code == 0
    r = run_cli("train-dino", "--iters", "500", "--resume", part)
    assert r.exit_code == 0, r.stderr
    a = np.load(straight / "weights.npz")
    b = np.load(part / "weights.npz")
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-12)
    ma = json.loads((straight / "meta.json").read_text())
    mb = json.loads((part / "meta.json").read_text())
    assert mb["step"] == 500 and abs(ma["metrics"]["smoothed_loss"]
                                     - mb["metrics"]["smoothed_loss"]) < 1e-12


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_minibatch_training_and_resume(dinos, tmp_path, cell):
    common = ["--cell", cell, "--batch-size", "16", "--val-split", "0.1", "--report-every",
              "20", "--hidden", "16"]
    straight, part = tmp_path / "straight", tmp_path / "part"
    r = run_cli("train-dino", *common, "--iters", "60", "--run", straight)
    assert r.exit_code == 0, r.stderr
    meta = json.loads((straight / "meta.json").read_text())
    assert meta["kind"] == "dino-batched" and meta["config"]["cell"] == cell
    assert 0.5 < meta["metrics"]["val_loss"] < np.log(27)
    assert run_cli("train-dino", *common, "--iters", "40", "--run", part).exit_code == 0
    assert run_cli("train-dino", "--iters", "60", "--resume", part).exit_code == 0
    a, b = np.load(straight / "weights.npz"), np.load(part / "weights.npz")
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-12)
    s = run_cli("sample-dino", "--run", straight, "-n", "4", "--seed", "3")
    assert s.exit_code == 0 and len(s.stdout.split()) == 4


def test_held_out_names_not_trained_on(dinos):
    from seqgen.names.model import load_names

    data = load_names(dinos, 0, 0.1)
    val, train = data.val_names(), data.names.names(data.names.train)
    lines = [n.strip().lower() for n in dinos.read_text().splitlines() if n.strip()]
    distinct = set(lines)
    assert len(val) == -(-len(distinct) // 10) and len(set(val)) == len(val)
    assert not set(val) & set(train)
    assert set(val) | set(train) == distinct
    assert len(train) + len(val) + sum(lines.count(v) - 1 for v in val) == len(lines)


def test_sample_without_seed_says_which_seed_reproduces_it(reference_run):
    run, _ = reference_run
    first = run_cli("sample-dino", "--run", run, "-n", "5")
    seed = re.search(r"--seed (\d+)", first.stderr).group(1)
    again = run_cli("sample-dino", "--run", run, "-n", "5", "--seed", seed)
    assert again.stdout == first.stdout and again.stderr == ""


@pytest.mark.slow
def test_names_cost_a_few_bytes_per_character(tmp_path):
    """load_names holds a big names file compactly: what tracemalloc's peak adds per extra
    character of the file is well under 20 bytes (the reading buffers are a fixed cost)."""
    import tracemalloc

    from seqgen.names.model import load_names

    rng = np.random.default_rng(0)
    sizes, peaks = [], []
    for count in (20_000, 160_000):
        path = tmp_path / f"names{count}.txt"
        # names of 4 to 13 random letters: rows of 14 bytes, a newline after each length
        rows = rng.integers(ord("a"), ord("z") + 1, size=(count, 14), dtype=np.uint8)
        lengths = rng.integers(4, 14, size=count)
        rows[np.arange(count), lengths] = ord("\n")
        keep = np.arange(14) <= lengths[:, None]
        path.write_bytes(rows[keep].tobytes())
        chars = path.stat().st_size
        tracemalloc.start()
        data = load_names(path, 0, 0.1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert 0.9 * count < data.n_train + len(data.val_names()) <= count  # repeats held out
        sizes.append(chars)
        peaks.append(peak)
    assert (peaks[1] - peaks[0]) / (sizes[1] - sizes[0]) < 20
