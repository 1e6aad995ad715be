"""train-text, generate-text and evaluate on every architecture, end to end.

Each architecture trains once on a few thousand characters of the sonnets (case kept) and
the run is then resumed, scored and sampled. The held-out tail is split in two: the
validation part decides (checkpoint, learning rate, stopping), the test part is only
scored by ``evaluate``; one test proves no decision can see the test part.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from tests.conftest import CliResult, built_once, dataset, run_cli, run_reporting_imports

TINY = ["--units", "16", "--layers", "2", "--context", "16", "--batch-size", "8", "--lr",
        "0.01"]
SHAPES = {"lstm": ["--embed", "8"], "gru": ["--embed", "8"], "gpt": ["--heads", "2"]}


def sonnets(folder, chars=6000, name="text.txt"):
    p = folder / name
    p.write_text(dataset("shakespeare.txt").read_text(encoding="utf-8")[:chars],
                 encoding="utf-8")
    return p


@pytest.fixture(scope="module", params=sorted(SHAPES))
def trained(request, tmp_path_factory):
    """A tiny run of each architecture, trained once for all the workers (read-only)."""
    arch = request.param

    def build(folder):
        r = run_cli("train-text", "--data", sonnets(folder), "--run", folder / "run", "--arch",
                    arch, *TINY, *SHAPES[arch], "--max-steps", "24", "--eval-every", "12",
                    cwd=folder)
        assert r.exit_code == 0, r.stderr
        (folder / "stderr.txt").write_text(r.stderr, encoding="utf-8")

    folder = built_once(tmp_path_factory, f"text-{arch}", build)
    r = CliResult(0, "", (folder / "stderr.txt").read_text(encoding="utf-8"))
    return arch, folder, folder / "text.txt", folder / "run", r


def meta_of(run):
    return json.loads((run / "meta.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_every_architecture_trains_keeps_case_and_records_its_shape(trained):
    arch, _, _, out, r = trained
    meta = meta_of(out)
    assert meta["kind"] == "text-model"
    cfg = meta["config"]
    assert cfg["arch"] == arch and cfg["units"] == 16 and cfg["layers"] == 2
    assert cfg["lowercase"] is False
    assert "S" in meta["vocab"] and "s" in meta["vocab"]  # the case is kept
    assert meta["command"].startswith("seqgen train-text --data")
    assert meta["metrics"]["parameters"] > 0 and meta["metrics"]["train_chars_per_s"] > 0
    split = meta["split"]
    assert split["train"] < split["validation_end"] < split["characters"]
    assert 0 < meta["metrics"]["val_loss"] < math.log(len(meta["vocab"]))
    assert [h["step"] for h in meta["history"]] == [12, 24]
    assert f"{arch}, 2 " in r.stderr


@pytest.mark.slow
def test_evaluate_scores_test_by_default_and_validation_on_request(trained):
    _, folder, data, out, _ = trained
    val = meta_of(out)["metrics"]["val_loss"]
    v = run_cli("evaluate", "--run", out, "--part", "validation")
    assert v.exit_code == 0, v.stderr
    assert v.stdout.startswith("val_loss=") and "part=validation" in v.stdout
    assert float(v.stdout.split()[0].split("=")[1]) == pytest.approx(val, abs=2e-4)
    t = run_cli("evaluate", "--run", out)
    assert t.exit_code == 0, t.stderr
    fields = dict(kv.split("=") for kv in t.stdout.split())
    assert fields["part"] == "test" and "scored the test part" in t.stderr
    split = meta_of(out)["split"]
    assert int(fields["characters"]) == split["characters"] - split["validation_end"]
    assert float(fields["test_loss"]) != pytest.approx(val, abs=1e-6)  # another part


@pytest.mark.slow
def test_evaluate_on_another_text_scores_all_of_it(trained, tmp_path):
    _, _, _, out, _ = trained
    other = tmp_path / "other.txt"
    other.write_text(dataset("shakespeare.txt").read_text(encoding="utf-8")[20000:23000],
                     encoding="utf-8")
    r = run_cli("evaluate", "--run", out, "--data", other)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("loss=") and "part=all" in r.stdout
    assert "characters=2999" in r.stdout  # every character after the first


@pytest.mark.slow
def test_generate_text_without_tensorflow_keeps_the_prompts_case(trained):
    _, folder, _, out, _ = trained
    r, [heavy] = run_reporting_imports(["generate-text", "Shall I", "--run", str(out),
                                        "--seed", "3", "--length", "80", "-n", "2"])
    assert r.exit_code == 0, r.stderr
    assert not {"tensorflow", "keras"} & set(heavy)
    first, second = r.stdout.split("\n\nShall I")
    assert first.startswith("Shall I") and len(first) == len("Shall I") + 80
    again = run_cli("generate-text", "Shall I", "--run", out, "--seed", "3",
                    "--length", "80")
    assert again.stdout == first + "\n"


@pytest.mark.slow
def test_resume_continues_the_same_shape(trained, tmp_path):
    arch, folder, data, out, _ = trained
    run = tmp_path / "run"
    shutil.copytree(out, run)
    # the fixture's gpt ran XLA-compiled (its default); the continuation runs without it, as
    # any run may (xla is a run setting: the weights and the state are the same)
    r = run_cli("train-text", "--resume", run, "--max-steps", "36", "--eval-every", "12",
                "--set", "xla=false", cwd=folder)
    assert r.exit_code == 0, r.stderr
    meta = meta_of(run / "last")
    assert meta["step"] == 36 and meta["config"]["arch"] == arch
    assert meta["config"]["xla"] is False and meta_of(out)["config"]["xla"] is None
    assert [h["step"] for h in meta["history"]] == [12, 24, 36]


@pytest.mark.slow
def test_the_test_part_decides_nothing(tmp_path):
    """Two texts that differ only inside the test part, its set of characters included,
    train to the same vocabulary, weights and validation history; the test scores then
    differ, and evaluate says how many characters the training part never showed."""
    text = dataset("shakespeare.txt").read_text(encoding="utf-8")[:6000]
    n = len(text)
    test_start = n - math.floor(math.ceil(n * 0.1) * 0.5)
    # reversed, and with characters found nowhere else in the text
    swapped = text[:test_start] + text[test_start:][::-1].replace("e", "\u0436", 3) \
        .replace("t", "\u20ac", 2)
    runs = []
    for name, body in (("a.txt", text), ("b.txt", swapped)):
        (tmp_path / name).write_text(body, encoding="utf-8")
        out = tmp_path / name.replace(".txt", "")
        r = run_cli("train-text", "--data", tmp_path / name, "--run", out, "--arch", "lstm",
                    *TINY, "--embed", "8", "--max-steps", "20", "--eval-every", "5",
                    "--set", "lr_schedule=plateau", cwd=tmp_path)
        assert r.exit_code == 0, r.stderr
        runs.append(out)
    a, b = (np.load(r / "weights.npz") for r in runs)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    history = [[{k: v for k, v in h.items() if k != "seconds"} for h in meta_of(r)["history"]]
               for r in runs]
    assert history[0] == history[1] and len(history[0]) == 4
    assert meta_of(runs[0])["vocab"] == meta_of(runs[1])["vocab"]
    scores = [run_cli("evaluate", "--run", r) for r in runs]
    assert scores[0].stdout != scores[1].stdout
    assert "never in the training part" not in scores[0].stderr
    assert "(5 of them never in the training part: scored as" in scores[1].stderr


@pytest.mark.slow
def test_lowercase_folds_the_text_and_the_prompt(tmp_path):
    data = sonnets(tmp_path, 4000)
    out = tmp_path / "low"
    r = run_cli("train-text", "--data", data, "--run", out, "--lowercase", "--arch", "gru",
                *TINY, "--embed", "8", "--max-steps", "4", "--eval-every", "4", cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    meta = meta_of(out)
    assert meta["config"]["lowercase"] is True
    assert not any(c.isupper() for c in meta["vocab"])
    g = run_cli("generate-text", "SHALL I", "--run", out, "--seed", "1", "--length", "5")
    assert g.exit_code == 0 and g.stdout.startswith("SHALL I")
    assert "skipped" not in g.stderr  # upper case letters are read as lower case


@pytest.mark.slow
def test_open_settings_are_sized_to_the_text_and_said_once(tmp_path):
    data = sonnets(tmp_path, 3000)
    out = tmp_path / "auto"
    r = run_cli("train-text", "--data", data, "--run", out, "--max-steps", "2",
                "--eval-every", "2", "--set", "units=16", "--context", "16", cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("sized to")]
    assert len(lines) == 1 and "arch lstm" in lines[0] and "units" not in lines[0]
    meta = meta_of(out)
    assert meta["sized"]["chosen"]["arch"] == "lstm" and "units" not in meta["sized"]["chosen"]
    assert meta["config"]["units"] == 16 and meta["config"]["dropout"] == 0.4


def test_the_sizing_rule_grows_with_the_text_and_never_overrides():
    from seqgen.text.config import TextConfig
    from seqgen.text.sizing import RULES, sized

    small, chosen, _ = sized(TextConfig(), 100_000)
    big, _, _ = sized(TextConfig(), 50_000_000)
    assert small.dropout > big.dropout and small.batch_size <= big.batch_size
    given, chosen, _ = sized(TextConfig(arch="gpt", units=64, dropout=0.3), 50_000_000)
    assert given.arch == "gpt" and given.units == 64 and given.embed == 64
    assert given.dropout == 0.3 and given.heads >= 1 and 64 % given.heads == 0
    assert "arch" not in chosen and "dropout" not in chosen
    assert given.lr_schedule == "cosine" and given.lr < small.lr  # a transformer's optimiser
    assert given.context == 64 and big.context > small.context  # the GPT's own span
    assert [r[0] for r in RULES] == sorted(r[0] for r in RULES)


def test_an_old_checkpoint_without_a_test_part_says_so(tmp_path):
    """The model shipped before the split scores its whole tail, and says why."""
    from seqgen.text.model import evaluate

    ship = tmp_path / "ship"
    shutil.copytree(dataset("shakespeare.txt").parent.parent / "shakespeare", ship)
    meta = meta_of(ship)
    meta["config"].pop("test_share", None)
    (ship / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    r = evaluate(ship, max_chars=500)
    assert r.part == "validation" and "no test part" in r.note
