"""sample-dino's --prefix, --max-length and name casing; the shipped models; train-dino's curve."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from seqgen.engine.generate import row_step, sample_names
from seqgen.names import model as names_model
from tests.conftest import DATA, built_once, one_error_line, run_cli, start_process
from tests.helpers.reference_names import one_name

ASSETS = Path(names_model.__file__).resolve().parent.parent / "assets"
PACKAGES = "numpy\nscipy\npandas\nrequests\nflask\ndjango\npytest\nsetuptools\nwheel\nclick\n"


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A small checkpoint of each kind trained on the dinosaurs, and one on package names;
    trained once for all the workers, read-only."""
    def build(w):
        (w / "packages.txt").write_text(PACKAGES * 3)
        for args in (["--iters", "2000", "--run", w / "rnn"],
                     ["--iters", "40", "--batch-size", "64", "--cell", "lstm", "--hidden",
                      "16", "--lr", "0.02", "--run", w / "batched"],
                     ["--iters", "300", "--data", w / "packages.txt", "--run",
                      w / "packages"]):
            r = run_cli("train-dino", "--report-every", "1000", *args, cwd=w)
            assert r.exit_code == 0, r.stderr

    w = built_once(tmp_path_factory, "names-runs", build)
    return {"rnn": w / "rnn", "batched": w / "batched", "packages": w / "packages"}


def next_char_counts(checkpoint, prefix: str, n: int = 300) -> Counter:
    """How often each character follows ``prefix`` in ``n`` names, drawn one at a time."""
    model = names_model.load_name_model(checkpoint)
    return Counter(model.vocab.chars[tokens[0]] if tokens else "\n"
                   for tokens in (one_name(model, prefix, 1.0, 50, s) for s in range(n)))


@pytest.mark.parametrize("kind", ["rnn", "batched"])
def test_prefix_conditions_the_next_character(runs, kind):
    """The character after the prefix is drawn from another distribution than a first one."""
    unprimed = next_char_counts(runs[kind], "")
    primed = next_char_counts(runs[kind], "tyrannosaur")
    tv = 0.5 * sum(abs(unprimed[c] - primed[c]) for c in unprimed | primed) / 300
    assert tv > 0.3, (unprimed.most_common(5), primed.most_common(5))


@pytest.mark.parametrize("kind", ["rnn", "batched"])
def test_every_name_starts_with_the_prefix_in_the_vocabularys_case(runs, kind):
    r = run_cli("sample-dino", "--run", runs[kind], "--prefix", "TyR", "-n", "25",
                "--seed", "4", "--max-length", "12")
    assert r.exit_code == 0 and r.stderr == "", r.stderr
    names = r.stdout.split("\n")[:-1]
    assert len(names) == 25
    assert all(n.startswith("Tyr") and len(n) <= 12 for n in names), names
    again = run_cli("sample-dino", "--run", runs[kind], "--prefix", "tyr", "-n", "25",
                    "--seed", "4", "--max-length", "12")
    assert again.stdout == r.stdout


def features(names) -> tuple[Counter, Counter]:
    """Name lengths (16 and more in one bin) and first characters of token lists."""
    lengths = Counter(min(len(t), 16) for t in names)
    firsts = Counter(int(t[0]) if len(t) else -1 for t in names)
    return lengths, firsts


def chi_square_differs(a: Counter, b: Counter) -> bool:
    """Whether two samples' counts differ at the 0.1% level (two-sample chi-square test,
    bins with fewer than 10 counts in all merged into one)."""
    keys = sorted(a.keys() | b.keys(), key=lambda k: -(a[k] + b[k]))
    rows = [(a[k], b[k]) for k in keys if a[k] + b[k] >= 10]
    rest = (sum(a[k] for k in keys if a[k] + b[k] < 10), sum(b[k] for k in keys
                                                           if a[k] + b[k] < 10))
    if sum(rest):
        rows.append(rest)
    table = np.array(rows, dtype=float)  # (bins, 2)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
    stat = ((table - expected) ** 2 / expected).sum()
    dof = len(rows) - 1
    z = 3.09  # the 0.1% upper quantile of the normal; Wilson-Hilferty for chi-square's
    critical = dof * (1 - 2 / (9 * dof) + z * np.sqrt(2 / (9 * dof))) ** 3
    return stat > critical


@pytest.mark.slow
@pytest.mark.parametrize("kind,prefix", [("rnn", ""), ("batched", ""), ("rnn", "tyr")])
def test_batched_names_are_distributed_like_one_at_a_time(runs, kind, prefix):
    """Lengths and first letters of 4,000 names: the batched sampler against one-at-a-time
    draws. The same test tells temperature 0.7 from 1.0, so it can see a difference."""
    model = names_model.load_name_model(runs[kind])
    newline, room, n = model.vocab.index["\n"], 50 - len(prefix), 4000

    def batched(temperature, seed):
        return list(sample_names(row_step(model.cell, model.params),
                                 names_model.prime(model, prefix), newline, room, temperature,
                                 np.random.default_rng(seed), n))

    ours = batched(1.0, 1)
    reference = [one_name(model, prefix, 1.0, room, 10**6 + s) for s in range(n)]
    for a, b in zip(features(ours), features(reference)):
        assert not chi_square_differs(a, b), (a.most_common(8), b.most_common(8))
    colder = batched(0.7, 2)
    assert any(chi_square_differs(a, b) for a, b in zip(features(colder), features(reference)))


def test_the_first_names_do_not_depend_on_how_many_are_asked(runs):
    """A seed's first names are the same in a short and a long list (and so reproducible)."""
    five = run_cli("sample-dino", "--run", runs["rnn"], "-n", "5", "--seed", "8")
    many = run_cli("sample-dino", "--run", runs["rnn"], "-n", "3000", "--seed", "8")
    assert five.exit_code == many.exit_code == 0
    assert many.stdout.startswith(five.stdout) and len(many.stdout.split("\n")) == 3001
    other = run_cli("sample-dino", "--run", runs["rnn"], "-n", "5", "--seed", "9")
    assert other.stdout != five.stdout


@pytest.mark.slow
def test_names_stream_in_constant_memory(runs):
    """Peak Python allocations while drawing 2,000 names and 20,000 are alike."""
    import tracemalloc

    from seqgen.names.config import NameSampling

    def peak(count):
        result = names_model.sample_dino(NameSampling(count=count), 1, runs["rnn"])
        tracemalloc.start()
        made = sum(1 for _ in result.names)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert made == count
        return top

    small, large = peak(2_000), peak(20_000)
    assert large < 1.5 * small + 200_000, (small, large)


def test_rnn_prefix_state_matches_the_reference_forward_pass(runs):
    """The row-layout stepping of a dino-rnn equals the reference's column arithmetic."""
    from seqgen.engine.batched import ZERO_INPUT, step_one
    from seqgen.engine.ops import softmax

    _, p, vocab = names_model.load_rnn(runs["rnn"])
    rows = names_model._row_layout(p)
    a, h, c = np.zeros((p["Waa"].shape[0], 1)), np.zeros(p["Waa"].shape[0]), None
    for ch in [None, *"tyr"]:
        x = 0 if ch is None else p["Wax"][:, [vocab.index[ch]]]
        a = np.tanh(x + p["Waa"] @ a + p["b"])
        h, c, logits = step_one("rnn", rows, ZERO_INPUT if ch is None else vocab.index[ch], h, c)
        np.testing.assert_allclose(softmax(logits), softmax(p["Wya"] @ a + p["by"]).ravel(),
                                   rtol=0, atol=1e-12)


def test_names_print_as_the_training_file_writes_them(runs, tmp_path):
    lower = run_cli("sample-dino", "--run", runs["packages"], "-n", "10", "--seed", "1")
    assert lower.exit_code == 0, lower.stderr
    assert lower.stdout == lower.stdout.lower() and lower.stdout.strip()
    capital = run_cli("sample-dino", "--run", runs["rnn"], "-n", "10", "--seed", "1")
    assert all(n[0].isupper() for n in capital.stdout.split()), capital.stdout
    # a checkpoint written before the key existed keeps the capitalised display
    old = tmp_path / "old"
    shutil.copytree(runs["packages"], old)
    meta = json.loads((old / "meta.json").read_text())
    del meta["name_case"]
    (old / "meta.json").write_text(json.dumps(meta))
    before = run_cli("sample-dino", "--run", old, "-n", "10", "--seed", "1")
    assert before.stdout == "\n".join(n.capitalize() for n in lower.stdout.split()) + "\n"
    assert names_model.name_case(["Aachenosaurus", "Abelisaurus"]) == "capitalize"
    assert names_model.name_case(["numpy", "scipy"]) == "lower"
    assert names_model.name_case(["NASA", "ESA", "Roscosmos"]) == "upper"


def test_unknown_prefix_characters_are_named_and_left_out(runs):
    r = run_cli("sample-dino", "--run", runs["rnn"], "--prefix", "T€y", "-n", "5",
                "--seed", "0")
    assert r.exit_code == 0
    assert r.stderr.strip() == ("skipped prefix characters the model does not know: '€'")
    assert all(n.startswith("Ty") for n in r.stdout.split())
    line = one_error_line(run_cli("sample-dino", "--run", runs["rnn"], "--prefix", "€@"),
                          2)
    assert "'€'" in line and "'@'" in line


@pytest.mark.parametrize("args, match", [
    (["--prefix", "abc", "--max-length", "3"], "--max-length 3"),
    (["--prefix", "a\nb"], "--prefix"),
    (["--prefix", "€"], "--prefix"),
    (["--max-length", "0"], "--max-length"),
    (["--max-length", "-5"], "--max-length"),
    (["--max-length", "1001"], "--max-length"),
    (["--max-length", "ten"], "--max-length"),
])
def test_bad_new_flags_are_one_line_and_status_2(runs, args, match):
    line = one_error_line(run_cli("sample-dino", "--run", runs["rnn"], *args), 2)
    assert match in line


# ---------------------------------------------------------------- the models that ship


def test_shipped_models_load_from_an_empty_folder_and_sample(tmp_path):
    from seqgen.checkpoints import load_checkpoint

    r = run_cli("sample-dino", "-n", "5", "--seed", "0", "--prefix", "ptero", cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert [n[:5] for n in r.stdout.split()] == ["Ptero"] * 5
    meta, arrays = load_checkpoint(ASSETS / "jazz", "jazz-lstm")
    assert arrays and meta["trained_with"]["command"].startswith("seqgen train-jazz")
    assert json.loads((ASSETS / "dino" / "meta.json").read_text())["trained_with"][
        "command"].startswith("seqgen train-dino")
    assert list(tmp_path.iterdir()) == []
    for name in ("dino", "jazz"):
        files = list((ASSETS / name).iterdir())
        assert not [f for f in files if f.name.startswith(".")]
        assert sum(f.stat().st_size for f in files) < 1_000_000


@pytest.mark.slow
def test_shipped_jazz_model_writes_a_solo_from_an_empty_folder(tmp_path):
    r = run_cli("generate-jazz", "--run", ASSETS / "jazz", "--out", "solo.mid",
                "--seed", "0", cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "solo.mid").stat().st_size > 100


# ---------------------------------------------------------------- train-dino's loss curve


@pytest.mark.parametrize("extra", [[], ["--batch-size", "32", "--hidden", "8"]])
def test_train_dino_writes_a_loss_curve_that_resume_extends(tmp_path, extra):
    out = tmp_path / "run"
    common = ["--data", DATA / "dinos.txt", "--run", out, "--report-every", "20",
              "--val-split", "0.1", *extra]
    assert run_cli("train-dino", "--iters", "40", *common).exit_code == 0
    png = out / "loss_curve.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = json.loads((out / "meta.json").read_text())["history"]
    assert [h["iteration"] for h in first][:2] == [0, 20]
    assert "val_loss" in first[-1]
    r = run_cli("train-dino", "--iters", "80", "--resume", out, "--report-every", "20")
    assert r.exit_code == 0, r.stderr
    history = json.loads((out / "meta.json").read_text())["history"]
    assert [h["iteration"] for h in history if h["iteration"] <= 20] == [0, 20]
    assert history[-1]["iteration"] == 80 and len(history) > len(first)


@pytest.mark.slow
def test_a_closed_pipe_ends_a_huge_list_at_once_and_quietly():
    """`sample-dino -n 100000000 | head -1`: the first name arrives, and the reader leaving
    ends the process (it would take an hour to finish the list), with nothing on stderr."""
    proc = start_process("sample-dino", "-n", "100000000", "--seed", "1")
    first = proc.stdout.readline()
    proc.stdout.close()
    try:
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert first.strip() and first.strip()[0].isupper()
    assert proc.stderr.read() == ""


@pytest.mark.slow
def test_a_long_list_shows_progress_on_a_terminal(tmp_path):
    """With stderr on a terminal, -n from 100,000 shows a progress bar there; stdout (a file)
    gets only the names."""
    import os
    import pty

    from tests.conftest import ROOT, SEQGEN, process_env

    master, slave = pty.openpty()
    with open(tmp_path / "names.txt", "wb") as out:
        proc = subprocess.Popen([*SEQGEN, "sample-dino", "-n", "100000", "--seed", "1"],
                                cwd=ROOT, env=process_env(), stdout=out, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "sample-dino" in screen and "100000/100000" in screen, screen[-2000:]
    names = (tmp_path / "names.txt").read_text().splitlines()
    assert len(names) == 100_000 and all(n and n[0].isupper() for n in names)
